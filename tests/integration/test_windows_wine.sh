#!/bin/bash
# rdpdoctor.exe under Wine: the Windows build's unit tests pass, `explain` writes byte for byte
# what the Linux build writes (stdout, stderr and exit code), for the golden cases of
# tests/unit/test_cli_explain.c and a few more, and `check` of a closed port on 127.0.0.1 finds
# what the Linux build finds (with jq).
#
#     bash tests/integration/test_windows_wine.sh /path/to/linux/rdpdoctor
#
# The Windows build is brought up to date first (scripts/build-windows.sh with RD_WIN_NO_APT=1:
# seconds when the dependency cache is warm, an OpenSSL cross build when it is cold). Wine runs in
# a WINEPREFIX of its own, created here and removed at exit, with WINEDEBUG=-all.
# Exit 0 pass, 1 fail, 77 skip: no mingw-w64 or Wine (run scripts/install-deps.sh as root), or
# the dependencies' sources could not be fetched (build-windows.sh exit 3 or 4: no network, a
# mirror that does not serve them). A build that fails once the sources are there is a failure.
# RD_WIN_BUILD: the Windows build folder (default build/windows of this clone).
# RD_WIN_PREBUILT (set by scripts/test.sh, which runs build-windows.sh first): "ok", "failed"
# (fail without building again) or "skip:REASON" (skip with that reason).
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: bash $0 /path/to/rdpdoctor" >&2; exit 64; }
linux=$(readlink -f -- "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
win_build=${RD_WIN_BUILD:-$src/build/windows}
export RD_WIN_BUILD=$win_build

ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }

for cmd in wine wineserver x86_64-w64-mingw32-gcc; do
  command -v "$cmd" >/dev/null || skip "$cmd not installed (scripts/install-deps.sh installs it)"
done
[[ -x $linux ]] || { echo "FAIL: no Linux binary at $linux" >&2; exit 1; }
case ${RD_WIN_PREBUILT:-} in
  skip:*) skip "the Windows build was skipped: ${RD_WIN_PREBUILT#skip:}" ;;
  failed) echo "FAIL: scripts/build-windows.sh failed earlier in this run (scripts/test.sh)" >&2; exit 1 ;;
esac

t0=$(ms)
set +e
RD_WIN_NO_APT=1 "$src/scripts/build-windows.sh" > "${TMPDIR:-/tmp}/rdpdoctor-win-build.$$.log" 2>&1
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  if [[ $rc -eq 3 || $rc -eq 4 ]]; then
    why=$(grep '^build-windows: ' "${TMPDIR:-/tmp}/rdpdoctor-win-build.$$.log" | tail -n 1)
    rm -f "${TMPDIR:-/tmp}/rdpdoctor-win-build.$$.log"
    skip "the Windows build could not get its sources or tools: ${why:-build-windows.sh exited $rc}"
  fi
  tail -n 30 "${TMPDIR:-/tmp}/rdpdoctor-win-build.$$.log" >&2
  rm -f "${TMPDIR:-/tmp}/rdpdoctor-win-build.$$.log"
  echo "FAIL: scripts/build-windows.sh exited $rc" >&2
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/rdpdoctor-win-build.$$.log"
exe=$win_build/rdpdoctor.exe
t_build=$(( $(ms) - t0 ))

