#!/bin/bash
# rdpdoctor.exe under Wine: the Windows build's unit tests pass, and `explain` writes byte for byte
# what the Linux build writes (stdout, stderr and exit code), for the golden cases of
# tests/unit/test_cli_explain.c and a few more, and the exporter's usage errors. `check` and the
# exporter against real servers under Wine are test_windows_wine_check.sh.
#
#     bash tests/integration/test_windows_wine.sh /path/to/linux/rdpdoctor
#
# The Windows build is brought up to date first (scripts/build-windows.sh with RD_WIN_NO_APT=1:
# seconds when the dependency cache is warm, an OpenSSL cross build when it is cold). Wine runs in
# a WINEPREFIX of its own, created here and removed at exit, with WINEDEBUG=-all (lib_wine.sh).
# Exit 0 pass, 1 fail, 77 skip: no mingw-w64 or Wine (run scripts/install-deps.sh as root), or
# the dependencies' sources could not be fetched (build-windows.sh exit 3 or 4: no network, a
# mirror that does not serve them). A build that fails once the sources are there is a failure.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_wine.sh"
lab_init "$@"
wine_init
export DISPLAY='' # no X server here: console programs only
linux=$RDPDOCTOR
src=$LAB_SRC_DIR
win_build=$WIN_BUILD
exe=$WIN_EXE
work=$LAB
ms() { lab_ms; }
t_build=$WIN_BUILD_MS
t_boot=$WIN_BOOT_MS

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
# The exporter's usage errors (it serves in test_windows_wine_check.sh)
same exp_help    ''                          -- exporter --help
same exp_listen  ''                          -- exporter --listen 1.2.3:4
same exp_no_listen ''                        -- exporter
t_explain=$(( $(ms) - t0 ))

printf 'windows: build %d ms, wineboot %d ms, unit tests %d ms (%s), explain comparisons %d ms\n' \
  "$t_build" "$t_boot" "$t_units" "$units" "$t_explain"
printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
