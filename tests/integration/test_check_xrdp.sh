#!/bin/bash
# `rdpdoctor check` against real xrdp servers on 127.0.0.1 high ports (test-lab §2, §3): each
# configuration must produce its facts (what was selected, the TLS outcome, the certificate) and
# its finding ids, with the documented exit code. Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xrdp jq openssl faketime
lab_certs

# check NAME TARGET [ARGS…]: runs the check once in JSON and once as text; sets RC.
check() {
    local name=$1 target=$2
    shift 2
    RC=0
    "$RDPDOCTOR" check --json "$@" "$target" >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    "$RDPDOCTOR" check "$@" "$target" >"$LAB/$name.txt" 2>>"$LAB/$name.err" || true
    [[ -s $LAB/$name.json ]] || lab_fail "$name: no JSON report (exit $RC): $(cat "$LAB/$name.err")"
    [[ ! -s $LAB/$name.err ]] || lab_fail "$name: unexpected stderr: $(cat "$LAB/$name.err")"
    jq -e . "$LAB/$name.json" >/dev/null || lab_fail "$name: invalid JSON"
}
q() { jq -r "$2" "$LAB/$1.json"; }
findings() { q "$1" '[.findings[].id] | sort | join(" ")'; }
has_finding() { [[ " $(findings "$1") " == *" $2 "* ]] || lab_fail "$1: no finding $2 (got: $(findings "$1"))"; }
no_finding() { [[ " $(findings "$1") " != *" $2 "* ]] || lab_fail "$1: unexpected finding $2"; }
selected() { q "$1" "[.facts.probes[] | select(.kind == \"negotiate\" and .request.protocols_name == \"$2\")][0].negotiation | \"\(.outcome) \(.selected_name)\(.failure_name // \"\")\""; }

# --- negotiate mode, good certificate: TLS works, NLA is not offered (xrdp has none).
lab_xrdp negotiate good
check negotiate "127.0.0.1:$XRDP_PORT"
assert_eq 1 "$RC" "negotiate: exit code (warning)"
assert_eq "rsp SSL" "$(selected negotiate "SSL|HYBRID|HYBRID_EX")" "negotiate: 11 -> SSL"
assert_eq "rsp RDP" "$(selected negotiate "HYBRID")" "negotiate: HYBRID alone -> RDP (xrdp)"
assert_eq "legacy " "$(selected negotiate none)" "negotiate: legacy request"
has_finding negotiate nla-not-enforced
has_finding negotiate cert-self-signed
no_finding negotiate cert-expired
assert_eq "ok TLSv1.3" "$(q negotiate '[.facts.probes[] | select(.tls.outcome == "ok")][0].tls | "\(.outcome) \(.version)"')" "negotiate: TLS"
assert_eq "CN=rdp-lab.local" "$(q negotiate .facts.certificate.subject)" "negotiate: certificate subject"
assert_eq "$(openssl x509 -in "$LAB/certs/good.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)" \
    "$(q negotiate .facts.certificate.sha256)" "negotiate: certificate fingerprint"
# TLS versions: the minimal ini allows 1.2 and 1.3 only.
assert_eq "ok ok alert alert" "$(q negotiate '[.facts.probes[] | select(.kind == "tls-version")] | sort_by(.request.tls_version) | reverse | map(.tls.outcome) | join(" ")')" "negotiate: TLS 1.3 1.2 1.1 1.0"
(( $(q negotiate '.connections') <= 12 )) || lab_fail "more than 12 connections"
assert_contains "$LAB/negotiate.txt" "Timeline"
assert_contains "$LAB/negotiate.txt" "nla-not-enforced"

# --- piped into jq, as users do: xrdp's listen backlog of 2 must not turn into a false
# network-unstable (a lost SYN is replaced after 250 ms instead of waiting 1 s).
for i in 1 2 3; do
    "$RDPDOCTOR" check --json "127.0.0.1:$XRDP_PORT" | jq -r '[.findings[].id] | join(" ")' >"$LAB/piped.txt" || true
    assert_not_contains "$LAB/piped.txt" network-unstable
done
lab_stop "$XRDP_PID"

# --- by name: the certificate names rdp-lab.local, not localhost.
lab_xrdp tls good
check byname "localhost:$XRDP_PORT"
has_finding byname cert-name-mismatch
check byip "127.0.0.1:$XRDP_PORT"
no_finding byip cert-name-mismatch
lab_stop "$XRDP_PID"

# --- tls mode, key unreadable by the service (the MachineKeys case): SSL_CERT_NOT_ON_SERVER.
lab_xrdp_as_xrdp_user tls unreadable
check unreadable "127.0.0.1:$XRDP_PORT"
assert_eq 2 "$RC" "unreadable: exit code (critical)"
assert_eq tls-cert-not-on-server "$(q unreadable .verdict.root_cause)" "unreadable: root cause"
assert_client unreadable 0x904 0x7
assert_eq negotiate "$(q unreadable .verdict.ends_at)" "unreadable: ends at"
assert_eq "failure SSL_CERT_NOT_ON_SERVER" "$(selected unreadable "SSL|HYBRID|HYBRID_EX")" "unreadable: F3"
assert_contains "$LAB/unreadable.txt" "0x904, extended 0x7"
assert_contains "$LAB/unreadable.txt" "MachineKeys"
lab_stop "$XRDP_PID"

