#!/bin/bash
# Before and after the sans-I/O check (issue #11), in one run, on the same real servers: the
# engine-owned check of commit BEFORE (default 61327e6) against this tree, with and without the
# session phase this tree adds (--no-session compares like with like).
#   * wall time per check (hyperfine, RUNS runs): xrdp (negotiate), minisrv (NLA), FreeRDP shadow
#     (NLA); connections; peak RSS (GNU time); instructions (callgrind, xrdp);
#   * the short-backlog goal: BACKLOG_RUNS checks of xrdp (listen backlog 2), one after another,
#     check duration median and max (goal: median <= 50 ms, max <= 2 x median + 20 ms);
#   * engine.c lines.
# Usage: bench/arch.sh [path/to/rdpdoctor]     (RUNS=10 BACKLOG_RUNS=20 BEFORE=61327e6)
# The BEFORE binary is built once from a git worktree into $RD_BENCH_CACHE (default
# /var/cache/rdpdoctor-bench), outside the clone. Results in bench/out/arch-*.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
RUNS=${RUNS:-10}
BACKLOG_RUNS=${BACKLOG_RUNS:-20}
BEFORE=${BEFORE:-61327e6}
cache=${RD_BENCH_CACHE:-/var/cache/rdpdoctor-bench}
old=$cache/rdpdoctor-$BEFORE

if [ ! -x "$old" ]; then
    mkdir -p "$cache"
    src=$(mktemp -d)
    git worktree add -q --detach "$src" "$BEFORE"
    cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$src/build" -j"$(nproc)" --target rdpdoctor >/dev/null
    cp "$src/build/rdpdoctor" "$old"
    git worktree remove --force "$src"
fi

export LAB_QUIET=1
source tests/integration/lib.sh
lab_init "$bin"
lab_certs

median_max() { sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "median %.1f ms, max %.1f ms (%d runs)", m, v[NR], NR}'; }

side_by_side() {
    local name=$1 target=$2
    echo "== $name ($target)"
    hyperfine -N --warmup 1 --runs "$RUNS" --ignore-failure --export-json "$out/arch-$name.json" \
        -n before "$old check --json $target" \
        -n after "$bin check --json $target" \
        -n after-no-session "$bin check --json --no-session $target" >/dev/null
    jq -r '.results[] | "  \(.command): median \(.median*1000*10|floor/10) ms"' "$out/arch-$name.json"
    for b in "$old" "$bin"; do
        local rss conns
        rss=$(/usr/bin/time -f '%M' "$b" check --json "$target" 2>&1 >/dev/null | tail -1 || true)
        conns=$("$b" check --json "$target" | jq .connections || true)
        echo "  $( [ "$b" = "$old" ] && echo before || echo after): peak RSS ${rss} KiB, ${conns} connections"
    done
}

lab_xrdp negotiate good
side_by_side xrdp "127.0.0.1:$XRDP_PORT"
for b in "$old" "$bin"; do
    valgrind --tool=callgrind --callgrind-out-file="$out/arch.callgrind" "$b" check --json "127.0.0.1:$XRDP_PORT" \
        >/dev/null 2>"$out/arch.callgrind.log" || true
    echo "  $( [ "$b" = "$old" ] && echo before || echo after): $(grep -o 'Collected : [0-9]*' "$out/arch.callgrind.log" | sed 's/Collected : //') instructions (callgrind)"
done
echo "== short backlog: xrdp, $BACKLOG_RUNS checks one after another"
for label in before after after-no-session; do
    case $label in
    before) cmd=("$old" check --json) ;;
    after) cmd=("$bin" check --json) ;;
    *) cmd=("$bin" check --json --no-session) ;;
    esac
    for _ in $(seq "$BACKLOG_RUNS"); do ("${cmd[@]}" "127.0.0.1:$XRDP_PORT" || true) | jq .duration_ms; done \
        >"$out/arch-backlog-$label.txt"
    echo "  $label: $(median_max <"$out/arch-backlog-$label.txt")"
done
lab_stop "$XRDP_PID"

lab_minisrv nla good
side_by_side minisrv "127.0.0.1:$MINISRV_PORT"
lab_stop "$MINISRV_PID"

lab_xvfb
lab_shadow nla good
side_by_side shadow "127.0.0.1:$SHADOW_PORT"

echo "== engine.c: before $(git show "$BEFORE:src/net/engine.c" | wc -l) lines, after $(wc -l <src/net/engine.c) lines"
