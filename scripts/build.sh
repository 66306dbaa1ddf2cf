#!/bin/bash
# Configures and builds one flavour of rdpdoctor into build/<flavour>.
#   release   gcc, -O2, warnings fatal
#   asan      clang, AddressSanitizer + UndefinedBehaviorSanitizer
#   fuzz      clang, libFuzzer targets (+ ASan/UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DRD_WERROR=ON) ;;
  asan)    args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DRD_WERROR=ON -DRD_SANITIZE=ON) ;;
  fuzz)    args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DRD_WERROR=ON -DRD_FUZZ=ON
                 -DRD_FUZZ_SECONDS="${RD_FUZZ_SECONDS:-15}") ;;
  *) echo "build: unknown flavour '$flavour' (release, asan, fuzz)" >&2; exit 64 ;;
esac
cmake -S . -B "build/$flavour" "${args[@]}" >/dev/null
cmake --build "build/$flavour" -j"$(nproc)"
