#!/bin/bash
# Server behaviours no real server here produces on demand, played by our scripted responder
# (tests/servers/scripts): silence, close and reset after the Connection Request, other services,
# a one-byte-a-second drip, garbage, hostile lengths, a legacy server, and TLS-phase faults.
# Each must come out as its fact and finding, inside the deadline. Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
source "$(dirname "$0")/lib_responder.sh" "$RDPDOCTOR"
lab_require_cmd jq openssl

# run SCRIPT [ARGS…]: starts a responder with SCRIPT, checks it, stops it; sets RC, ELAPSED_MS.
run() {
    local script=$1
    shift
    responder_start "$script" || lab_fail "responder $script did not start"
    local t0
    t0=$(lab_ms)
    RC=0
    "$RDPDOCTOR" check --json --step-timeout 1 --timeout 4 "$@" "127.0.0.1:$RESPONDER_PORT" \
        >"$LAB/$script.json" 2>"$LAB/$script.err" || RC=$?
    ELAPSED_MS=$(($(lab_ms) - t0))
    responder_stop
    [[ -s $LAB/$script.json ]] && jq -e . "$LAB/$script.json" >/dev/null || lab_fail "$script: no valid JSON (exit $RC): $(cat "$LAB/$script.err")"
}
q() { jq -r "$2" "$LAB/$1.json"; }
root() { q "$1" .verdict.root_cause; }
outcome() { q "$1" '[.facts.probes[] | select(.kind == "negotiate")][0].negotiation.outcome'; }
tls_outcome() { q "$1" '[.facts.probes[] | select(.kind == "negotiate" and .tls != null)][0].tls.outcome'; }

run silent-after-cr
assert_eq rdp-no-answer "$(root silent-after-cr)" "silent: root cause"
assert_client silent-after-cr 0x108 none
assert_eq silent "$(outcome silent-after-cr)" "silent: outcome"
# Every probe waits one step (1 s) at most; the check must not wait for the responder's cap.
(( ELAPSED_MS < 3000 )) || lab_fail "silent: took $ELAPSED_MS ms with a 1 s step"

run close-after-cr
assert_eq rdp-closed-after-request "$(root close-after-cr)" "close: root cause"
assert_client close-after-cr 0x904 none
assert_eq closed "$(outcome close-after-cr)" "close: outcome"
assert_eq 2 "$RC" "close: exit code"

run reset-after-cr
assert_eq rdp-closed-after-request "$(root reset-after-cr)" "reset: root cause"
assert_client reset-after-cr 0x904 none
assert_eq reset "$(outcome reset-after-cr)" "reset: outcome"

run http-banner
assert_eq http-not-rdp "$(root http-banner)" "http: root cause"
assert_client http-banner 0x904 none
assert_eq http "$(q http-banner '[.facts.probes[] | select(.kind == "negotiate")][0].negotiation.service')" "http: service"

run ssh-banner
assert_eq ssh-not-rdp "$(root ssh-banner)" "ssh: root cause"
assert_client ssh-banner 0x904 none
assert_contains "$LAB/ssh-banner.json" "SSH-2.0-OpenSSH"

run garbage
assert_eq not-rdp-service "$(root garbage)" "garbage: root cause"
assert_client garbage 0x904 none

run oversized-tpkt
assert_eq malformed "$(outcome oversized-tpkt)" "oversized: outcome"
(( ELAPSED_MS < 3000 )) || lab_fail "oversized: waited for 65535 bytes ($ELAPSED_MS ms)"

# One byte a second for 19 s: the step deadline (1 s) ends it, whatever the drip.
run drip
assert_eq silent "$(outcome drip)" "drip: outcome"
(( ELAPSED_MS < 3000 )) || lab_fail "drip: took $ELAPSED_MS ms with a 1 s step"
# The whole-check deadline holds too, with generous steps.
run drip --step-timeout 30 --timeout 2
(( ELAPSED_MS < 4000 )) || lab_fail "drip: took $ELAPSED_MS ms with a 2 s check deadline"
assert_eq true "$(q drip .facts.deadline_hit)" "drip: deadline recorded"

run legacy-cc
assert_eq true "$(q legacy-cc '[.findings[].id] | index("rdp-legacy-server") != null')" "legacy: finding"

run nla-required
assert_eq true "$(q nla-required '[.findings[].id] | index("nla-required") != null')" "nla-required: finding"

run tls-alert-internal-error
assert_eq tls-handshake-failed "$(root tls-alert-internal-error)" "alert: root cause"
assert_client tls-alert-internal-error 0x904 none
assert_eq "alert internal_error" "$(q tls-alert-internal-error '[.facts.probes[] | select(.tls != null)][0].tls | "\(.outcome) \(.alert_name)"')" "alert: fact"

