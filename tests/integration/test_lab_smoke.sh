#!/bin/bash
# Smoke test of the integration harness (lib.sh): each recipe of test-lab.md that the harness offers
# works on this machine, with the wire behaviour recorded in test-lab §3 and §5. It does not run
# rdpdoctor ($1 is accepted and ignored), so it can run before the tool does anything:
#     bash tests/integration/test_lab_smoke.sh /bin/true
# Exit 0 pass, 1 fail, 77 skip (not root, or a lab package missing).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xrdp openssl faketime setpriv Xvfb freerdp-shadow-cli winpr-hash gcc pkg-config \
    ip iptables nft dnsmasq nc getent ss timeout

declare -A READY   # startup times, for the summary

# expect_cc HOST PORT PROTO EXPECTED WHAT
expect_cc() {
    local got
    got=$(capture_cc "$1" "$2" "$3")
    assert_eq "$4" "$got" "$5 CC for request $3"
}

# ---- certificates: each has exactly its one fault
lab_certs
C=$LAB/certs
openssl x509 -in "$C/good.crt" -noout -checkend 86400 >/dev/null || lab_fail "good.crt expires within a day"
openssl x509 -in "$C/good.crt" -noout -ext subjectAltName | grep -q 'DNS:rdp-lab.local, IP Address:127.0.0.1' ||
    lab_fail "good.crt lacks its SANs"
! openssl x509 -in "$C/expired.crt" -noout -checkend 0 >/dev/null || lab_fail "expired.crt is not expired"
openssl x509 -in "$C/expired.crt" -noout -ext subjectAltName | grep -q 'DNS:rdp-lab.local' || lab_fail "expired.crt lacks SAN"
nb=$(date -u -d "$(openssl x509 -in "$C/notyet.crt" -noout -startdate | cut -d= -f2)" +%s)
((nb > $(date +%s) + 29 * 86400)) || lab_fail "notyet.crt starts too early"
openssl x509 -in "$C/expiring.crt" -noout -checkend $((4 * 86400)) >/dev/null || lab_fail "expiring.crt expires too soon"
! openssl x509 -in "$C/expiring.crt" -noout -checkend $((6 * 86400)) >/dev/null || lab_fail "expiring.crt expires too late"
openssl x509 -in "$C/wrongname.crt" -noout -subject | grep -q 'CN = other.example.test' || lab_fail "wrongname CN"
openssl x509 -in "$C/weak.crt" -noout -text | grep -q 'Public-Key: (1024 bit)' || lab_fail "weak.crt is not RSA-1024"
openssl x509 -in "$C/weak.crt" -noout -text | grep -q 'sha1WithRSAEncryption' || lab_fail "weak.crt is not SHA-1"
[[ $(openssl x509 -in "$C/mismatch.crt" -noout -pubkey) != $(openssl pkey -in "$C/mismatch.key" -pubout) ]] ||
    lab_fail "mismatch.key matches its certificate"
[[ $(stat -c '%U %a' "$C/unreadable.key") == 'root 600' ]] || lab_fail "unreadable.key is not root 0600"
lab_log "ok: certificates good expired notyet wrongname expiring weak mismatch unreadable"
READY[certs]=$LAB_CERTS_MS

# ---- xrdp, §3 table rows (src-ref 12 34, RSP flags 01)
lab_xrdp negotiate good
READY[xrdp]=$LAB_READY_MS
expect_cc 127.0.0.1 "$XRDP_PORT" legacy "$(lab_cc_legacy 1234)" "xrdp negotiate"
expect_cc 127.0.0.1 "$XRDP_PORT" 0 "$(lab_cc_rsp 0)" "xrdp negotiate"
expect_cc 127.0.0.1 "$XRDP_PORT" 1 "$(lab_cc_rsp 1)" "xrdp negotiate"
expect_cc 127.0.0.1 "$XRDP_PORT" 2 "$(lab_cc_rsp 0)" "xrdp negotiate"
expect_cc 127.0.0.1 "$XRDP_PORT" 3 "$(lab_cc_rsp 1)" "xrdp negotiate"
lab_stop "$XRDP_PID"

