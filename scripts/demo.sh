#!/bin/bash
# The main job: install what rdpdoctor needs, build it, and run it.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh >/dev/null
./scripts/build.sh release >/dev/null
echo "\$ rdpdoctor explain 0x904 0x7"
./build/release/rdpdoctor explain 0x904 0x7
