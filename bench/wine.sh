#!/bin/bash
# rdpdoctor.exe under Wine beside the Linux binary, in one run, on the same real servers:
#   * the size of rdpdoctor.exe (stripped, static) and of the Linux binary;
#   * hyperfine wall times of `--version` (the start-up: for rdpdoctor.exe, Wine's), `explain`
#     and `check --json` against xrdp (negotiate) and minisrv (NLA), both builds, with a wineserver
#     kept running (-p) so that each run starts a program, not Wine;
#   * the checks' own duration_ms (median), which leaves every start-up out;
#   * the warm build (scripts/build-windows.sh with the dependency cache warm, into an empty build
#     folder) and, with COLD_DEPS="libmicrohttpd …", the cold build of those dependencies into a
#     temporary cache (the shared cache is never touched; the others are linked from it).
# Usage: bench/wine.sh [path/to/linux/rdpdoctor]   (root: it starts the lab's servers)
# Environment: RUNS (default 10), COLD_DEPS (default none). Results in bench/out/wine-*.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
runs=${RUNS:-10}
export LAB_QUIET=1
source tests/integration/lib.sh
source tests/integration/lib_wine.sh
lab_init "$bin"
wine_init
export DISPLAY=''
exe=$WIN_EXE
summary=$out/wine-summary.txt
: >"$summary"
say() { printf '%s\n' "$*" | tee -a "$summary"; }

say "== sizes"
strip -o "$out/wine-linux-stripped" "$bin"
say "rdpdoctor.exe: $(stat -c %s "$exe") bytes (static, stripped); Linux rdpdoctor: $(stat -c %s "$bin") bytes as built, $(stat -c %s "$out/wine-linux-stripped") stripped (dynamic: libssl, libuv, c-ares, jansson are the system's)"
rm -f "$out/wine-linux-stripped"

# --- warm build: every dependency cached, rdpdoctor and its tests built from nothing
tmpb=$(mktemp -d "${TMPDIR:-/tmp}/rdwinb.XXXXXX")
lab_at_exit "rm -rf '$tmpb'"
t0=$(lab_ms)
RD_WIN_NO_APT=1 RD_WIN_BUILD=$tmpb scripts/build-windows.sh >"$out/wine-build-warm.log" 2>&1
say "== build"
say "warm (dependencies cached, empty build folder, $(nproc) jobs): $(( $(lab_ms) - t0 )) ms"
t0=$(lab_ms)
RD_WIN_NO_APT=1 RD_WIN_BUILD=$tmpb scripts/build-windows.sh >>"$out/wine-build-warm.log" 2>&1
say "nothing changed: $(( $(lab_ms) - t0 )) ms"
rm -rf "$tmpb"
if [ -n "${COLD_DEPS:-}" ]; then
  cold=$(mktemp -d "${TMPDIR:-/tmp}/rdwinc.XXXXXX")
  lab_at_exit "rm -rf '$cold'"
  shared=${RD_WIN_CACHE:-/var/cache/rdpdoctor-win}
  for d in "$shared"/*/; do ln -s "${d%/}" "$cold/"; done
  for dep in $COLD_DEPS; do
    rm -f "$cold/$dep"-[0-9]*
    /usr/bin/time -f "%e s wall, %U s user, %S s system" -o "$out/wine-cold-$dep.time" \
      env RD_WIN_NO_APT=1 RD_WIN_CACHE="$cold" RD_WIN_DEPS="$dep" scripts/build-windows.sh deps \
      >"$out/wine-build-cold-$dep.log" 2>&1
    say "cold $dep (fetch with apt-get source, configure, build): $(cat "$out/wine-cold-$dep.time")"
  done
  rm -rf "$cold"
fi

# --- run times, one hyperfine run per server so that both builds meet the same server state
wineserver -p # persistent until wine_stop at exit: runs measure the program, not Wine's start
win "--version" >/dev/null
lab_certs
lab_xrdp negotiate good
lab_minisrv nla good
say "== times (hyperfine, $runs runs each, medians)"
hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/wine-hyperfine.json" \
  -n "linux --version" "$bin --version" \
  -n "wine --version" "wine $exe --version" \
  -n "linux explain" "$bin explain 0x904 0x7" \
  -n "wine explain" "wine $exe explain 0x904 0x7" \
  -n "linux check xrdp" "$bin check --json 127.0.0.1:$XRDP_PORT" \
  -n "wine check xrdp" "wine $exe check --json 127.0.0.1:$XRDP_PORT" \
  -n "linux check minisrv-nla" "$bin check --json 127.0.0.1:$MINISRV_PORT" \
  -n "wine check minisrv-nla" "wine $exe check --json 127.0.0.1:$MINISRV_PORT" \
  -i >"$out/wine-hyperfine.txt" 2>&1
jq -r '(.results[] | select(.command == "wine --version") | .median) as $start
       | .results[] | "\(.command): \(.median * 1000 | . * 10 | round / 10) ms (±\(.stddev * 1000 | . * 10 | round / 10))"
         + (if (.command | startswith("wine")) and .command != "wine --version"
            then ", minus Wine start-up \((.median - $start) * 1000 | . * 10 | round / 10) ms" else "" end)' \
  "$out/wine-hyperfine.json" | tee -a "$summary"

# The checks' own time (duration_ms in the report: from the first action to the verdict).
say "== check duration_ms (median of $runs)"
for name in xrdp minisrv-nla; do
  port=$XRDP_PORT
  [ "$name" = minisrv-nla ] && port=$MINISRV_PORT
  for b in linux wine; do
    for _ in $(seq "$runs"); do
      if [ $b = linux ]; then "$bin" check --json "127.0.0.1:$port" || true; else win check --json "127.0.0.1:$port" || true; fi |
        jq .duration_ms
    done | sort -n | awk -v n="$name" -v b="$b" '{ v[NR] = $1 } END { printf "%s %s: %.1f ms\n", b, n, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }' |
      tee -a "$summary"
  done
done
say "(files: $out/wine-hyperfine.json, wine-hyperfine.txt, wine-build-*.log)"
