#!/bin/bash
# The session phase's channel joins (issue #12, round trips): rdpdoctor announces
# RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN and skips the joins when the server's core data answers
# RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED; otherwise it sends every Channel Join Request in one
# flight and takes the confirms in any order.
# * session-skip-join (tests/servers/scripts/): a scripted server that supports skipping, as
#   Windows 8.1 / 2012 R2 and later do, and answers the PDU after the Attach User Request with
#   licensing and Demand Active: reached only if no join was sent.
# * session-joins-batched: a scripted server that reads both join requests before it confirms
#   either, then confirms them in the other order: reached only if the joins went in one flight.
# * minisrv (FreeRDP 2.11's server library, which has no skip-channel-join support) and xrdp 0.9
#   (packaged ini, whose core data does not offer it either; xrdp's development branch does, after
#   0.10.1): the joins in one flight, all confirmed, Demand Active.
# Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
source "$(dirname "$0")/lib_responder.sh" "$1"
lab_require_cmd jq
lab_certs

check() { # NAME PORT : JSON and text
    local name=$1 port=$2
    RC=0
    "$RDPDOCTOR" check --json "127.0.0.1:$port" >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    "$RDPDOCTOR" check "127.0.0.1:$port" >"$LAB/$name.txt" 2>>"$LAB/$name.err" || true
    [[ -s $LAB/$name.json ]] || lab_fail "$name: no JSON report (exit $RC): $(cat "$LAB/$name.err")"
    jq -e . "$LAB/$name.json" >/dev/null || lab_fail "$name: invalid JSON"
}
sess() { jq -r "[.facts.probes[] | select(.request.session)][0].session | $2" "$LAB/$1.json"; }
explain() { responder_log >&2 || true; }

# --- a server that supports skipping the joins: none sent, the Client Info straight after the
# Attach User Confirm.
responder_start session-skip-join
check skip "$RESPONDER_PORT"
[[ $(sess skip .outcome) == active ]] || explain
assert_eq active "$(sess skip .outcome)" "skip: session outcome"
assert_eq true "$(sess skip .demand_active.seen)" "skip: Demand Active"
assert_eq 8 "$(sess skip .early_capabilities)" "skip: the server's SKIP_CHANNELJOIN_SUPPORTED"
assert_eq 2048 "$(sess skip '.early_capabilities_sent % 4096 - .early_capabilities_sent % 2048')" \
    "skip: our RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN"
assert_eq true "$(sess skip .channel_joins.skipped)" "skip: joins skipped"
assert_eq 0 "$(sess skip .channel_joins.sent)" "skip: no join sent"
assert_contains "$LAB/skip.txt" "joins     skipped: both sides support skipping the channel joins"
responder_stop >/dev/null || true

# --- a server that answers the joins only once both have arrived, in the other order.
responder_start session-joins-batched
check batched "$RESPONDER_PORT"
[[ $(sess batched .outcome) == active ]] || explain
assert_eq active "$(sess batched .outcome)" "batched: session outcome"
assert_eq 0 "$(sess batched .early_capabilities)" "batched: no skip offered"
assert_eq false "$(sess batched .channel_joins.skipped)" "batched: joins not skipped"
assert_eq 2 "$(sess batched .channel_joins.sent)" "batched: user and I/O joins sent"
assert_eq 2 "$(sess batched .channel_joins.confirmed)" "batched: both confirmed, in the other order"
assert_contains "$LAB/batched.txt" "2 of 2 Channel Join Requests confirmed (sent in one flight)"
responder_stop >/dev/null || true

# --- minisrv (FreeRDP 2 server library) over TLS: no skip support; the joins in one flight.
lab_minisrv tls
check minisrv "$MINISRV_PORT"
assert_eq active "$(sess minisrv .outcome)" "minisrv: session outcome"
assert_eq 0 "$(sess minisrv '(.early_capabilities // 0) % 16 - (.early_capabilities // 0) % 8')" \
    "minisrv: FreeRDP 2 does not offer SKIP_CHANNELJOIN"
assert_eq false "$(sess minisrv .channel_joins.skipped)" "minisrv: joins not skipped"
sent=$(sess minisrv .channel_joins.sent)
((sent >= 2)) || lab_fail "minisrv: $sent joins sent (user and I/O at least)"
assert_eq "$sent" "$(sess minisrv .channel_joins.confirmed)" "minisrv: every join confirmed"
lab_stop "$MINISRV_PID"

# --- xrdp 0.9 from its packaged ini: no skip support; the joins in one flight, read by xrdp one
# after the other.
lab_require_root
lab_xrdp_full negotiate good
check xrdp "$XRDP_PORT"
assert_eq active "$(sess xrdp .outcome)" "xrdp: session outcome"
assert_eq false "$(sess xrdp .channel_joins.skipped)" "xrdp: joins not skipped"
assert_eq 2 "$(sess xrdp .channel_joins.sent)" "xrdp: user and I/O joins sent"
assert_eq 2 "$(sess xrdp .channel_joins.confirmed)" "xrdp: both confirmed"
lab_stop "$XRDP_PID"
echo "test_check_session_joins: ok"
