#!/bin/bash
# Benchmark of `rdpdoctor explain`: wall time (hyperfine), peak memory (GNU time) and instruction
# count (callgrind, repeatable). Goal (DESIGN.md): well under 5 ms and 5 MB.
# Usage: bench/explain.sh [path/to/rdpdoctor]   (default: build/release/rdpdoctor)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/rdpdoctor}
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=bench/out
mkdir -p "$out"

hyperfine -N --warmup 20 --runs 300 --export-json "$out/explain-hyperfine.json" \
  "$bin explain 0x904 0x7" \
  "$bin explain --json 0x904 0x7" \
  "$bin explain -1073741715" \
  "$bin explain 'Error code: 0x904 Extended error code: 0x7'"

rss_kb=$(/usr/bin/time -f '%M' "$bin" explain 0x904 0x7 2>&1 >/dev/null | tail -1)
echo "peak RSS, explain 0x904 0x7: ${rss_kb} KiB"

valgrind --tool=callgrind --callgrind-out-file="$out/explain.callgrind" "$bin" explain 0x904 0x7 \
  >/dev/null 2>"$out/explain.callgrind.log"
grep -o 'Collected : [0-9]*' "$out/explain.callgrind.log" | sed 's/Collected :/instructions, explain 0x904 0x7:/'
