#!/bin/bash
# `rdpdoctor check --user` side by side with the tools admins use to test RDP credentials today, in
# one run against the same real NLA servers (FreeRDP's shadow server with a SAM file, and minisrv):
# xfreerdp +auth-only and impacket's rdp_check. Right and wrong password; wall time by hyperfine.
# Usage: bench/auth.sh [path/to/rdpdoctor]        Results in bench/out/.
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
lab_sam
lab_xvfb

# impacket's rdp_check hard-codes port 3389 (test-lab §4): a copy that reads RDP_PORT, made at run time.
rdp_check=$LAB/rdp_check_port.py
sed 's/s.connect((host,3389))/s.connect((host,int(__import__("os").environ.get("RDP_PORT","3389"))))/' \
  /usr/share/doc/python3-impacket/examples/rdp_check.py > "$rdp_check"

bench_server() {
  local name=$1 port=$2
  echo "== $name (127.0.0.1:$port)"
  for pw in "$LAB_PASS" wrong-password; do
    local tag=right; [ "$pw" = "$LAB_PASS" ] || tag=wrong
    echo "-- $tag password: verdicts"
    echo "   rdpdoctor: $(RDPDOCTOR_PASSWORD=$pw "$bin" check --json --user "$LAB_USER" "127.0.0.1:$port" | jq -r '[.findings[].id | select(startswith("auth"))] | join(",")') "
    local rc=0
    DISPLAY=$DISPLAY timeout 30 xfreerdp "/v:127.0.0.1:$port" "/u:$LAB_USER" "/p:$pw" +auth-only /cert:ignore >/dev/null 2>&1 || rc=$?
    echo "   xfreerdp +auth-only: exit $rc"
    rc=0
    local said
    said=$(RDP_PORT=$port timeout 30 /usr/bin/python3 "$rdp_check" "$LAB_USER:$pw@127.0.0.1" 2>&1 | tail -1) || rc=$?
    echo "   rdp_check: exit $rc, says: $said"
    RDPDOCTOR_PASSWORD=$pw hyperfine -N --warmup 1 --runs "${RUNS:-10}" --ignore-failure \
      --export-json "$out/auth-$name-$tag.json" \
      -n rdpdoctor "$bin check --json --user $LAB_USER 127.0.0.1:$port" \
      -n xfreerdp "env DISPLAY=$DISPLAY xfreerdp /v:127.0.0.1:$port /u:$LAB_USER /p:$pw +auth-only /cert:ignore" \
      -n rdp_check "env RDP_PORT=$port /usr/bin/python3 $rdp_check $LAB_USER:$pw@127.0.0.1" >/dev/null 2>&1 || true
    jq -r '[.results[] | "\(.command) \(.median*1000|floor) ms"] | join(", ")' "$out/auth-$name-$tag.json" | sed 's/^/   medians: /'
  done
}

lab_shadow nla good
bench_server shadow-nla "$SHADOW_PORT"
lab_minisrv nla good
bench_server minisrv-nla "$MINISRV_PORT"
