#!/bin/bash
# The server's own reasons, from a real protocol peer (issue #12): our FreeRDP-based minisrv sends a
# chosen errorInfo at a chosen step, a licensing error, or closes at a step (tests/servers/
# MINISRV.md); `rdpdoctor check` must capture each in the session facts, name it with its finding,
# predict the client's code and exit 2. The headline case is errorInfo 0x7 after Client Info: the
# exact "0x904, extended 0x7". Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd jq
lab_certs

# fault NAME ARGS… : minisrv in tls mode with the fault options, one check in JSON; sets RC.
fault() {
    local name=$1
    shift
    lab_minisrv tls good "$@"
    RC=0
    "$RDPDOCTOR" check --json --no-side-ports "127.0.0.1:$MINISRV_PORT" >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    [[ -s $LAB/$name.json ]] || lab_fail "$name: no JSON report (exit $RC): $(cat "$LAB/$name.err")"
    lab_stop "$MINISRV_PID"
}
q() { jq -r "$2" "$LAB/$1.json"; }
sess() { q "$1" "[.facts.probes[] | select(.request.session)][0].session | $2"; }

fault denied --error-info 7@info
assert_eq 2 "$RC" "denied: exit code"
assert_eq server-denied-connection "$(q denied .verdict.root_cause)" "denied: primary cause"
assert_client denied 0x904 0x7
assert_eq "7 ERRINFO_SERVER_DENIED_CONNECTION" "$(sess denied '.error_info[0] | "\(.code) \(.name)"')" \
    "denied: the errorInfo as number and name"
assert_eq session "$(q denied .verdict.ends_at)" "denied: the connection ends in the session phase"
q denied .verdict.client_error | grep -q '0x904, extended 0x7' || lab_fail "denied: predicted client code: $(q denied .verdict.client_error)"

fault privileges --error-info 9@info
assert_eq insufficient-privileges "$(q privileges .verdict.root_cause)" "errorInfo 9: primary cause"
assert_client privileges 0x904 0x9

fault licensing --error-info 0x101@license
assert_eq license-no-server "$(q licensing .verdict.root_cause)" "errorInfo 0x101: primary cause"
assert_client licensing 0x904 0x101

fault closed --close-at info
assert_eq 2 "$RC" "close after Client Info: exit code"
assert_eq session-closed-during-setup "$(q closed .verdict.root_cause)" "close after Client Info: primary cause"
assert_client closed 0x904 none

# Every session finding from the server's own word, each from the real peer: errorInfo CODE at
# STEP -> finding, predicted client code and extended code.
while read -r code step finding client ext; do
    n=errinfo-$code
    fault "$n" --error-info "$code@$step"
    assert_eq 2 "$RC" "$n: exit code"
    assert_eq "$finding" "$(q "$n" .verdict.root_cause)" "$n: primary cause"
    assert_client "$n" "$client" "$ext"
    assert_eq "$((code))" "$(sess "$n" '.error_info[0].code')" "$n: the errorInfo as a number"
done <<'TABLE'
0x5 info session-replaced 0x904 0x5
0x6 info server-out-of-memory 0x904 0x6
0xA info fresh-credentials-required 0x904 0xA
0x19 info server-shutting-down 0x904 0x19
0x102 license license-no-cal 0x904 0x102
0x10A license license-other 0x904 0x10A
0xC info server-error-info 0x904 0xC
0x1F info server-error-info 0x904 none
TABLE

# Licensing answered with a License Error Message (no errorInfo): its dwErrorCode names it.
while read -r code finding; do
    n=licerr-$code
    fault "$n" --license-error "$code"
    assert_eq 2 "$RC" "$n: exit code"
    assert_eq "$finding" "$(q "$n" .verdict.root_cause)" "$n: primary cause"
    assert_eq "$((code))" "$(sess "$n" '.license.error_code')" "$n: the licensing error code"
done <<'TABLE'
0x6 license-no-server
0x2 license-no-cal
0x8 license-other
TABLE

fault plain
assert_eq active "$(sess plain .outcome)" "no fault: Demand Active"
[[ " $(q plain '[.findings[].id] | join(" ")') " == *" session-ok "* ]] || lab_fail "no fault: no session-ok"

lab_log "session faults test passed in $(($(lab_ms) - LAB_T0)) ms"
