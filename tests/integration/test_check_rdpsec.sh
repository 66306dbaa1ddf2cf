#!/bin/bash
# `rdpdoctor check` through the session phase under Standard RDP Security (issue #12): the probe
# reads the server's certificate, sends the Security Exchange and an encrypted Client Info, and
# decrypts and MAC-checks what the server encrypts, up to Demand Active.
#  * xrdp from its packaged ini in rdp mode at every crypt_level it has: the method and level it
#    answers (low: 40-bit level 1, medium: 40-bit level 2, high: 128-bit level 3, fips: FIPS level
#    4), its proprietary certificate verified, Demand Active (encrypted above low).
#  * xrdp in negotiate mode: the client's probe under TLS, the RDP-only probe under Standard RDP
#    Security, both to Demand Active.
#  * minisrv rdp (FreeRDP's server library): refuses TLS, so the RDP-only probe stands for the
#    client; 128-bit at client-compatible level, licensing encrypted; its errorInfo 7 sent
#    encrypted is decrypted and named (server-denied-connection).
#  * FreeRDP's shadow server /sec:rdp: Demand Active (FreeRDP turns the encryption off for a peer
#    on loopback, so level 0 here).
# Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xrdp jq
lab_certs

check() {
    local name=$1 target=$2
    shift 2
    RC=0
    "$RDPDOCTOR" check --json "$@" "$target" >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    "$RDPDOCTOR" check "$@" "$target" >"$LAB/$name.txt" 2>>"$LAB/$name.err" || true
    [[ -s $LAB/$name.json ]] || lab_fail "$name: no JSON report (exit $RC): $(cat "$LAB/$name.err")"
    [[ ! -s $LAB/$name.err ]] || lab_fail "$name: unexpected stderr: $(cat "$LAB/$name.err")"
    jq -e . "$LAB/$name.json" >/dev/null || lab_fail "$name: invalid JSON"
    tr '\n' ' ' <"$LAB/$name.txt" | tr -s ' ' >"$LAB/$name.flat"
}
q() { jq -r "$2" "$LAB/$1.json"; }
findings() { q "$1" '[.findings[].id] | sort | join(" ")'; }
has_finding() { [[ " $(findings "$1") " == *" $2 "* ]] || lab_fail "$1: no finding $2 (got: $(findings "$1"))"; }
no_finding() { [[ " $(findings "$1") " != *" $2 "* ]] || lab_fail "$1: unexpected finding $2"; }
# The session facts of the probe with this request (0 = RDP only, 11 = the client's).
sess_of() { q "$1" "[.facts.probes[] | select(.request.session and .request.protocols == $2)][0].session | $3"; }

# --- xrdp rdp mode at each crypt_level: every request gets PROTOCOL_RDP, so the client's probe
# itself runs under Standard RDP Security.
declare -A METHOD=([low]=1 [medium]=1 [high]=2 [fips]=16) LEVEL=([low]=1 [medium]=2 [high]=3 [fips]=4)
for lvl in low medium high fips; do
    lab_xrdp_full rdp good "crypt_level=$lvl"
    check "rdp-$lvl" "127.0.0.1:$XRDP_PORT"
    n=rdp-$lvl
    assert_eq active "$(sess_of $n 11 .outcome)" "$n: session outcome"
    assert_eq "${METHOD[$lvl]}" "$(sess_of $n 11 .encryption_method)" "$n: encryption method"
    assert_eq "${LEVEL[$lvl]}" "$(sess_of $n 11 .encryption_level)" "$n: encryption level"
    assert_eq verified "$(sess_of $n 11 .rdp_security.certificate)" "$n: proprietary certificate verified"
    assert_eq 1 "$(sess_of $n 11 .rdp_security.certificate_version)" "$n: certificate version"
    assert_eq true "$(sess_of $n 11 .rdp_security.exchange_sent)" "$n: Security Exchange sent"
    assert_eq 1 "$(sess_of $n 11 .rdp_security.sent_encrypted)" "$n: Client Info encrypted"
    assert_eq false "$(sess_of $n 11 .rdp_security.mac_failed)" "$n: every MAC verified"
    assert_eq true "$(sess_of $n 11 .demand_active.seen)" "$n: Demand Active"
    assert_eq true "$(sess_of $n 11 .license.valid_client)" "$n: licensing valid client"
    # Level low encrypts only what the client sends; above it the server encrypts its Demand Active.
    if [[ $lvl == low ]]; then
        assert_eq 0 "$(sess_of $n 11 .rdp_security.received_encrypted)" "$n: server PDUs in clear"
    else
        got=$(sess_of $n 11 .rdp_security.received_encrypted)
        ((got >= 1)) || lab_fail "$n: no server PDU decrypted ($got)"
    fi
    has_finding "$n" session-ok
    no_finding "$n" rdp-security-cert-invalid
    no_finding "$n" rdp-security-mac-invalid
    no_finding "$n" session-closed-during-setup
    assert_eq ok "$(q "$n" .verdict.phases.session)" "$n: session phase"
    assert_eq 1 "$RC" "$n: exit code (warning: tls-not-allowed)"
    assert_contains "$LAB/$n.flat" "Standard RDP Security: certificate verified"
    lab_stop "$XRDP_PID"
