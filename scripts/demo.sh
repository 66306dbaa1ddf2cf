#!/bin/bash
# The main job: install what rdpdoctor needs, build it, then diagnose a real server. With no
# argument it starts a local xrdp (from Debian's packages) on 127.0.0.1 whose certificate has
# expired, runs `rdpdoctor check` against it, and stops it. With HOST[:PORT] it checks that server.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh >/dev/null
./scripts/build.sh release >/dev/null
bin=$PWD/build/release/rdpdoctor

if [ $# -gt 0 ]; then
  rc=0
  "$bin" check "$@" || rc=$?
  exit "$rc"
fi

# The demo server: the test harness's recipe, quietly; everything it starts stops on exit.
export LAB_QUIET=1
source tests/integration/lib.sh
lab_init "$bin"
lab_certs
lab_xrdp tls expired

echo "\$ rdpdoctor check 127.0.0.1:$XRDP_PORT     # a local xrdp whose certificate expired 30 days ago"
echo
rc=0
"$bin" check "127.0.0.1:$XRDP_PORT" || rc=$?
echo
echo "(exit code $rc: 0 healthy, 1 warning, 2 critical, 3 could not check)"
echo "Now your own server:  $bin check HOST[:PORT]   ·   decode a code:  $bin explain 0x904 0x7"
# A warning or critical verdict is the demo working; only "could not check" is a failure here.
[ "$rc" -lt 3 ]
