#!/bin/bash
# The Name phase end to end (test-lab §5): `rdpdoctor check NAME --json` runs in NS_CLI, whose
# resolv.conf names dnsmasq in NS_SRV, so the system-resolver path of src/net/dns.c (servers from
# resolv.conf, search rules, hosts file) is the one under test. Each DNS outcome must come out as
# its own fact in .facts.name, where getaddrinfo would have said EAI_AGAIN or EAI_NONAME.
# Exit 0 pass, 1 fail, 77 skip (not root, no namespaces, dnsmasq or jq missing).
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd ip iptables dnsmasq jq
lab_netns_pair
# --local turns v6only's A question into a local NODATA; dnsmasq 2.90 would forward it, and with
# no upstream answer REFUSED, as it does for rdp-ok's AAAA.
lab_dnsmasq_in_srv "--address=/rdp-ok.lab.test/$SRV_IP" --address=/nxdomain.lab.test/ \
    --address=/v6only.lab.test/::1 --local=/v6only.lab.test/

# name_fact HOST : "status status_a status_aaaa first-address" from the check's JSON.
name_fact() {
    local rc=0 out=$LAB/$1.json
    lab_in_cli "$RDPDOCTOR" check --timeout 8 --json "$1" >"$out" 2>"$LAB/$1.err" || rc=$?
    if [[ $rc == 64 || ! -s $out ]]; then
        cat "$LAB/$1.err" >&2
        lab_fail "rdpdoctor check $1 exited $rc without a report"
    fi
    jq -r '.facts.name | "\(.status) \(.status_a) \(.status_aaaa) \(.addresses[0].address // "-")"' \
        "$out"
}

name_ms() { jq -r '.facts.name.duration_ms | floor' "$LAB/$1.json"; }

assert_eq "ok ok refused $SRV_IP" "$(name_fact rdp-ok.lab.test)" "rdp-ok.lab.test"
assert_eq "nxdomain nxdomain nxdomain -" "$(name_fact nxdomain.lab.test)" "nxdomain.lab.test"
assert_eq "refused refused refused -" "$(name_fact other.lab.test)" "other.lab.test (no upstream)"
assert_eq "ok nodata ok ::1" "$(name_fact v6only.lab.test)" "v6only.lab.test"
assert_contains "$LAB/logs/dnsmasq.log" "query[A] nxdomain.lab.test"
assert_contains "$LAB/logs/dnsmasq.log" "query[AAAA] nxdomain.lab.test"
# localhost never leaves the machine (hosts file, or RFC 6761).
assert_eq ok "$(name_fact localhost | cut -d' ' -f1)" "localhost"
assert_not_contains "$LAB/logs/dnsmasq.log" "localhost"

# A server that swallows every question: a timeout within the Name deadline (default 3 s).
lab_fault iptables -A INPUT -p udp --dport 53 -j DROP
lab_fault iptables -A INPUT -p tcp --dport 53 -j DROP
assert_eq "timeout timeout timeout -" "$(name_fact rdp-ok.lab.test)" "rdp-ok.lab.test, DNS dropped"
ms=$(name_ms rdp-ok.lab.test)
((ms >= 2500 && ms < 4500)) || lab_fail "timeout took $ms ms, expected about 3000"
lab_log "ok: timeout after $ms ms"

# No server at all behind the address: ICMP port unreachable, told apart from a timeout.
lab_in_srv iptables -F INPUT
lab_stop "$DNSMASQ_PID"
assert_eq "no-servers no-servers no-servers -" "$(name_fact rdp-ok.lab.test)" \
    "rdp-ok.lab.test, dnsmasq stopped"
lab_log "dns integration test passed in $(($(lab_ms) - LAB_T0)) ms"
