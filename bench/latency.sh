#!/bin/bash
# Round trips used by `rdpdoctor check` (DESIGN.md "Performance targets": reach + negotiate + TLS
# facts within about 3·L plus the server's own time; through our proxy, which cannot delay the TCP
# handshake, the bound is 2·L). netem is not available, so bench/delayproxy.c adds R ms per round
# trip (R/2 each way) in front of a real server on 127.0.0.1.
# For each R in $DELAYS: wall time (hyperfine), the check's own "duration_ms" ($RUNS runs, median),
# and (duration(R) - duration(0)) / R = round trips used. One more run per R with the proxy's event
# log (DELAYPROXY_VERBOSE=1) gives the per-connection timeline.
# Usage: bench/latency.sh [path/to/rdpdoctor]     (RUNS=10, DELAYS="0 50 100 200", SERVERS="xrdp minisrv")
# Results in bench/out/latency-*: SERVER-R<ms>.json (one check), .proxy.log (timeline),
# .hyperfine.json, .durations (duration_ms per run), latency-summary.txt (the tables printed).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
rm -f "$out"/latency-*   # this script's earlier results only
RUNS=${RUNS:-10}
DELAYS=${DELAYS:-"0 50 100 200"}
SERVERS=${SERVERS:-"xrdp minisrv"}
[[ " $DELAYS " == *" 0 "* ]] || { echo "bench: DELAYS must include 0 (the server's own time)" >&2; exit 64; }

# Build the proxy with the command on its first line (into bench/out/, git-ignored).
build_cmd=$(sed -n '1s,^// build: ,,p' bench/delayproxy.c)
[[ $build_cmd == gcc* ]] || { echo "bench: no build line in bench/delayproxy.c" >&2; exit 3; }
eval "$build_cmd"
proxy=$out/delayproxy

export LAB_QUIET=1
# shellcheck source=../tests/integration/lib.sh
source tests/integration/lib.sh
lab_init "$bin"
lab_certs

# shellcheck source=lib_proxy.sh
source bench/lib_proxy.sh

# One compact line per connection from a proxy event log: times in ms from the first accept.
timeline() {
    awk '$2=="conn" {
            t=$1; c=$3; if (t0=="") t0=t
            if ($4=="accepted") ev="acc"
            else if ($4=="closed") ev="end"
            else if ($4=="connected" || $4=="connect") next
            else if ($5=="data") ev=$4 $6
            else { ev=$4 " " $5; if ($6=="delivered") ev=ev "(dlv)"; gsub(/ [0-9]+$/, "", ev) }
            line[c]=line[c] sprintf(" %s@%.0f", ev, t-t0); if (!(c in seen)) { seen[c]=1; order[++n]=c }
         }
         END { for (i=1;i<=n;i++) printf "  conn %2d:%s\n", order[i], line[order[i]] }' "$1"
}

