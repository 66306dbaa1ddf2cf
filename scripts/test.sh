#!/bin/bash
# The whole test suite, as CI runs it: install what it needs, then build and test the release
# build, the sanitizer build (ASan + UBSan) and the libFuzzer build (each target for a bounded
# time on its seed corpus).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

status=0
for flavour in release asan fuzz; do
  echo "== $flavour build"
  ./scripts/build.sh "$flavour"
  echo "== $flavour tests"
  if ! ctest --test-dir "build/$flavour" --output-on-failure -j"$(nproc)"; then
    status=1
  fi
done
exit $status