# --- negotiate mode, key unreadable: xrdp silently falls back to Standard RDP Security.
lab_xrdp_as_xrdp_user negotiate unreadable
check fallback "127.0.0.1:$XRDP_PORT"
assert_eq "rsp RDP" "$(selected fallback "SSL|HYBRID|HYBRID_EX")" "fallback: 11 -> RDP"
has_finding fallback tls-not-allowed
lab_stop "$XRDP_PID"

# --- key that does not match the certificate: TLS selected, then plaintext after the ClientHello.
lab_xrdp tls mismatch
check mismatch "127.0.0.1:$XRDP_PORT"
assert_eq 2 "$RC" "mismatch: exit code"
assert_eq tls-key-unusable "$(q mismatch .verdict.root_cause)" "mismatch: root cause"
assert_client mismatch 0x904 0x7
assert_eq tls "$(q mismatch .verdict.ends_at)" "mismatch: ends at"
assert_eq plaintext "$(q mismatch '[.facts.probes[] | select(.kind == "negotiate" and .tls != null)][0].tls.outcome')" "mismatch: TLS outcome"
has_finding mismatch tls-required
lab_stop "$XRDP_PID"

# --- rdp mode: Standard RDP Security only.
lab_xrdp rdp good
check rdp "127.0.0.1:$XRDP_PORT"
assert_eq 1 "$RC" "rdp: exit code"
has_finding rdp tls-not-allowed
no_finding rdp nla-not-enforced
assert_eq null "$(q rdp .facts.certificate)" "rdp: no certificate"
lab_stop "$XRDP_PID"

# --- certificate faults, each alone.
for c in expired:cert-expired notyet:cert-not-yet-valid expiring:cert-expires-soon; do
    lab_xrdp tls "${c%%:*}"
    check "${c%%:*}" "127.0.0.1:$XRDP_PORT"
    assert_eq 1 "$RC" "${c%%:*}: exit code"
    has_finding "${c%%:*}" "${c#*:}"
    lab_stop "$XRDP_PID"
done
no_finding expired cert-name-mismatch
(( $(q expired .facts.certificate.days_left) < -25 )) || lab_fail "expired: days_left"

# --- a weak certificate (RSA-1024, SHA-1) loads only at SECLEVEL=0.
lab_xrdp tls weak 'tls_ciphers=DEFAULT:@SECLEVEL=0'
check weak "127.0.0.1:$XRDP_PORT"
has_finding weak cert-weak
assert_eq "RSA 1024" "$(q weak '.facts.certificate | "\(.key_type) \(.key_bits)"')" "weak: key"
lab_stop "$XRDP_PID"

# --- TLS 1.0 only (an old server): the handshake works only at TLS 1.0.
lab_xrdp tls good 'ssl_protocols=TLSv1' 'tls_ciphers=DEFAULT:@SECLEVEL=0'
check tls10 "127.0.0.1:$XRDP_PORT"
has_finding tls10 tls-legacy-versions-only
assert_eq TLSv1.0 "$(q tls10 '[.facts.probes[] | select(.tls.outcome == "ok")][0].tls.version')" "tls10: version"
lab_stop "$XRDP_PID"

# --- TLS 1.0 only at the default security level: xrdp answers every ClientHello with an alert.
lab_xrdp tls good 'ssl_protocols=TLSv1'
check tls10alert "127.0.0.1:$XRDP_PORT"
assert_eq 2 "$RC" "tls10alert: exit code"
assert_eq tls-handshake-failed "$(q tls10alert .verdict.root_cause)" "tls10alert: root cause"
assert_client tls10alert 0x904 none
lab_stop "$XRDP_PID"

# --- IPv6.
lab_xrdp6 negotiate good
check v6 "[::1]:$XRDP_PORT"
assert_eq "::1" "$(q v6 .facts.reach.address)" "v6: address"
assert_eq "rsp SSL" "$(selected v6 "SSL|HYBRID|HYBRID_EX")" "v6: 11 -> SSL"
lab_stop "$XRDP_PID"

# --- nothing listens: refused.
port=$(lab_port)
check closed "127.0.0.1:$port"
assert_eq 2 "$RC" "closed: exit code"
assert_eq tcp-refused "$(q closed .verdict.root_cause)" "closed: root cause"
assert_client closed 0x204 none
assert_eq reach "$(q closed .verdict.ends_at)" "closed: ends at"
lab_log "xrdp check tests passed in $(($(lab_ms) - LAB_T0)) ms"
