#!/bin/bash
# `rdpdoctor check` through the session phase against real xrdp servers (issue #12): the probe that
# requests what a Windows client requests goes on after the security phase (MCS, GCC, Client Info,
# licensing, Demand Active). xrdp in tls, negotiate and rdp modes reaches Demand Active
# (session-ok; the minimal lab ini uses no Standard RDP Security encryption in rdp mode), and with
# require_credentials=true it ends the connection after the Client Info with a Disconnect Provider
# Ultimatum during licensing (session-closed-during-setup, exit 2). Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xrdp jq
lab_certs

# check NAME TARGET [ARGS…]: the check once in JSON, once as text, once for Nagios and once as
# the exporter's metrics (no server needed for these: rendered from the same kind of run); sets RC.
check() {
    local name=$1 target=$2
    shift 2
    RC=0
    "$RDPDOCTOR" check --json "$@" "$target" >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    "$RDPDOCTOR" check "$@" "$target" >"$LAB/$name.txt" 2>>"$LAB/$name.err" || true
    "$RDPDOCTOR" check --nagios "$@" "$target" >"$LAB/$name.nagios" 2>>"$LAB/$name.err" || true
    [[ -s $LAB/$name.json ]] || lab_fail "$name: no JSON report (exit $RC): $(cat "$LAB/$name.err")"
    [[ ! -s $LAB/$name.err ]] || lab_fail "$name: unexpected stderr: $(cat "$LAB/$name.err")"
    jq -e . "$LAB/$name.json" >/dev/null || lab_fail "$name: invalid JSON"
    # The text wraps at 80 columns: its words on one line, for phrases that may wrap.
    tr '\n' ' ' <"$LAB/$name.txt" | tr -s ' ' >"$LAB/$name.flat"
}
q() { jq -r "$2" "$LAB/$1.json"; }
findings() { q "$1" '[.findings[].id] | sort | join(" ")'; }
has_finding() { [[ " $(findings "$1") " == *" $2 "* ]] || lab_fail "$1: no finding $2 (got: $(findings "$1"))"; }
no_finding() { [[ " $(findings "$1") " != *" $2 "* ]] || lab_fail "$1: unexpected finding $2"; }
# The session facts of the client's probe (request.session).
sess() { q "$1" "[.facts.probes[] | select(.request.session)][0].session | $2"; }

# --- tls, negotiate, rdp: Demand Active on the client's probe.
for mode in tls negotiate rdp; do
    lab_xrdp "$mode" good
    check "$mode" "127.0.0.1:$XRDP_PORT"
    assert_eq active "$(sess "$mode" .outcome)" "$mode: session outcome"
    assert_eq true "$(sess "$mode" .demand_active.seen)" "$mode: Demand Active"
    assert_eq true "$(sess "$mode" .license.valid_client)" "$mode: licensing valid client"
    assert_eq 11 "$(sess "$mode" .requested_echo)" "$mode: the echo of the request (SSL|HYBRID|HYBRID_EX)"
    assert_eq 0 "$(sess "$mode" .encryption_level)" "$mode: no Standard RDP Security encryption"
    assert_eq "[]" "$(sess "$mode" '.error_info | tostring')" "$mode: no errorInfo"
    has_finding "$mode" session-ok
    no_finding "$mode" session-closed-during-setup
    no_finding "$mode" protocol-mismatch
    assert_eq ok "$(q "$mode" .verdict.phases.session)" "$mode: session phase"
    assert_eq none "$(q "$mode" .verdict.ends_at)" "$mode: ends nowhere"
    # xrdp has no NLA: a warning (nla-not-enforced or tls-not-allowed), never critical.
    assert_eq 1 "$RC" "$mode: exit code (warning)"
    assert_contains "$LAB/$mode.flat" "Demand Active after licensing (valid client)"
    lab_stop "$XRDP_PID"
done

# --- require_credentials=true: xrdp ends the connection after the Client Info (no credentials in
# it) with a Disconnect Provider Ultimatum, reason 3, during licensing.
lab_xrdp tls good require_credentials=true
check nocreds "127.0.0.1:$XRDP_PORT"
assert_eq 2 "$RC" "nocreds: exit code (critical)"
assert_eq disconnected "$(sess nocreds .outcome)" "nocreds: session outcome"
assert_eq licensing "$(sess nocreds .step)" "nocreds: step"
assert_eq 3 "$(sess nocreds .disconnect_ultimatum)" "nocreds: DPU reason"
has_finding nocreds session-closed-during-setup
no_finding nocreds session-ok
assert_eq session-closed-during-setup "$(q nocreds .verdict.root_cause)" "nocreds: root cause"
assert_client nocreds 0x904 none
assert_eq session "$(q nocreds .verdict.ends_at)" "nocreds: ends at"
assert_eq failed "$(q nocreds .verdict.phases.session)" "nocreds: session phase"
assert_eq 0x904 "$(q nocreds .verdict.client_error_code)" "nocreds: predicted client code"
evidence=$(q nocreds '[.findings[] | select(.id == "session-closed-during-setup")][0].evidence | join(" ")')
[[ $evidence == */session/outcome* && $evidence == */session/disconnect_ultimatum* ]] ||
    lab_fail "nocreds: evidence does not point at the session facts: $evidence"
assert_contains "$LAB/nocreds.flat" "Disconnect Provider Ultimatum (reason 3) after Client Info, during licensing"
assert_contains "$LAB/nocreds.txt" "a Windows client's connection ends here"
assert_contains "$LAB/nocreds.nagios" "RDP CRITICAL"
assert_contains "$LAB/nocreds.nagios" "session-closed-during-setup"
lab_stop "$XRDP_PID"
echo "test_check_session: ok"
