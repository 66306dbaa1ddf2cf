#!/bin/bash
# Standard RDP Security enumeration side by side, in one run, on the same xrdp (packaged ini,
# security_layer=rdp, crypt_level low / medium / high / fips, require_credentials=true so that a
# real client's connection ends by itself after its Client Info):
#   rdpdoctor check --json           the whole check; the enumeration runs on its own connections
#   rdpdoctor check --no-session     the same check without the session phase nor the enumeration
#   nmap --script +rdp-enum-encryption
#   rdesktop                          one real client offering 40|128-bit, through the security
#                                     exchange and Client Info (xrdp then ends it): it can only say
#                                     whether its own offer works
# Wall time (hyperfine medians), what each tool reports, and where they disagree with xrdp's
# configuration. Root (xrdp, Xvfb through the test harness). Usage: bench/enum.sh [rdpdoctor]
# Results in bench/out/enum-*.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
export LAB_QUIET=1
source tests/integration/lib.sh
lab_init "$bin"
lab_require_cmd xrdp nmap rdesktop hyperfine jq
lab_certs
lab_xvfb # rdesktop needs a display

summary=$out/enum-summary.txt
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

for lvl in ${LEVELS:-low medium high fips}; do
  lab_xrdp_full rdp good "crypt_level=$lvl" require_credentials=true
  port=$XRDP_PORT
  say "== xrdp rdp, crypt_level=$lvl (127.0.0.1:$port); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  hyperfine -N --warmup 1 --runs "${RUNS:-5}" --ignore-failure --export-json "$out/enum-$lvl.json" \
    -n rdpdoctor "$bin check --json 127.0.0.1:$port" \
    -n no-session "$bin check --json --no-session 127.0.0.1:$port" \
    -n nmap "nmap -Pn -n -p $port --script +rdp-enum-encryption 127.0.0.1" \
    -n rdesktop "timeout 10 rdesktop -u nobody 127.0.0.1:$port" >"$out/enum-$lvl.hyperfine.txt" 2>&1 || true
  jq -r '[.results[] | {(.command): .median}] | add
         | "medians: rdpdoctor \(.rdpdoctor*1000|floor) ms (--no-session, no enumeration: \(.["no-session"]*1000|floor) ms), nmap \(.nmap*1000|floor) ms, rdesktop \(.rdesktop*1000|floor) ms; rdpdoctor/nmap = \((.rdpdoctor/.nmap)*1000|floor/1000)"' \
    "$out/enum-$lvl.json" | tee -a "$summary"
  "$bin" check --json "127.0.0.1:$port" >"$out/enum-$lvl.rdpdoctor.json" || true
  jq -r '"rdpdoctor: level \(.facts.rdp_security.level_name); " +
         ([.facts.rdp_security.methods[] | "\(.method) \(.status)\(if .basis == "inferred" then " (inferred)" elif .answered_name and .status == "refused" then " (answered \(.answered_name))" else "" end)"] | join(", ")) +
         "; \(.connections) connections; findings: \([.findings[].id] | join(" "))"' \
    "$out/enum-$lvl.rdpdoctor.json" | tee -a "$summary"
  nmap -Pn -n -p "$port" --script +rdp-enum-encryption 127.0.0.1 >"$out/enum-$lvl.nmap.txt" 2>&1 || true
  echo "nmap: $(sed -n '/rdp-enum-encryption/,/^[^|]/p' "$out/enum-$lvl.nmap.txt" | grep '^|' | sed 's/^|[_ ]*//' | tr '\n' ';')" |
    tee -a "$summary"
  rc=0
  timeout 10 rdesktop -u nobody "127.0.0.1:$port" >"$out/enum-$lvl.rdesktop.txt" 2>&1 || rc=$?
  grep -a "do not both support\|both support" "$LAB/xrdp-$port/xrdp.log" 2>/dev/null | tail -1 | sed 's/^.*\] //' \
    >"$out/enum-$lvl.xrdp-says.txt" || true
  say "rdesktop: exit $rc; xrdp logged: $(cat "$out/enum-$lvl.xrdp-says.txt")"
  lab_stop "$XRDP_PID"
done
echo "summary: $summary"
