#!/bin/bash
# rdpdoctor with a closed stdin, stdout or stderr: never an abort (SIGABRT, exit 134), never
# output into a socket; a closed stdout is exit 3 (docs/exit-codes.md), a closed stdin or stderr
# changes nothing. Needs no root and no server: `check` goes to 127.0.0.1:1, where nothing
# listens, so the connection is refused at once.
#     bash tests/integration/test_cli_stdio.sh build/release/rdpdoctor
set -uo pipefail
BIN=${1:?usage: test_cli_stdio.sh /path/to/rdpdoctor}
fails=0

# expect WANT DESCRIPTION CMD... : runs CMD (a bash -c string) and compares its exit code.
expect() {
    local want=$1 what=$2 got
    bash -c "$3"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: exit $got, want $want" >&2
        fails=$((fails + 1))
    else
        echo "ok: $what (exit $got)"
    fi
}

B=$(printf %q "$BIN")
CHECK="$B check 127.0.0.1:1 --timeout 2 --no-side-ports"
expect 3  "explain, stdout closed"          "$B explain 0x904 >&-"
expect 0  "explain, stderr closed"          "$B explain 0x904 2>&- >/dev/null"
expect 0  "explain, stdin closed"           "$B explain 0x904 <&- >/dev/null"
expect 3  "explain, all three closed"       "$B explain 0x904 <&- >&- 2>&-"
expect 64 "explain, usage error, stderr closed" "$B explain 'bad!' 2>&-"
expect 3  "--help, stdout closed"           "$B --help >&-"
expect 2  "check, stderr closed"            "$CHECK 2>&- >/dev/null"
expect 2  "check, stdin closed"             "$CHECK <&- >/dev/null"
expect 3  "check, stdout closed"            "$CHECK >&-"
expect 3  "check, all three closed"         "$CHECK <&- >&- 2>&-"

# The message for a closed stdout goes to stderr, as one line.
msg=$(bash -c "$B explain 0x904 2>&1 >&-")
case $msg in
    "rdpdoctor: standard output is closed"*) echo "ok: closed-stdout message" ;;
    *) echo "FAIL: closed-stdout message: '$msg'" >&2; fails=$((fails + 1)) ;;
esac
# A reader that goes away early: exit 3, not a death by SIGPIPE (141).
rc=$(bash -c "set -o pipefail; $B explain 0x904 0x7 | (exec 0<&-; true); echo \${PIPESTATUS[0]}" 2>/dev/null)
case $rc in
    0|3) echo "ok: broken pipe (exit $rc)" ;;
    *) echo "FAIL: broken pipe: exit $rc" >&2; fails=$((fails + 1)) ;;
esac
[ "$fails" -eq 0 ]