# Per-probe phases from one check JSON, in ms and in units of R.
probe_table() {
    local json=$1 r=$2
    jq -r --argjson r "$r" '
      def u(x): if x == null then "-" elif $r > 0 then "\(x|.*10|round/10) (\(x/$r*100|round/100)R)" else "\(x|.*10|round/10)" end;
      .facts.probes | to_entries[] | .value as $p |
      [ "#\(.key)", $p.kind, ($p.request.protocols_name // "-"),
        (if ($p.request.tls_version // 0) > 0 then ($p.request.tls_version|tostring) else "-" end),
        u($p.connect.duration_ms), ($p.negotiation.outcome // "-"), u($p.negotiation.duration_ms),
        ($p.tls.outcome // "-") + (if $p.tls.version then "/" + $p.tls.version else "" end),
        u($p.tls.duration_ms), u($p.duration_ms) ] | @tsv' "$json" |
        column -t -s $'\t' -N 'probe,kind,request,tlsver,connect,nego,nego_ms,tls,tls_ms,total_ms'
}

bench_server() {
    local name=$1 port=$2 R base="" wall dur rt slow srt synre i
    local -a rows=()
    echo "== $name (127.0.0.1:$port), $RUNS runs per delay: measuring" >&2
    for R in $DELAYS; do
        # 1) one run with the proxy's event log
        proxy_start "$port" "$R" "$out/latency-$name-R$R.proxy.log" 1
        "$bin" check --json "127.0.0.1:$PROXY_PORT" >"$out/latency-$name-R$R.json" 2>"$out/latency-$name-R$R.stderr" || true
        proxy_stop
        # 2) wall time, then the check's own duration, through a quiet proxy
        proxy_start "$port" "$R" "$out/latency-$name-R$R.proxy-quiet.log"
        hyperfine -N --warmup 1 --runs "$RUNS" --ignore-failure --style none \
            --export-json "$out/latency-$name-R$R.hyperfine.json" \
            -n "R$R" "$bin check --json 127.0.0.1:$PROXY_PORT" >/dev/null
        # Output to a file, not a pipe: a consumer running alongside (jq) slows xrdp enough for its
        # listen backlog of 2 to overflow (a SYN dropped costs a 1 s retransmit; see bench/README.md).
        # Per run: duration_ms, slowest probe's duration_ms, slowest connect_ms.
        : >"$out/latency-$name-R$R.durations"
        for i in $(seq "$RUNS"); do
            "$bin" check --json "127.0.0.1:$PROXY_PORT" >"$LAB/run.json" 2>/dev/null || true
            jq -r '[.duration_ms, ([.facts.probes[].duration_ms] | max), ([.facts.probes[].connect.duration_ms // 0] | max)] | @tsv' \
                "$LAB/run.json" >>"$out/latency-$name-R$R.durations"
            cp "$LAB/run.json" "$out/latency-$name-R$R.run$i.json"
        done
        proxy_stop
        wall=$(jq -r '.results[0].median * 1000 | . * 10 | round / 10' "$out/latency-$name-R$R.hyperfine.json")
        dur=$(cut -f1 "$out/latency-$name-R$R.durations" | median)
        slow=$(cut -f2 "$out/latency-$name-R$R.durations" | median)
        synre=$(awk -F'\t' '$3 >= 900 {n++} END {print n+0}' "$out/latency-$name-R$R.durations")
        [[ -z $base ]] && base=$dur
        if ((R > 0)); then
            rt=$(awk -v d="$dur" -v b="$base" -v r="$R" 'BEGIN{printf "%.2f", (d-b)/r}')
            srt=$(awk -v d="$slow" -v r="$R" 'BEGIN{printf "%.2f", d/r}')
        else
            rt=- srt=-
        fi
        rows+=("$R	$wall	$dur	$rt	$slow	$srt	$synre/$RUNS	$(jq -r .connections "$out/latency-$name-R$R.json")	$(jq -r .verdict.status "$out/latency-$name-R$R.json")")
    done
    bench_report "$name" "$port" "${rows[@]}" | tee -a "$summary"
}

# bench_report NAME PORT ROW… : the tables (printing only; runs in the pipe's subshell).
bench_report() {
    local name=$1 port=$2 R
    shift 2
    echo "== $name (127.0.0.1:$port), $RUNS runs per delay"
    printf '%s\n' "$@" | column -t -s $'\t' -N 'R_ms,wall_median_ms,check_duration_ms,round_trips_used,slowest_probe_ms,slowest_probe_R,connect>=900ms,connections,verdict'
    echo "round_trips_used = (check_duration(R) - check_duration(0)) / R; slowest_probe_R = that probe's duration_ms / R"
    echo "(medians of $RUNS runs; connect>=900ms = runs where a connect waited for a SYN retransmit)"
    for R in $DELAYS; do
        ((R == 100)) || continue
        echo "-- $name, R=$R: per probe (duration_ms; R = one added round trip)"
        probe_table "$out/latency-$name-R$R.json" "$R"
        echo "-- $name, R=$R: proxy timeline per connection (ms from the first accept; c>sN = N bytes"
        echo "   read from the client, delivered R/2 later; s>cN read from the server; FIN/RST)"
        timeline "$out/latency-$name-R$R.proxy.log"
    done
    echo
}

summary=$out/latency-summary.txt
: >"$summary"
for s in $SERVERS; do
    case $s in
    xrdp)
        lab_xrdp negotiate good
        bench_server xrdp-negotiate "$XRDP_PORT"
        lab_stop "$XRDP_PID"
        ;;
    minisrv)
        if [[ -x $RD_BUILD_DIR/tests/servers/minisrv ]] || pkg-config --exists freerdp-server2 freerdp2 winpr2 2>/dev/null; then
            lab_minisrv nla good
            bench_server minisrv-nla "$MINISRV_PORT"
            lab_stop "$MINISRV_PID"
        else
            echo "== minisrv: skipped (no minisrv build and no freerdp2-dev)" | tee -a "$summary"
        fi
        ;;
    *) echo "bench: unknown server $s" >&2 ;;
    esac
done
echo "(saved in $summary)"
