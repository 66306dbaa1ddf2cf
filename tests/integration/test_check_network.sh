#!/bin/bash
# Network faults between a client and a real xrdp, in network namespaces this test creates
# (test-lab §5, §9): DROP, REJECT with a reset or ICMP, a silent host, lost packets, a middlebox
# that drops the server's TLS records, and DNS. rdpdoctor runs inside the client namespace.
# Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd ip iptables nft xrdp jq dnsmasq
lab_certs
lab_netns_pair
lab_xrdp_in_srv negotiate good

# run NAME TARGET [ARGS…]: rdpdoctor check --json from the client namespace; sets RC, ELAPSED_MS.
run() {
    local name=$1 target=$2 t0
    shift 2
    t0=$(lab_ms)
    RC=0
    lab_in_cli "$RDPDOCTOR" check --json --step-timeout 1.5 --timeout 6 "$@" "$target" \
        >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    ELAPSED_MS=$(($(lab_ms) - t0))
    [[ -s $LAB/$name.json ]] && jq -e . "$LAB/$name.json" >/dev/null || lab_fail "$name: no valid JSON (exit $RC): $(cat "$LAB/$name.err")"
}
q() { jq -r "$2" "$LAB/$1.json"; }
root() { q "$1" .verdict.root_cause; }
has_finding() { [[ $(q "$1" "[.findings[].id] | index(\"$2\") != null") == true ]] || lab_fail "$1: no finding $2 (got $(q "$1" '[.findings[].id] | join(" ")'))"; }

run baseline "$SRV_IP"
assert_eq 1 "$RC" "baseline: exit code"
assert_eq none "$(q baseline .verdict.ends_at)" "baseline: ends at"

lab_fault drop
run drop "$SRV_IP"
assert_eq tcp-filtered "$(root drop)" "drop: root cause"
assert_client drop 0x204 none
assert_eq refused "$(q drop '[.facts.reach.other_ports[] | select(.outcome == "refused")][0].outcome')" "drop: another port answers"
(( ELAPSED_MS < 5500 )) || lab_fail "drop: took $ELAPSED_MS ms"
run drop-noside "$SRV_IP" --no-side-ports
assert_eq tcp-filtered "$(root drop-noside)" "drop without side ports: root cause"
assert_client drop-noside 0x204 none
assert_eq 0 "$(q drop-noside '.facts.reach.other_ports | length')" "drop without side ports: none tried"
lab_fault_clear

lab_fault reset
run reset "$SRV_IP"
assert_eq tcp-refused "$(root reset)" "reject tcp-reset: root cause"
assert_client reset 0x204 none
lab_fault_clear

lab_fault host-prohibited
run prohibited "$SRV_IP"
assert_eq tcp-unreachable "$(root prohibited)" "icmp host-prohibited: root cause"
assert_client prohibited 0x204 none
lab_fault_clear

lab_silent_host
run silent "$SILENT_IP"
assert_eq host-down "$(root silent)" "silent host: root cause"
assert_client silent 0x204 none

# Every 5th packet to the RDP port is lost: some SYNs wait for their retransmission.
lab_fault nth-loss
run loss "$SRV_IP" --step-timeout 3
has_finding loss network-unstable
lab_fault_clear

# A middlebox drops the server's TLS records: negotiation works, the handshake stalls.
lab_fault tls-drop
run tlsdrop "$SRV_IP"
assert_eq tls-handshake-failed "$(root tlsdrop)" "tls-drop: root cause"
assert_client tlsdrop 0x904 none
assert_eq stall "$(q tlsdrop '[.facts.probes[] | select(.kind == "negotiate" and .tls != null)][0].tls.outcome')" "tls-drop: stall"
lab_in_srv nft delete table inet rdlab

# DNS: a name that does not exist, and one that resolves to a host where nothing listens.
lab_dnsmasq_in_srv "--address=/rdp.lab.test/$SRV_IP" --address=/nxdomain.lab.test/ \
    "--address=/wrong.lab.test/$CLI_IP" "--host-record=dual.lab.test,$SRV_IP,::1"
run byname rdp.lab.test
assert_eq "$SRV_IP" "$(q byname .facts.reach.address)" "by name: address"
run nxdomain nxdomain.lab.test
assert_eq dns-nxdomain "$(root nxdomain)" "nxdomain: root cause"
assert_client nxdomain 0x104 none
assert_eq name "$(q nxdomain .verdict.ends_at)" "nxdomain: ends at"
run wrong wrong.lab.test
assert_eq tcp-refused "$(root wrong)" "wrong host: root cause"
assert_client wrong 0x204 none
# Two addresses, the first (::1, tried first by RFC 6724) refuses: the probes move to the second.
run dual dual.lab.test
assert_eq "::1 $SRV_IP" "$(q dual '[.facts.name.addresses[].address] | join(" ")')" "dual: addresses in order"
assert_eq "$SRV_IP" "$(q dual .facts.reach.address)" "dual: probes ran on the address that connects"
assert_eq "refused" "$(q dual '.facts.reach.addresses[0].outcome')" "dual: first address refused"
assert_eq 1 "$RC" "dual: exit code (as for the server itself)"
lab_log "network fault tests passed in $(($(lab_ms) - LAB_T0)) ms"