lab_xrdp tls good
expect_cc 127.0.0.1 "$XRDP_PORT" legacy "$(lab_cc_legacy 1234)" "xrdp tls"
expect_cc 127.0.0.1 "$XRDP_PORT" 0 "$(lab_cc_fail 1)" "xrdp tls"
expect_cc 127.0.0.1 "$XRDP_PORT" 1 "$(lab_cc_rsp 1)" "xrdp tls"
expect_cc 127.0.0.1 "$XRDP_PORT" 3 "$(lab_cc_rsp 1)" "xrdp tls"
assert_eq "ok TLSv1.3" "$(lab_tls_probe 127.0.0.1 "$XRDP_PORT" 1 | cut -d' ' -f1-2)" "xrdp tls handshake"
lab_stop "$XRDP_PID"

lab_xrdp rdp good
expect_cc 127.0.0.1 "$XRDP_PORT" legacy "$(lab_cc_legacy 1234)" "xrdp rdp"
expect_cc 127.0.0.1 "$XRDP_PORT" 0 "$(lab_cc_rsp 0)" "xrdp rdp"
expect_cc 127.0.0.1 "$XRDP_PORT" 1 "$(lab_cc_rsp 0)" "xrdp rdp"
expect_cc 127.0.0.1 "$XRDP_PORT" 3 "$(lab_cc_rsp 0)" "xrdp rdp"
lab_stop "$XRDP_PID"

# F3: the key exists but xrdp (running as user xrdp) cannot read it.
lab_xrdp_as_xrdp_user tls unreadable
READY[xrdp-as-xrdp-user]=$LAB_READY_MS
expect_cc 127.0.0.1 "$XRDP_PORT" 0 "$(lab_cc_fail 3)" "xrdp tls unreadable key"
expect_cc 127.0.0.1 "$XRDP_PORT" 1 "$(lab_cc_fail 3)" "xrdp tls unreadable key"
expect_cc 127.0.0.1 "$XRDP_PORT" 3 "$(lab_cc_fail 3)" "xrdp tls unreadable key"
assert_contains "$XRDP_LOG" "Permission denied"
[[ $(ps -o user= -p "$XRDP_PID") == xrdp ]] || lab_fail "xrdp does not run as user xrdp"
lab_stop "$XRDP_PID"

# R1: a mismatched key is only found in the TLS handshake.
lab_xrdp tls mismatch
expect_cc 127.0.0.1 "$XRDP_PORT" 1 "$(lab_cc_rsp 1)" "xrdp tls mismatched key"
assert_eq plaintext "$(lab_tls_probe 127.0.0.1 "$XRDP_PORT" 1)" "xrdp mismatched key: reply to the ClientHello"
lab_stop "$XRDP_PID"

# A 1024-bit SHA-1 certificate: the handshake fails at OpenSSL's default level, works at SECLEVEL=0.
lab_xrdp tls weak
assert_eq plaintext "$(lab_tls_probe 127.0.0.1 "$XRDP_PORT" 1)" "xrdp weak cert, default SECLEVEL"
lab_stop "$XRDP_PID"
lab_xrdp tls weak 'tls_ciphers=DEFAULT:@SECLEVEL=0'
expect_cc 127.0.0.1 "$XRDP_PORT" 1 "$(lab_cc_rsp 1)" "xrdp tls weak cert"
assert_eq ok "$(lab_tls_probe 127.0.0.1 "$XRDP_PORT" 1 | cut -d' ' -f1)" "xrdp weak cert, SECLEVEL=0"
lab_stop "$XRDP_PID"

# IPv6 loopback, and the packaged ini (for session-phase tests).
if ip -6 addr show dev lo | grep -q 'inet6 ::1/'; then
    lab_xrdp6 tls good
    READY[xrdp6]=$LAB_READY_MS
    expect_cc ::1 "$XRDP_PORT" 1 "$(lab_cc_rsp 1)" "xrdp6 tls"
    [[ $(ss -Htln "( sport = :$XRDP_PORT )") == *'[::1]:'* ]] || lab_fail "xrdp6 does not listen on [::1] only"
    lab_stop "$XRDP_PID"
else
    lab_log "no ::1 here: IPv6 case not run"
fi
lab_xrdp_full negotiate good
READY[xrdp-full]=$LAB_READY_MS
expect_cc 127.0.0.1 "$XRDP_PORT" 3 "$(lab_cc_rsp 1)" "xrdp full ini"
lab_stop "$XRDP_PID"

# ---- FreeRDP shadow server under Xvfb, NLA with a SAM file (src-ref 00 00, RSP flags 03)
lab_shadow nla
READY[xvfb]=$LAB_XVFB_MS
READY[shadow]=$LAB_READY_MS
expect_cc 127.0.0.1 "$SHADOW_PORT" 1 "$(lab_cc_fail 5 0000)" "shadow nla"
expect_cc 127.0.0.1 "$SHADOW_PORT" 3 "$(lab_cc_rsp 2 03 0000)" "shadow nla"
lab_stop "$SHADOW_PID"

