# shellcheck shell=bash
# rdpdoctor.exe under Wine, for the tests that run it (test_windows_wine*.sh), on top of lib.sh:
#     source "$(dirname "$0")/lib.sh"; source "$(dirname "$0")/lib_wine.sh"
#     lab_init "$@"; wine_init          # -> WIN_EXE, WIN_BUILD, a Wine prefix of this test's own
#     win check --json 127.0.0.1:PORT   # rdpdoctor.exe, as the Linux binary is run
#
# wine_init skips (77) without mingw-w64 or Wine (scripts/install-deps.sh installs them), or when
# the dependencies' sources could not be fetched (build-windows.sh exit 3 or 4: no network, a
# mirror that does not serve them); a build that fails once the sources are there fails the test.
# RD_WIN_BUILD: the Windows build folder (default build/windows of this clone).
# RD_WIN_PREBUILT (set by scripts/test.sh, which runs build-windows.sh first): "ok", "failed"
# (fail without building again) or "skip:REASON" (skip with that reason).
#
# How Wine stands in for Windows here, and where it does not (README "On Windows", docs/internals.md):
# * Sockets are made by the wineserver (server/sock.c), not by the program: a program's
#   connections leave from the network namespace its wineserver runs in. A scenario in a
#   namespace therefore stops this prefix's wineserver and runs wine inside the namespace, which
#   starts a new one there (wine_in_ns); one wineserver per prefix at a time.
# * The DNS servers c-ares asks are Windows' (GetAdaptersAddresses); Wine fills them from the
#   Unix resolver configuration, /etc/resolv.conf as the calling process sees it (so
#   /etc/netns/NAME/resolv.conf under `ip netns exec`). Windows takes them from each adapter.
# * The hosts file c-ares reads is the prefix's C:\windows\system32\drivers\etc\hosts, not
#   /etc/hosts.

WIN_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

wine_init() {
    lab_require_cmd wine wineserver x86_64-w64-mingw32-gcc
    case ${RD_WIN_PREBUILT:-} in
    skip:*) lab_skip "the Windows build was skipped: ${RD_WIN_PREBUILT#skip:}" ;;
    failed) lab_fail "scripts/build-windows.sh failed earlier in this run (scripts/test.sh)" ;;
    esac
    WIN_BUILD=${RD_WIN_BUILD:-$WIN_SRC_DIR/build/windows}
    export RD_WIN_BUILD=$WIN_BUILD
    local t0 rc=0 why log=$LAB/logs/build-windows.log
    t0=$(lab_ms)
    mkdir -p "$WIN_BUILD"
    # Two Wine tests may run at once (ctest -j): one build of the folder at a time.
    flock "$WIN_BUILD/.rdpdoctor-build.lock" env RD_WIN_NO_APT=1 "$WIN_SRC_DIR/scripts/build-windows.sh" \
        >"$log" 2>&1 || rc=$?
    if [[ $rc -eq 3 || $rc -eq 4 ]]; then
        why=$(grep '^build-windows: ' "$log" | tail -n 1)
        lab_skip "the Windows build could not get its sources or tools: ${why:-build-windows.sh exited $rc}"
    fi
    [[ $rc -eq 0 ]] || lab_fail "scripts/build-windows.sh exited $rc"
    WIN_EXE=$WIN_BUILD/rdpdoctor.exe
    WIN_BUILD_MS=$(($(lab_ms) - t0))

    export WINEPREFIX=$LAB/wine WINEDEBUG=-all WINEARCH=win64
    # No Mono or Gecko installer prompts: this prefix only runs console programs.
    export WINEDLLOVERRIDES='mscoree,mshtml='
    # Arguments reach Wine's command line in UTF-8.
    export LC_ALL=C.UTF-8
    lab_at_exit wine_stop
    t0=$(lab_ms)
    DISPLAY='' wine wineboot --init >"$LAB/logs/wineboot.log" 2>&1 || lab_fail "wineboot failed"
    wineserver -w
    WIN_BOOT_MS=$(($(lab_ms) - t0))
    lab_log "wine: build $WIN_BUILD_MS ms, prefix $WINEPREFIX in $WIN_BOOT_MS ms"
}

# Stops this prefix's wineserver (and the programs it still serves), wherever it runs.
wine_stop() {
    wineserver -k >/dev/null 2>&1 || true
    wineserver -w >/dev/null 2>&1 || true
}

# win ARGS… : rdpdoctor.exe ARGS under Wine (no X display: it is a console program).
win() { DISPLAY='' wine "$WIN_EXE" "$@"; }

# wine_in_ns NS ARGS… : rdpdoctor.exe ARGS under a wineserver started inside namespace NS (see
# above: the sockets are the wineserver's); the prefix's server is stopped before and after.
wine_in_ns() {
    local ns=$1 rc=0
    shift
    wine_stop
    ip netns exec "$ns" env DISPLAY='' wine "$WIN_EXE" "$@" || rc=$?
    wine_stop
    return "$rc"
}
