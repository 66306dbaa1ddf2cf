#!/bin/bash
# The whole test suite, as CI runs it: install what it needs, then build and test the release
# build, the sanitizer build (ASan + UBSan) and the libFuzzer build (each target for a bounded
# time on its seed corpus). The Windows build (rdpdoctor.exe) is built first, so that the release
# tests can run it under Wine (tests/integration/test_windows_wine.sh); a cold dependency cache
# makes that step the OpenSSL cross build.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

status=0
echo "== windows build"
if ! ./scripts/build-windows.sh; then
  status=1
fi
for flavour in release asan fuzz; do
  echo "== $flavour build"
  ./scripts/build.sh "$flavour"
  echo "== $flavour tests"
  # The Windows test compares rdpdoctor.exe with the Linux binary: the release build's is enough.
  skip=()
  [ "$flavour" = release ] || skip=(-E '^integration\.test_windows_wine$')
  if ! ctest --test-dir "build/$flavour" --output-on-failure -j"$(nproc)" "${skip[@]}"; then
    status=1
  fi
done
exit $status
