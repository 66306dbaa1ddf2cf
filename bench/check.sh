#!/bin/bash
# `rdpdoctor check` side by side with the peer tools, in one run, against the same real server:
# nmap's RDP scripts plus sslscan --rdp (what an admin runs today to learn the same things).
# Wall time (hyperfine), peak memory (GNU time), connections, and instruction counts (callgrind).
# Usage: bench/check.sh [path/to/rdpdoctor]        Results in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
export LAB_QUIET=1
source tests/integration/lib.sh
lab_init "$bin"
lab_certs

bench_server() {
  local name=$1 port=$2
  echo "== $name (127.0.0.1:$port)"
  # nmap needs the '+' to run its RDP scripts on a non-3389 port (test-lab §4).
  hyperfine -N --warmup 1 --runs "${RUNS:-5}" --ignore-failure --export-json "$out/check-$name.json" \
    -n rdpdoctor "$bin check --json 127.0.0.1:$port" \
    -n nmap "nmap -Pn -n -p $port --script +rdp-enum-encryption,+rdp-ntlm-info,+ssl-cert 127.0.0.1" \
    -n sslscan "sslscan --rdp --no-colour 127.0.0.1:$port" | grep -E "Time|±|rdpdoctor|nmap|sslscan" || true
  python_free_ratio "$out/check-$name.json"
  local rss
  rss=$(/usr/bin/time -f '%M' "$bin" check --json "127.0.0.1:$port" 2>&1 >/dev/null | tail -1 || true)
  echo "rdpdoctor peak RSS: ${rss} KiB; connections: $("$bin" check --json "127.0.0.1:$port" | jq .connections || true)"
  rss=$(/usr/bin/time -f '%M' sslscan --rdp --no-colour "127.0.0.1:$port" 2>&1 >/dev/null | tail -1 || true)
  echo "sslscan peak RSS: ${rss} KiB"
}

# The ratio rdpdoctor / (nmap + sslscan) from hyperfine's medians, with jq.
python_free_ratio() {
  jq -r '[.results[] | {(.command): .median}] | add
         | "medians: rdpdoctor \(.rdpdoctor*1000|floor) ms, nmap \(.nmap*1000|floor) ms, sslscan \(.sslscan*1000|floor) ms; ratio rdpdoctor/(nmap+sslscan) = \((.rdpdoctor/(.nmap+.sslscan))*1000|floor/1000)"' "$1"
}

lab_xrdp negotiate good
bench_server xrdp-negotiate "$XRDP_PORT"
lab_xrdp tls expired
bench_server xrdp-tls-expired "$XRDP_PORT"
lab_minisrv nla good
bench_server minisrv-nla "$MINISRV_PORT"

lab_xrdp negotiate good
valgrind --tool=callgrind --callgrind-out-file="$out/check.callgrind" "$bin" check --json "127.0.0.1:$XRDP_PORT" \
  >/dev/null 2>"$out/check.callgrind.log" || true
grep -o 'Collected : [0-9]*' "$out/check.callgrind.log" | sed 's/Collected :/instructions, check (xrdp negotiate):/'
