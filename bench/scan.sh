#!/bin/bash
# `rdpdoctor scan` over 10,000 loopback targets in a network namespace of its own: 5000 addresses
# (127.0.0.1-127.0.19.136) x ports 3389,3390. 10 xrdp servers (127.0.0.1-10:3389, live), a dropped
# block (127.0.16.0/23 -> 1024 silent targets), the rest closed (8966 refused targets).
# Wall time, CPU (user+sys), checks/s, peak RSS (GNU time), peak fds (sampled from /proc every
# 20 ms); medians of RUNS runs. Then, over the same 10,000 targets: nmap's RDP scripts, and one
# process per target (`xargs -P 64 -n 1 rdpdoctor scan --quick --quiet HOST:PORT`, the way
# rdpscan-like tools run; `check` has no --quick, a one-target scan is the same quick check).
# Root. Results in bench/out/scan-*; the table in bench/out/scan-summary.txt.
# Usage: bench/scan.sh [path/to/rdpdoctor]
# Knobs: RUNS=3 (scan runs per configuration), INFLIGHT=1000, NMAP=0 skips nmap, FORK=0 skips the
# process-per-target run, FORK_P=64 its parallelism, FORK_EVERY=5: every 5th target only (2000, the
# same mix; about 80 s instead of 7 min on 2 loaded cores), FORK_EVERY=1 for the whole list.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
RUNS=${RUNS:-3} INFLIGHT=${INFLIGHT:-1000} FORK_P=${FORK_P:-64} FORK_EVERY=${FORK_EVERY:-5}
export LAB_QUIET=1
source tests/integration/lib.sh
lab_init "$bin"
lab_require_root
lab_require_cmd xrdp jq bc /usr/bin/time
lab_certs
lab_netns_pair
# 1000 checks of addresses in flight x 16 descriptors each (docs/scan.md) need 16,064: raise the
# hard limit for this shell and its children where we may, or scan lowers --max-in-flight to fit.
# Raising the hard limit needs CAP_SYS_RESOURCE; without it scan says what it lowered N to (the
# table shows the effective N). The container here has 20000 and no CAP_SYS_RESOURCE: enough.
if ! { ulimit -Hn 65536 && ulimit -Sn 65536; } 2>/dev/null; then
    ulimit -Sn "$(ulimit -Hn)"
    echo "bench: open-file limit stays at $(ulimit -Hn) (no CAP_SYS_RESOURCE)" >&2
fi
for i in $(seq 1 10); do
    _lab_xrdp_ini minimal "$LAB/xrdp-ns-$i" "tcp://127.0.0.$i:3389" tls good
    lab_spawn "xrdp-ns-$i" ip netns exec "$NS_SRV" xrdp -n -c "$LAB/xrdp-ns-$i/xrdp.ini"
done
for i in $(seq 1 10); do _lab_wait_port "$NS_SRV" "127.0.0.$i" 3389 5; done
lab_in_srv iptables -A INPUT -p tcp -d 127.0.16.0/23 -j DROP

# The list: 5000 addresses (scan --ports and nmap -p expand them), and the same 10,000 as HOST:PORT.
hosts=$LAB/hosts.txt targets=$LAB/targets.txt
for ((n = 1; n <= 5000; n++)); do echo "127.0.$((n / 256)).$((n % 256))"; done >"$hosts"
awk '{print $1":3389"; print $1":3390"}' "$hosts" >"$targets"
ntargets=$(wc -l <"$targets")

summary=$out/scan-summary.txt
: >"$summary"
: >"$out/scan-runs.txt"
printf '%s, %s cores, load %s; %d targets (10 xrdp, 1024 dropped, rest closed)\n' "$(date -u +%F)" \
    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$ntargets" | tee -a "$summary"

