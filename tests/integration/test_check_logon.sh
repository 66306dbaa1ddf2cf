#!/bin/bash
# `rdpdoctor check --logon --user U` against real servers (issue #12, the logon): after Demand
# Active the client's probe sends Confirm Active and the finalization PDUs, waits for what the
# server says about the logon, then ends it (Shutdown Request, then our ultimatum if refused).
#
#  * minisrv (FreeRDP 2.11's server library) under NLA with the SAM file: --logon-ok (a Save
#    Session Info LOGON_LONG: logon-ok, exit 0), --logon-error TYPE:DATA (logon-failed or
#    session-start-failed with the predicted client code), no logon PDU and a close after
#    activation (authentication proven, then the end: session-start-failed); under TLS the
#    credentials go in the auto-logon Client Info, which minisrv echoes in its logon report.
#  * xrdp (packaged ini, tls) with xrdp-sesman and a local PAM account, in a namespace of their own
#    (xrdp reads sesman's port from /etc/xrdp/sesman.ini only): xrdp 0.9 never sends a logon
#    report — success, a wrong password and a session that cannot start (no X server) all look
#    the same on the wire: activation, graphics, silence. rdpdoctor says so (logon-not-reported),
#    never logon-ok; the test proves from sesman's and xrdp's own logs that the credentials
#    arrived and what really happened, so it fails if the auto-logon Client Info broke.
#  * --logon without --user is a one-line usage error (64); the password appears nowhere.
# Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd jq
lab_certs

# check NAME TARGET [ARGS…]: JSON, text and HTML of one --logon check each (three logons); RC is
# the JSON run's exit code. RUN_IN (a namespace) runs rdpdoctor inside it.
check() {
    local name=$1 target=$2 run=()
    shift 2
    [[ -n ${RUN_IN:-} ]] && run=(ip netns exec "$RUN_IN")
    RC=0
    "${run[@]}" "$RDPDOCTOR" check --json --logon "$@" "$target" >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    if [[ ${TEXT:-1} == 1 ]]; then
        "${run[@]}" "$RDPDOCTOR" check --logon --html "$LAB/$name.html" "$@" "$target" >"$LAB/$name.txt" \
            2>>"$LAB/$name.err" || true
        tr '\n' ' ' <"$LAB/$name.txt" | tr -s ' ' >"$LAB/$name.flat"
    fi
    [[ -s $LAB/$name.json ]] || lab_fail "$name: no JSON report (exit $RC): $(cat "$LAB/$name.err")"
    [[ ! -s $LAB/$name.err ]] || lab_fail "$name: unexpected stderr: $(cat "$LAB/$name.err")"
    jq -e . "$LAB/$name.json" >/dev/null || lab_fail "$name: invalid JSON"
    # Credentials never appear in any output.
    local f
    for f in "$LAB/$name".*; do
        ! grep -qF -- "$RDPDOCTOR_PASSWORD" "$f" || lab_fail "$name: the password appears in $f"
    done
}
q() { jq -r "$2" "$LAB/$1.json"; }
findings() { q "$1" '[.findings[].id] | sort | join(" ")'; }
has_finding() { [[ " $(findings "$1") " == *" $2 "* ]] || lab_fail "$1: no finding $2 (got: $(findings "$1"))"; }
no_finding() { [[ " $(findings "$1") " != *" $2 "* ]] || lab_fail "$1: unexpected finding $2"; }
logon() { q "$1" "[.facts.probes[] | select(.request.session)][0].session.logon | $2"; }
client_error() { q "$1" "[.findings[] | select(.id == \"$2\")][0].client_error"; }

# --- usage: --logon needs --user
RC=0
"$RDPDOCTOR" check --logon 127.0.0.1:1 >"$LAB/usage.out" 2>"$LAB/usage.err" || RC=$?
assert_eq 64 "$RC" "--logon without --user: exit code"
assert_eq 1 "$(wc -l <"$LAB/usage.err")" "--logon without --user: one line on stderr"
assert_contains "$LAB/usage.err" "--logon needs --user"
[[ ! -s $LAB/usage.out ]] || lab_fail "--logon without --user: output on stdout"

# --- minisrv under NLA (testuser / Passw0rd!, the SAM file): the TSCredentials carry the password.
export RDPDOCTOR_PASSWORD=$LAB_PASS
lab_minisrv nla good --logon-ok
check nla-ok "127.0.0.1:$MINISRV_PORT" --user "$LAB_USER"
assert_eq 0 "$RC" "nla-ok: exit code"
has_finding nla-ok logon-ok
has_finding nla-ok auth-ok
assert_eq reported "$(logon nla-ok .outcome)" "nla-ok: logon outcome"
assert_eq credssp "$(logon nla-ok .credentials)" "nla-ok: the credentials went in the TSCredentials"
assert_eq "$LAB_USER" "$(logon nla-ok .user)" "nla-ok: the account named"
assert_eq true "$(logon nla-ok '.finalization | .synchronize and .cooperate and .granted_control and .font_map')" \
    "nla-ok: the server's finalization (Synchronize, Cooperate, Granted Control, Font Map)"
assert_eq 1 "$(logon nla-ok .report_info_type)" "nla-ok: Save Session Info INFOTYPE_LOGON_LONG"
assert_eq 1 "$(logon nla-ok .session_id)" "nla-ok: session id"
assert_eq true "$(logon nla-ok .shutdown_sent)" "nla-ok: our Shutdown Request"
assert_contains "$LAB/nla-ok.flat" "the server reported the logon of $LAB_USER (Save Session Info INFOTYPE_LOGON_LONG, session id 1)"
assert_contains "$LAB/nla-ok.html" "logon-ok"
lab_stop "$MINISRV_PID"