run tls-close-after-hello
assert_eq tls-key-unusable "$(root tls-close-after-hello)" "close after hello: root cause"
assert_client tls-close-after-hello 0x904 0x7
assert_eq closed "$(tls_outcome tls-close-after-hello)" "close after hello: outcome"

run tls-plaintext-after-hello
assert_eq tls-key-unusable "$(root tls-plaintext-after-hello)" "plaintext: root cause"
assert_client tls-plaintext-after-hello 0x904 0x7
assert_eq "0300000902f0802180" "$(q tls-plaintext-after-hello '[.facts.probes[] | select(.tls != null)][0].tls.first_bytes_hex')" "plaintext: bytes"

run tls-stall
assert_eq tls-handshake-failed "$(root tls-stall)" "stall: root cause"
assert_client tls-stall 0x904 none
assert_eq stall "$(tls_outcome tls-stall)" "stall: outcome"
(( ELAPSED_MS < 3000 )) || lab_fail "stall: took $ELAPSED_MS ms with a 1 s step"

run tls1-only
assert_eq true "$(q tls1-only '[.findings[].id] | index("tls-legacy-versions-only") != null')" "tls1-only: finding"
# CredSSP: the server's CHALLENGE says who it is; an old TSRequest version, a wrong clock.
run credssp-challenge-2019
assert_eq "challenge 6 VGPC" "$(q credssp-challenge-2019 '[.facts.probes[] | select(.credssp != null)][0].credssp | "\(.outcome) \(.version) \(.netbios_computer)"')" "credssp 2019: facts"
assert_eq true "$(q credssp-challenge-2019 '[.findings[].id] | index("clock-skew") != null')" "credssp 2019: clock-skew"
assert_eq true "$(q credssp-challenge-2019 '[.findings[].id] | index("host-identity") != null')" "credssp 2019: host-identity"
run credssp-challenge-v3
assert_eq credssp-outdated "$(root credssp-challenge-v3)" "credssp v3: root cause"
assert_client credssp-challenge-v3 none none
assert_eq 2 "$RC" "credssp v3: exit code"
# Authentication verdicts only a Windows server gives (an errorCode), and a foreign binding.
RDPDOCTOR_PASSWORD=irrelevant run credssp-auth-locked --user 'LAB\alice'
assert_eq account-locked "$(root credssp-auth-locked)" "errorCode locked: root cause"
assert_client credssp-auth-locked 0xD07 none
assert_eq 1 "$(q credssp-auth-locked '[.facts.probes[] | select(.authentication != null)] | length')" "errorCode locked: one attempt"
RDPDOCTOR_PASSWORD=irrelevant run credssp-auth-logon-type --user alice@lab.test
assert_eq remote-logon-not-granted "$(root credssp-auth-logon-type)" "errorCode logon type: root cause"
assert_client credssp-auth-logon-type 0x1307 none
RDPDOCTOR_PASSWORD=irrelevant run credssp-auth-binding --user alice
assert_eq credssp-binding-mismatch "$(root credssp-auth-binding)" "foreign pubKeyAuth: root cause"
assert_client credssp-auth-binding none none
# A plain `nc -l`: it accepts one connection and stays silent; the kernel completes a few more
# handshakes into its backlog, the rest time out or are refused once it stopped listening. The
# listener is the cause (no answer anywhere), not a lossy path.
if command -v nc >/dev/null; then
    NC_PORT=$(lab_port)
    lab_spawn nc nc -l 127.0.0.1 "$NC_PORT"
    lab_wait_listen "$NC_PORT"
    RC=0
    "$RDPDOCTOR" check --json --step-timeout 1 --timeout 4 "127.0.0.1:$NC_PORT" >"$LAB/nc-listen.json" \
        2>"$LAB/nc-listen.err" || RC=$?
    # Silence on the accepted connection; the backlog's connections are reset when nc stops
    # listening, around the same second: either names the listener.
    case $(root nc-listen) in
        rdp-no-answer) assert_client nc-listen 0x108 none ;;
        rdp-closed-after-request) assert_client nc-listen 0x904 none ;;
        *) lab_fail "nc -l: root cause $(root nc-listen), expected rdp-no-answer or rdp-closed-after-request" ;;
    esac
    assert_eq 2 "$RC" "nc -l: exit code"
    assert_eq 0 "$(q nc-listen '[.findings[] | select(.id == "network-unstable")] | length')" \
        "nc -l: no network-unstable without any answer"
fi
lab_log "fault responder check tests passed in $(($(lab_ms) - LAB_T0)) ms"