work=$(mktemp -d "${TMPDIR:-/tmp}/rdwine.XXXXXX")
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64
# No Mono or Gecko installer prompts, no display: this prefix only runs console programs.
export WINEDLLOVERRIDES='mscoree,mshtml=' DISPLAY=
# Arguments reach Wine's command line in UTF-8.
export LC_ALL=C.UTF-8
cleanup() {
  # Only this prefix's wineserver (and the programs it still serves) is stopped.
  wineserver -k >/dev/null 2>&1 || true
  wineserver -w >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

t0=$(ms)
wine wineboot --init >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log" >&2; echo "FAIL: wineboot" >&2; exit 1; }
wineserver -w
t_boot=$(( $(ms) - t0 ))

passed=0 failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*" >&2; }

# ---- the unit tests (and fuzz seed replays) built for Windows, through ctest's Wine emulator
t0=$(ms)
if ctest --test-dir "$win_build" --output-on-failure -j"$(nproc)" >"$work/ctest.log" 2>&1; then
  pass
else
  cat "$work/ctest.log" >&2
  fail "unit tests under Wine"
fi
units=$(grep -Eo '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$work/ctest.log" || echo "no ctest summary")
t_units=$(( $(ms) - t0 ))

# ---- explain: the same bytes and exit code from both builds
# same NAME [GOLDEN] -- ARGS...: runs both, compares stdout, stderr and the exit code, and stdout
# with tests/golden/GOLDEN when given.
same() {
  local name=$1 golden=$2
  shift 3
  local lrc=0 wrc=0
  "$linux" "$@" >"$work/$name.l.out" 2>"$work/$name.l.err" || lrc=$?
  wine "$exe" "$@" >"$work/$name.w.out" 2>"$work/$name.w.err" || wrc=$?
  if [[ $lrc -ne $wrc ]]; then
    fail "$name: exit $wrc on Windows, $lrc on Linux"
  elif ! cmp -s "$work/$name.l.out" "$work/$name.w.out"; then
    fail "$name: stdout differs"; diff <(od -c "$work/$name.l.out") <(od -c "$work/$name.w.out") | head -n 10 >&2
  elif ! cmp -s "$work/$name.l.err" "$work/$name.w.err"; then
    fail "$name: stderr differs"; diff "$work/$name.l.err" "$work/$name.w.err" | head -n 10 >&2
  elif [[ -n $golden ]] && ! cmp -s "$src/tests/golden/$golden" "$work/$name.w.out"; then
    fail "$name: stdout differs from tests/golden/$golden"
  else
    pass
  fi
}

t0=$(ms)
same pair        explain_0x904_0x7.txt       -- explain 0x904 0x7
same dialog      explain_dialog_line.txt     -- explain "Your Remote Desktop Services session has ended. Error code: 0x904 Extended error code: 0x7"
same words       explain_dialog_line.txt     -- explain Error code: 0x904 Extended error code: 0x7
same brief       explain_3_brief.txt         -- explain --brief 3
same json        explain_0x904_0x7.json      -- explain --json 0x904 0x7
same unknown     explain_unknown_0x1104.txt  -- explain 0x1104
same unknown_json ''                         -- explain --json 0x904 0x2707
same negative    ''                          -- explain -1073741715
same name        ''                          -- explain STATUS_LOGON_FAILURE
same event       ''                          -- explain Schannel 36870
same dash        ''                          -- explain "Error code: 0x904 — Extended error code: 0x7"
same utf8_bad    ''                          -- explain "0x90é"
same malformed   ''                          -- explain 0xZZ
same too_big     ''                          -- explain 0x100000000
same no_code     ''                          -- explain
same bad_option  ''                          -- explain --frobnicate 0x904
same help        ''                          -- explain --help
same top_help    ''                          -- --help
same version     ''                          -- --version
same no_command  ''                          --
t_explain=$(( $(ms) - t0 ))

# ---- check over the network: a port nothing listens on, on both builds. The same exit code,
# findings and connect facts (libuv's error name and its POSIX number, not the platform's
# errno); the time is the report's duration_ms, never the wall clock (which under Wine includes
# Wine's start-up).
t0=$(ms)
if command -v jq >/dev/null; then
  closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  lrc=0 wrc=0
  "$linux" check --json --step-timeout 2 --timeout 5 "127.0.0.1:$closed" >"$work/refused.l.json" 2>&1 || lrc=$?
  wine "$exe" check --json --step-timeout 2 --timeout 5 "127.0.0.1:$closed" >"$work/refused.w.json" 2>&1 || wrc=$?
  facts='[([.findings[].id] | sort), ([.facts.probes[].connect | {outcome, errno, error}] | unique)]'
  if [[ $lrc -ne 2 || $wrc -ne 2 ]]; then
    fail "check refused: exit $wrc on Windows, $lrc on Linux (want 2)"
  elif [[ $(jq -c "$facts" "$work/refused.w.json") != "$(jq -c "$facts" "$work/refused.l.json")" ]]; then
    fail "check refused: $(jq -c "$facts" "$work/refused.w.json") on Windows, $(jq -c "$facts" "$work/refused.l.json") on Linux"
  elif ! jq -e '.duration_ms < 3000' "$work/refused.w.json" >/dev/null; then
    fail "check refused: $(jq .duration_ms "$work/refused.w.json") ms on Windows (want under 3000)"
  else
    pass
  fi
fi
t_check=$(( $(ms) - t0 ))

# ---- what differs on purpose: no exporter in rdpdoctor.exe (README, On Windows)
wrc=0
wine "$exe" exporter --listen 127.0.0.1:9733 >"$work/exporter.out" 2>"$work/exporter.err" || wrc=$?
if [[ $wrc -eq 64 && ! -s $work/exporter.out ]] &&
   [[ $(cat "$work/exporter.err") == "rdpdoctor: exporter: not available in the Windows build" ]]; then
  pass
else
  fail "exporter: exit $wrc, stderr '$(head -c 200 "$work/exporter.err")' (want 64 and one line)"
fi

printf 'windows: build %d ms, wineboot %d ms, unit tests %d ms (%s), explain comparisons %d ms, check %d ms\n' \
  "$t_build" "$t_boot" "$t_units" "$units" "$t_explain" "$t_check"
printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