done

# --- xrdp negotiate mode: TLS for the client's request, Standard RDP Security for RDP only.
lab_xrdp_full negotiate good crypt_level=high
check nego "127.0.0.1:$XRDP_PORT"
assert_eq active "$(sess_of nego 11 .outcome)" "nego: client's session"
assert_eq 0 "$(sess_of nego 11 .encryption_level)" "nego: no RDP encryption under TLS"
assert_eq null "$(sess_of nego 11 .rdp_security)" "nego: no Standard RDP Security under TLS"
assert_eq active "$(sess_of nego 0 .outcome)" "nego: RDP-only session"
assert_eq 2 "$(sess_of nego 0 .encryption_method)" "nego: RDP-only method"
assert_eq 3 "$(sess_of nego 0 .encryption_level)" "nego: RDP-only level"
assert_eq verified "$(sess_of nego 0 .rdp_security.certificate)" "nego: RDP-only certificate"
has_finding nego session-ok
lab_stop "$XRDP_PID"

# --- minisrv rdp: TLS refused (SSL_NOT_ALLOWED_BY_SERVER), so the RDP-only probe is the client's path.
lab_minisrv rdp good
check msrv "127.0.0.1:$MINISRV_PORT"
assert_eq failure "$(q msrv '[.facts.probes[] | select(.request.protocols == 11)][0].negotiation.outcome')" "msrv: client's request refused"
assert_eq active "$(sess_of msrv 0 .outcome)" "msrv: session outcome"
assert_eq 2 "$(sess_of msrv 0 .encryption_method)" "msrv: 128-bit"
assert_eq 2 "$(sess_of msrv 0 .encryption_level)" "msrv: client compatible"
assert_eq verified "$(sess_of msrv 0 .rdp_security.certificate)" "msrv: certificate"
assert_eq true "$(sess_of msrv 0 .rdp_security.license_encrypted)" "msrv: licensing encrypted (SEC_LICENSE_ENCRYPT_SC)"
got=$(sess_of msrv 0 .rdp_security.received_encrypted)
((got >= 2)) || lab_fail "msrv: expected the licensing and Demand Active decrypted, got $got"
has_finding msrv session-ok
assert_eq ok "$(q msrv .verdict.phases.session)" "msrv: session phase"
lab_stop "$MINISRV_PID"

lab_minisrv rdp good --error-info 7@info
check msrv7 "127.0.0.1:$MINISRV_PORT"
assert_eq 2 "$RC" "msrv7: exit code (critical)"
assert_eq error-info "$(sess_of msrv7 0 .outcome)" "msrv7: session outcome"
assert_eq 7 "$(sess_of msrv7 0 '.error_info[0].code')" "msrv7: errorInfo"
assert_eq ERRINFO_SERVER_DENIED_CONNECTION "$(sess_of msrv7 0 '.error_info[0].name')" "msrv7: errorInfo name"
got=$(sess_of msrv7 0 .rdp_security.received_encrypted)
((got >= 1)) || lab_fail "msrv7: the errorInfo did not come encrypted ($got decrypted)"
has_finding msrv7 server-denied-connection
assert_eq server-denied-connection "$(q msrv7 .verdict.root_cause)" "msrv7: root cause"
lab_stop "$MINISRV_PID"

# --- FreeRDP's shadow server /sec:rdp, when it can run here (Xvfb).
if command -v freerdp-shadow-cli >/dev/null && command -v Xvfb >/dev/null; then
    lab_shadow rdp
    check shadow "127.0.0.1:$SHADOW_PORT"
    assert_eq active "$(sess_of shadow 0 .outcome)" "shadow: session outcome"
    has_finding shadow session-ok
    lab_stop "$SHADOW_PID"
else
    lab_log "shadow: freerdp-shadow-cli or Xvfb missing, that part skipped"
fi
echo "test_check_rdpsec: ok"