# Logon error info: LOGON_FAILED_BAD_PASSWORD (0), then the Winlogon dialog that ends the session
# (LOGON_MSG_SESSION_TERMINATE), then LOGON_WARNING with the contention dialog (BUMP_OPTIONS).
for spec in "0:0 logon-failed" "0xFFFFFFFD:0 session-start-failed" "3:0xFFFFFFFB logon-failed"; do
    set -- $spec
    name=err-${1//:/-}
    TEXT=0 lab_minisrv nla good --logon-error "$1"
    TEXT=0 check "$name" "127.0.0.1:$MINISRV_PORT" --user "$LAB_USER"
    assert_eq 2 "$RC" "$name: exit code"
    has_finding "$name" "$2"
    no_finding "$name" logon-ok
    assert_eq error "$(logon "$name" .outcome)" "$name: logon outcome"
    assert_eq "$2" "$(q "$name" .verdict.root_cause)" "$name: root cause"
    lab_stop "$MINISRV_PID"
done
assert_eq "no code: the logon screen says why" "$(client_error err-0-0 logon-failed)" "logon-failed: client code"
assert_eq "0x904 (extended 0xC when the server logs it off)" \
    "$(client_error err-0xFFFFFFFD-0 session-start-failed)" "session-start-failed: client code"

# No logon PDU: minisrv closes right after activation. Authentication succeeded (NLA), then the
# server ended the connection before any report: the session could not start.
TEXT=0 lab_minisrv nla good
TEXT=0 check nla-close "127.0.0.1:$MINISRV_PORT" --user "$LAB_USER"
assert_eq 2 "$RC" "nla-close: exit code"
has_finding nla-close session-start-failed
assert_eq ended "$(logon nla-close .outcome)" "nla-close: logon outcome"
assert_eq closed "$(logon nla-close .end)" "nla-close: how it ended"
lab_stop "$MINISRV_PID"

# --- minisrv under TLS: the auto-logon Client Info carries user, domain and password; minisrv's
# logon report names the user it read from that Client Info.
lab_minisrv tls good --logon-ok
check tls-ok "127.0.0.1:$MINISRV_PORT" --user "LAB\\$LAB_USER"
assert_eq reported "$(logon tls-ok .outcome)" "tls-ok: logon outcome"
assert_eq client-info "$(logon tls-ok .credentials)" "tls-ok: the auto-logon Client Info"
assert_eq LAB "$(logon tls-ok .domain)" "tls-ok: domain"
has_finding tls-ok logon-ok
no_finding tls-ok auth-not-checked
lab_stop "$MINISRV_PID"

# --- xrdp + xrdp-sesman + Xvnc with a local account, in a namespace of their own.
lab_require_cmd xrdp xrdp-sesman
lab_netns_pair
U=rdl$LAB_SUFFIX
P="Lg-$LAB_SUFFIX-pw9"
lab_local_user "$U" "$P"
export RDPDOCTOR_PASSWORD=$P
lab_sesman_in_srv
lab_xrdp_full_in_srv tls good autorun=Xvnc
RUN_IN=$NS_CLI
target=$SRV_IP:3389
args=(--user "$U" --timeout 8)

# xrdp facts common to the three cases: activation, graphics, nothing said about the logon.
xrdp_silent() {
    local name=$1
    assert_eq not-reported "$(logon "$name" .outcome)" "$name: logon outcome (xrdp reports nothing)"
    assert_eq client-info "$(logon "$name" .credentials)" "$name: the auto-logon Client Info"
    assert_eq true "$(logon "$name" .finalization.font_map)" "$name: activated (Font Map)"
    [[ $(logon "$name" .updates) -gt 0 ]] || lab_fail "$name: no graphics updates"
    has_finding "$name" logon-not-reported
    no_finding "$name" logon-ok
    no_finding "$name" logon-failed
    assert_eq 1 "$RC" "$name: exit code (xrdp's own warnings: no NLA)"
}

TEXT=1 check xrdp-ok "$target" "${args[@]}"
xrdp_silent xrdp-ok
assert_contains "$SESMAN_LOG" "Session started successfully for user $U"
assert_contains "$LAB/xrdp-ok.flat" "said nothing about the logon"
_lab_sesman_sessions_stop "$SESMAN_PID"

RDPDOCTOR_PASSWORD=wrong-$P TEXT=0 check xrdp-bad "$target" "${args[@]}"
xrdp_silent xrdp-bad
assert_contains "$SESMAN_LOG" "AUTHFAIL: user=$U"

# With require_credentials=true, xrdp ends a connection whose Client Info has no auto-logon
# credentials (test_check_session.sh); with --logon it goes on: the Client Info carried them.
lab_stop "$XRDP_PID"
lab_xrdp_full_in_srv tls good autorun=Xvnc require_credentials=true
TEXT=0 check xrdp-req "$target" "${args[@]}"
no_finding xrdp-req session-closed-during-setup
assert_eq not-reported "$(logon xrdp-req .outcome)" "xrdp-req: logon outcome"
_lab_sesman_sessions_stop "$SESMAN_PID"

# A session that cannot start: sesman's X server path does not exist. PAM accepts the account,
# xrdp logs "Error connecting to user session", and the wire still says nothing.
lab_stop "$XRDP_PID"
_lab_sesman_sessions_stop "$SESMAN_PID"
lab_stop "$SESMAN_PID"
lab_sesman_in_srv /nonexistent/Xvnc
lab_xrdp_full_in_srv tls good autorun=Xvnc
TEXT=0 check xrdp-nostart "$target" "${args[@]}"
xrdp_silent xrdp-nostart
assert_contains "$XRDP_LOG" "login successful for user $U"
assert_contains "$XRDP_LOG" "Error connecting to user session"
echo "test_check_logon: ok"