# ---- minisrv (our FreeRDP-server-library server), NLA
lab_minisrv nla
READY[minisrv]=$LAB_READY_MS
expect_cc 127.0.0.1 "$MINISRV_PORT" 1 "$(lab_cc_fail 5 0000)" "minisrv nla"
expect_cc 127.0.0.1 "$MINISRV_PORT" 3 "$(lab_cc_rsp 2 01 0000)" "minisrv nla"
# Real NTLM against the SAM file: xfreerdp's auth-only mode (needs the Xvfb display).
if command -v xfreerdp >/dev/null; then
    auth() { HOME=$LAB timeout 15 xfreerdp "/v:127.0.0.1:$MINISRV_PORT" "/u:$LAB_USER" "/p:$1" +auth-only /cert:ignore </dev/null; }
    assert_exit 0 auth "$LAB_PASS"
    rc=0; auth 'wrong' >"$LAB/auth-bad.out" 2>&1 || rc=$?
    ((rc != 0)) || lab_fail "minisrv accepted a wrong password"
    lab_log "ok: minisrv rejects a wrong password (xfreerdp rc $rc)"
fi
lab_stop "$MINISRV_PID"

# ---- network namespaces: xrdp inside SRV on 3389, faults seen from CLI
lab_netns_pair
lab_xrdp_in_srv tls good
READY[xrdp-in-netns]=$LAB_READY_MS
CC_NS=$NS_CLI expect_cc "$SRV_IP" 3389 1 "$(lab_cc_rsp 1)" "xrdp in netns"

# nc_probe: "ok", "refused", "unreachable" or "timeout" (nc -z -w 2 from CLI), and its time.
nc_probe() {
    local t0 rc=0 err
    t0=$(lab_ms)
    err=$(lab_in_cli nc -z -v -w 2 "$1" "${2:-3389}" 2>&1) || rc=$?
    NC_MS=$(($(lab_ms) - t0))
    if ((rc == 0)); then echo ok
    elif [[ $err == *refused* ]]; then echo refused
    elif [[ $err == *"No route"* || $err == *unreachable* ]]; then echo unreachable
    elif ((NC_MS >= 1800)); then echo timeout
    else echo "other: $err"
    fi
}
assert_eq ok "$(nc_probe "$SRV_IP")" "baseline connect"
lab_fault drop
assert_eq timeout "$(nc_probe "$SRV_IP")" "connect with iptables DROP"
lab_fault_clear
lab_fault reset
assert_eq refused "$(nc_probe "$SRV_IP")" "connect with REJECT tcp-reset"
lab_fault_clear
lab_fault host-prohibited
assert_eq unreachable "$(nc_probe "$SRV_IP")" "connect with REJECT icmp-host-prohibited"
lab_fault_clear
lab_fault nth-loss
lab_fault_clear
# The TLS-record drop leaves X.224 intact.
lab_fault tls-drop
CC_NS=$NS_CLI expect_cc "$SRV_IP" 3389 1 "$(lab_cc_rsp 1)" "xrdp in netns with tls-drop"
assert_eq timeout "$(CC_NS=$NS_CLI lab_tls_probe "$SRV_IP" 3389 1 2)" "TLS handshake with tls-drop"
lab_fault_clear
assert_eq refused "$(nc_probe "$SRV_IP" 3390)" "closed port"
lab_silent_host
assert_eq timeout "$(nc_probe "$SILENT_IP")" "silent host"

# ---- DNS faults: dnsmasq in SRV, resolver of CLI
lab_dnsmasq_in_srv "--address=/rdp-ok.lab.test/$SRV_IP" --address=/nxdomain.lab.test/
got=$(lab_in_cli getent hosts rdp-ok.lab.test | awk '{print $1}')
assert_eq "$SRV_IP" "$got" "rdp-ok.lab.test resolves"
rc=0; lab_in_cli getent hosts nxdomain.lab.test >/dev/null || rc=$?
assert_eq 2 "$rc" "getent exit status for nxdomain.lab.test (2: not found)"
assert_contains "$LAB/logs/dnsmasq.log" "nxdomain.lab.test"

summary=
for k in "${!READY[@]}"; do summary+=" $k=${READY[$k]}ms"; done
lab_log "startup times:$summary"
lab_log "smoke test passed in $(($(lab_ms) - LAB_T0)) ms"
