#!/bin/bash
# Round trips of the session phase over the security phase (issue #12: at most 3), measured through
# bench/delayproxy.c (R ms added per round trip, R/2 each way). The session probe's own
# session.duration_ms runs from the end of the security phase (TLS, CredSSP, or the X.224 answer
# under Standard RDP Security) to its last PDU sent, so
#     round trips = (session_ms(R) - session_ms(0)) / R
# counts the waits for the server in the session phase alone. On this shared 2-core machine the
# servers' own time swings by hundreds of ms between runs, so the script also counts the round trips
# themselves, independent of load: in the proxy's event log (DELAYPROXY_VERBOSE=1) of one check at
# R, the session connection's turns (server data read after client data), minus the security
# phase's turns read from the check's facts (X.224 1; TLS 1.3 1, TLS 1.2 2; CredSSP with
# credentials 2, +1 for HYBRID_EX's Early User Authorization Result).
# Servers (root: the test harness starts them): xrdp from its packaged ini (lab_xrdp_full) in
# negotiate mode (TLS) and rdp mode (Standard RDP Security), minisrv (FreeRDP 2's server library)
# in tls and nla modes, and two scripted responders (tests/servers/scripts/): session-skip-join (a
# server that supports skipping the channel joins, as Windows 8.1 / 2012 R2 and later) and
# session-joins-batched (one that reads both join requests before confirming either).
# Usage: bench/session_rtt.sh [rdpdoctor [rdpdoctor-before]]   (RUNS=5, R=100, SERVERS="…")
# Results: bench/out/session-rtt-summary.txt and, per binary, server and R, the check's JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
before=${2:+$(realpath "$2")}
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
rm -f "$out"/session-rtt-*
RUNS=${RUNS:-5}
R=${R:-100}
SERVERS=${SERVERS:-"xrdp-negotiate xrdp-rdp minisrv-tls minisrv-nla skip-join joins-batched"}

build_cmd=$(sed -n '1s,^// build: ,,p' bench/delayproxy.c)
[[ $build_cmd == gcc* ]] || { echo "bench: no build line in bench/delayproxy.c" >&2; exit 3; }
eval "$build_cmd"
proxy=$out/delayproxy

export LAB_QUIET=1
# shellcheck source=../tests/integration/lib.sh
source tests/integration/lib.sh
lab_init "$bin"
# shellcheck source=../tests/integration/lib_responder.sh
source tests/integration/lib_responder.sh "$bin"
lab_certs

# shellcheck source=lib_proxy.sh
source bench/lib_proxy.sh

# The most turns (server data read after client data) on one connection of a proxy event log, up
# to the client's FIN: what the server sends after our last PDU (its close) is no wait of ours.
turns() {
    awk '$2 == "conn" && $4 == "c>s" && $5 == "FIN" { fin[$3] = 1 }
         $2 == "conn" && $5 == "data" && !fin[$3] {
            c = $3
            if ($4 == "c>s") sent[c] = 1
            else if (sent[c]) { n[c]++; sent[c] = 0 }
         }
         END { m = 0; for (c in n) if (n[c] > m) m = n[c]; print m }' "$1"
}

# The security phase's turns on the session probe's connection, from the check's facts.
security_turns() {
    jq -r '[.facts.probes[] | select(.request.session)][0] |
           1 + (if .tls == null or .tls.version == null then 0 elif .tls.version == "TLSv1.3" then 1 else 2 end)
             + (if .authentication != null then
                  2 + (if .authentication.early_authz_present then 1 else 0 end) else 0 end)' "$1"
}

# measure LABEL BIN PORT [ARGS…] : one row (session ms at 0 and R: medians and minima, round trips
# from them, round trips counted in the proxy log, outcome, joins).
measure() {
    local label=$1 b=$2 port=$3 d i f log all sec
    shift 3
    local -A med=() min=()
    for d in 0 "$R"; do
        : >"$LAB/durations"
        for i in $(seq "$RUNS"); do
            f=$out/session-rtt-$label-R$d.run$i.json
            log=$out/session-rtt-$label-R$d.run$i.proxy.log
            proxy_start "$port" "$d" "$log" 1
            "$b" check --json "$@" "127.0.0.1:$PROXY_PORT" >"$f" 2>/dev/null || true
            proxy_stop
            jq -r '[.facts.probes[] | select(.request.session)][0].session.duration_ms // "nan"' "$f" >>"$LAB/durations"
        done
        med[$d]=$(median <"$LAB/durations")
        min[$d]=$(sort -n "$LAB/durations" | head -1)
    done
    f=$out/session-rtt-$label-R$R.run1.json
    all=$(turns "$out/session-rtt-$label-R$R.run1.proxy.log")
    sec=$(security_turns "$f")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "${med[0]} / ${min[0]}" "${med[$R]} / ${min[$R]}" \
        "$(awk -v a="${med[0]}" -v b="${med[$R]}" -v r="$R" 'BEGIN{printf "%.2f", (b-a)/r}') / $(awk -v a="${min[0]}" -v b="${min[$R]}" -v r="$R" 'BEGIN{printf "%.2f", (b-a)/r}')" \
        "$all - $sec = $((all - sec))" \
        "$(jq -r '[.facts.probes[] | select(.request.session)][0].session | "\(.outcome)/\(.step)"' "$f")" \
        "$(jq -r '[.facts.probes[] | select(.request.session)][0].session.channel_joins // {} |
                  if .skipped == null then "-" elif .skipped then "skipped" else "\(.confirmed)/\(.sent) in one flight" end' "$f")"
}

rows=()
bench_server() { # NAME PORT [ARGS…]
    rows+=("$(measure "$1" "$bin" "${@:2}")")
    [[ -z $before ]] || rows+=("$(measure "$1-before" "$before" "${@:2}")")
}

for s in $SERVERS; do
    echo "== $s: measuring" >&2
    case $s in
    xrdp-negotiate | xrdp-rdp)
        lab_xrdp_full "${s#xrdp-}" good
        bench_server "$s" "$XRDP_PORT"
        lab_stop "$XRDP_PID"
        ;;
    minisrv-tls | minisrv-nla)
        lab_minisrv "${s#minisrv-}"
        if [[ $s == minisrv-nla ]]; then # the session goes on behind NLA only with credentials
            RDPDOCTOR_PASSWORD='Passw0rd!' bench_server "$s" "$MINISRV_PORT" --user testuser
        else
            bench_server "$s" "$MINISRV_PORT"
        fi
        lab_stop "$MINISRV_PID"
        ;;
    skip-join | joins-batched)
        responder_start "session-$s"
        bench_server "$s" "$RESPONDER_PORT"
        responder_stop >/dev/null || true
        ;;
    *) echo "bench: unknown server $s" >&2 ;;
    esac
done
summary=$out/session-rtt-summary.txt
{
    echo "session phase, $RUNS checks per server and delay (median / min): round trips by time = (session_ms(R) - session_ms(0)) / R;"
    echo "counted = the session connection's turns in the proxy log at R minus the security phase's"
    printf '%s\n' "${rows[@]}" | column -t -s $'\t' -N "server,session_ms_R0,session_ms_R$R,round_trips_by_time,counted,outcome/step,channel_joins"
} | tee "$summary"