# sample PID FILE : peak descriptors and peak summed RSS (KiB) of PID's children (the measured
# processes: time -> rdpdoctor, or time -> xargs -> rdpdoctor…), every 20 ms until PID ends.
sample() {
    local pid=$1 f=$2 peakfd=0 peakrss=0 n r kids=() paths=()
    while _lab_alive "$pid"; do
        mapfile -t kids < <(pgrep -P "$pid" || true)
        # xargs: its children are the rdpdoctor processes.
        if ((${#kids[@]})) && [[ $(cat "/proc/${kids[0]}/comm" 2>/dev/null) == xargs ]]; then
            mapfile -t kids < <(pgrep -P "${kids[0]}" || true)
        fi
        if ((${#kids[@]})); then
            paths=("${kids[@]/#//proc/}")
            n=$(find "${paths[@]/%//fd}" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
            r=$(ps -o rss= -p "$(IFS=,; echo "${kids[*]}")" 2>/dev/null | awk '{s += $1} END {print s + 0}' || true)
            ((n > peakfd)) && peakfd=$n
            ((r > peakrss)) && peakrss=$r
        fi
        sleep 0.02
    done
    echo "$peakfd $peakrss" >"$f"
}

# timed NAME CMD… : one run inside the namespace; appends "NAME wall user sys maxrss peakfd sumrss
# lines" to scan-runs.txt and prints it with the verdict counts.
timed() {
    local name=$1 pid
    shift
    ip netns exec "$NS_SRV" /usr/bin/time -f '%e %U %S %M' -o "$out/scan-$name.time" \
        "$@" >"$out/scan-$name.jsonl" 2>"$out/scan-$name.err" &
    pid=$!
    sample "$pid" "$out/scan-$name.peak"
    wait "$pid" || true
    local secs user sys rss fd sum lines
    read -r secs user sys rss < <(tail -1 "$out/scan-$name.time")
    read -r fd sum <"$out/scan-$name.peak"
    lines=$(wc -l <"$out/scan-$name.jsonl")
    echo "$name $secs $user $sys $rss $fd $sum $lines" | tee -a "$out/scan-runs.txt"
    jq -r '.verdict.root_cause // "none"' "$out/scan-$name.jsonl" 2>/dev/null | sort | uniq -c | sort -rn | head -4 |
        tr '\n' ' '
    echo
}

# median CONFIG FIELD : the median of one column over a configuration's runs.
median() {
    awk -v c="$1" -v f="$2" '$1 ~ "^"c"#" || $1 == c {print $f}' "$out/scan-runs.txt" | sort -g |
        awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# inflight CONFIG : the --max-in-flight scan ran with (it lowers N to fit the open-file limit).
inflight() {
    local e
    e=$(sed -n 's/.*lowered to \([0-9]*\).*/\1/p' "$out/scan-$1#1.err" | head -1)
    echo "${e:-$INFLIGHT}"
}

row() { # row CONFIG LABEL : one table line from the medians
    local c=$1 w u s m fd sum l
    w=$(median "$c" 2) u=$(median "$c" 3) s=$(median "$c" 4) m=$(median "$c" 5)
    fd=$(median "$c" 6) sum=$(median "$c" 7) l=$(median "$c" 8)
    printf '| %s | %d | %.1f s | %.1f s | %.0f | %.1f MB | %.1f MB | %d |\n' "$2" "$l" "$w" \
        "$(echo "$u + $s" | bc -l)" "$(echo "$l / $w" | bc -l)" "$(echo "$m / 1024" | bc -l)" \
        "$(echo "$sum / 1024" | bc -l)" "$fd" | tee -a "$summary"
}

for r in $(seq 1 "$RUNS"); do
    timed "full#$r" "$bin" scan --quiet --file "$hosts" --ports 3389,3390 --rate 0 --max-in-flight "$INFLIGHT"
    timed "quick#$r" "$bin" scan --quiet --quick --file "$hosts" --ports 3389,3390 --rate 0 --max-in-flight "$INFLIGHT"
done

if [[ ${FORK:-1} == 1 ]]; then
    awk -v e="$FORK_EVERY" '(NR - 1) % e == 0' "$targets" >"$LAB/fork-targets.txt"
    timed "fork" xargs -P "$FORK_P" -n 1 -a "$LAB/fork-targets.txt" "$bin" scan --quick --quiet
fi

if [[ ${NMAP:-1} == 1 ]] && command -v nmap >/dev/null; then
    # The same addresses and ports, nmap's RDP scripts (what an admin runs on a fleet today).
    ip netns exec "$NS_SRV" /usr/bin/time -f '%e %U %S %M' -o "$out/scan-nmap.time" timeout 900 \
        nmap -Pn -n -p 3389,3390 --script rdp-enum-encryption,rdp-ntlm-info -iL "$hosts" \
        -oX "$out/scan-nmap.xml" >"$out/scan-nmap.txt" 2>&1 || true
    read -r secs user sys rss < <(tail -1 "$out/scan-nmap.time")
    open=$(grep -c 'state="open"' "$out/scan-nmap.xml" || true)
    echo "nmap $secs $user $sys $rss 0 0 $ntargets open=$open" | tee -a "$out/scan-runs.txt"
fi

{
    echo
    echo "| run | targets | wall | CPU (user+sys) | checks/s | peak RSS (GNU time) | peak RSS summed | peak fds |"
    echo "|---|---|---|---|---|---|---|---|"
} | tee -a "$summary"
row full "\`scan --rate 0 --max-in-flight $INFLIGHT\` ($(inflight full) in flight; median of $RUNS)"
row quick "\`scan --quick --rate 0 --max-in-flight $INFLIGHT\` ($(inflight quick) in flight; median of $RUNS)"
if [[ ${FORK:-1} == 1 ]]; then row fork "\`xargs -P $FORK_P -n 1 rdpdoctor scan --quick\` (1 run)"; fi
if [[ ${NMAP:-1} == 1 ]] && [[ -s $out/scan-nmap.time ]]; then
    read -r secs user sys rss < <(tail -1 "$out/scan-nmap.time")
    printf '| nmap -Pn + rdp-enum-encryption,rdp-ntlm-info (1 run) | %d | %.1f s | %.1f s | %.0f | %.1f MB | — | — |\n' \
        "$ntargets" "$secs" "$(echo "$user + $sys" | bc -l)" "$(echo "$ntargets / $secs" | bc -l)" \
        "$(echo "$rss / 1024" | bc -l)" | tee -a "$summary"
fi
