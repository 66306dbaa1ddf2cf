#!/bin/bash
# The resolver (src/net/dns.c) against real answers: dnsmasq on 127.0.0.1 at a free port, with the
# records that dns_resolve_dnsmasq.c expects (its header lists them), then that cmocka program
# asks it for each outcome: ok, NXDOMAIN, REFUSED, NODATA, IPv6 only, CNAME, a truncated UDP
# answer retried over TCP, concurrent requests on two loops, 200 at once on one resolver, and no
# socket left open.
# Loopback only, no root needed. Exit 0 pass, 1 fail, 77 skip (dnsmasq or the program missing).
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_cmd dnsmasq
HARNESS=$RD_BUILD_DIR/tests/integration/dns_resolve_dnsmasq
[[ -x $HARNESS ]] || lab_skip "$HARNESS not built (cmocka missing?)"

# 40 A records make a 700-byte answer: truncated over UDP (no EDNS), so c-ares asks again over
# TCP, and the resolver keeps RD_DNS_MAX_ADDRS of them.
many=()
for i in $(seq 1 40); do many+=("--address=/many.lab.test/127.0.1.$i"); done

# A port taken between lab_port and dnsmasq's bind makes dnsmasq exit: try another.
for attempt in 1 2 3; do
    port=$(lab_port)
    lab_spawn "dnsmasq-$port" dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null \
        --listen-address=127.0.0.1 --port="$port" --bind-interfaces --local-ttl=60 \
        --log-queries --log-facility=- \
        --address=/rdp-ok.lab.test/127.0.0.2 --address=/nxdomain.lab.test/ \
        --address=/v6only.lab.test/::1 --local=/v6only.lab.test/ \
        --host-record=dual.lab.test,127.0.0.6,::1 \
        --host-record=target.lab.test,127.0.0.3 --cname=alias.lab.test,target.lab.test \
        --txt-record=txtonly.lab.test,no-address-here --local=/txtonly.lab.test/ \
        --local=/many.lab.test/ "${many[@]}"
    DNSMASQ_PID=$LAB_LAST_PID
    deadline=$(($(lab_ms) + 5000))
    until lab_tcp_ok 127.0.0.1 "$port"; do
        _lab_alive "$DNSMASQ_PID" || break
        (($(lab_ms) < deadline)) || lab_fail "dnsmasq not listening on $port after 5 s"
        sleep 0.02
    done
    _lab_alive "$DNSMASQ_PID" && break
    lab_log "dnsmasq exited on port $port (attempt $attempt)"
    lab_stop "$DNSMASQ_PID"
    ((attempt < 3)) || lab_fail "dnsmasq would not start"
done
lab_log "dnsmasq: pid $DNSMASQ_PID on 127.0.0.1:$port"

rc=0
"$HARNESS" "127.0.0.1:$port" || rc=$?
((rc == 0)) || lab_fail "dns_resolve_dnsmasq: $rc case(s) failed"
assert_contains "$LAB/logs/dnsmasq-$port.log" "query[A] many.lab.test"
lab_log "dns resolve integration test passed in $(($(lab_ms) - LAB_T0)) ms"
