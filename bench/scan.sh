#!/bin/bash
# `rdpdoctor scan` over ~2000 loopback targets in a network namespace of its own: 10 xrdp servers
# (127.0.0.1-10:3389), closed ports (the rest of 127.0.0.0/22 on 3389 and 3390), and a dropped range
# (127.0.3.128/25, silent). Wall time, checks/s, peak RSS (GNU time), peak fds (sampled); then
# nmap's RDP scripts over the same targets (NMAP=0 skips them). Root. Results in bench/out/scan-*.
# Usage: bench/scan.sh [path/to/rdpdoctor]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
export LAB_QUIET=1
source tests/integration/lib.sh
lab_init "$bin"
lab_require_root
lab_certs
lab_netns_pair
for i in $(seq 1 10); do
    _lab_xrdp_ini minimal "$LAB/xrdp-ns-$i" "tcp://127.0.0.$i:3389" tls good
    lab_spawn "xrdp-ns-$i" ip netns exec "$NS_SRV" xrdp -n -c "$LAB/xrdp-ns-$i/xrdp.ini"
done
for i in $(seq 1 10); do _lab_wait_port "$NS_SRV" "127.0.0.$i" 3389 5; done
lab_in_srv iptables -A INPUT -p tcp -d 127.0.3.128/25 -j DROP

# scan_once NAME ARGS… : one timed run; peak fds sampled every 20 ms.
scan_once() {
    local name=$1 pid peak=0 n
    shift
    ip netns exec "$NS_SRV" /usr/bin/time -f '%e %M' -o "$out/scan-$name.time" \
        "$bin" scan 127.0.0.0/22 --ports 3389,3390 "$@" >"$out/scan-$name.jsonl" 2>"$out/scan-$name.err" &
    pid=$!
    sleep 0.05
    local child
    child=$(pgrep -P "$pid" -f "rdpdoctor scan" | head -1 || true)
    while kill -0 "$pid" 2>/dev/null; do
        n=$(find "/proc/${child:-$pid}/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) || n=0
        ((n > peak)) && peak=$n
        sleep 0.02
    done
    wait "$pid" || true
    read -r secs rss < <(tail -1 "$out/scan-$name.time")
    local lines
    lines=$(wc -l <"$out/scan-$name.jsonl")
    printf '%-28s %5d targets  %6.2f s  %7.1f checks/s  peak RSS %6d KiB  peak fds %5d\n' \
        "rdpdoctor $name" "$lines" "$secs" "$(echo "$lines / $secs" | bc -l)" "$rss" "$peak" | tee -a "$out/scan-summary.txt"
    jq -r '.verdict.root_cause // "none"' "$out/scan-$name.jsonl" | sort | uniq -c | sort -rn | head -6
}
: >"$out/scan-summary.txt"
scan_once default --rate 0
scan_once inflight64 --rate 0 --max-in-flight 64
scan_once rate500 --rate 500

if [[ ${NMAP:-1} == 1 ]] && command -v nmap >/dev/null; then
    # The same addresses and ports, nmap's RDP scripts (what an admin runs on a fleet today).
    t0=$(lab_ms)
    ip netns exec "$NS_SRV" timeout 900 nmap -Pn -n -p 3389,3390 --script rdp-enum-encryption,rdp-ntlm-info \
        -oX "$out/scan-nmap.xml" 127.0.0.0/22 >"$out/scan-nmap.txt" 2>&1 || true
    secs=$(echo "($(lab_ms) - $t0) / 1000" | bc -l)
    printf '%-28s %5d targets  %6.2f s  %7.1f targets/s\n' "nmap rdp scripts" 2044 "$secs" \
        "$(echo "2044 / $secs" | bc -l)" | tee -a "$out/scan-summary.txt"
fi
