#!/bin/bash
# Installs everything rdpdoctor needs to build, test and benchmark, from Debian's packages.
# Always the whole list: apt-get makes it a no-op for what is present, while a "skip if found"
# check would pass here and fail on a fresh machine.
#
# It runs first in scripts/test.sh, so a package that cannot be fetched (the Windows build's
# mingw-w64 and Wine among them) stops the whole suite here, before build-windows.sh could turn a
# fetch failure into a skip of the Windows tests. That is deliberate: every package listed is
# needed, none is optional. Such a failure exits 4 and names the packages that are not installed.
# Exit codes: 0 installed, 3 not root, 4 apt-get could not install the list (network, mirror).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get install needs it)" >&2
  exit 3
fi

BUILD_PKGS=(cmake make gcc clang libclang-rt-14-dev pkg-config libssl-dev libuv1-dev libc-ares-dev
            libjansson-dev libcmocka-dev libmicrohttpd-dev man-db)
# Real servers and network faults for the integration tests (../shared/reference/test-lab.md).
TEST_PKGS=(xrdp tigervnc-standalone-server freerdp2-shadow-x11 freerdp2-x11 freerdp2-dev winpr-utils xvfb openssl ssl-cert chromium tmux
           faketime netcat-openbsd jq iptables nftables iproute2 dnsmasq-base procps psmisc rdesktop
           prometheus)
# rdpdoctor.exe: the mingw-w64 cross toolchain, Wine to test it, dpkg-dev for `apt-get source`
# (scripts/build-windows.sh builds the dependencies from Debian's sources; it installs these too).
WIN_PKGS=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev
          wine wine64 dpkg-dev)
# Peer tools for the side-by-side benchmarks.
BENCH_PKGS=(hyperfine valgrind time nmap sslscan python3-impacket prometheus-blackbox-exporter curl bc)

export DEBIAN_FRONTEND=noninteractive
apt_net=(-o Acquire::Retries=2 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30)
# Offline with everything installed, the install below is still a no-op success: only it decides.
apt-get update -q "${apt_net[@]}" ||
  echo "install-deps: apt-get update failed (network or mirror); installing from what apt knows" >&2

# Installing xrdp on a machine with an init system would start it on 0.0.0.0:3389: forbid
# service starts for the duration of the install, and never leave the guard behind.
guard=/usr/sbin/policy-rc.d
guard_ours=0
if [ ! -e "$guard" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$guard"
  chmod +x "$guard"
  guard_ours=1
fi
cleanup() { if [ "$guard_ours" = 1 ]; then rm -f "$guard"; fi; }
trap cleanup EXIT

ALL_PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${WIN_PKGS[@]}" "${BENCH_PKGS[@]}")
# apt's downloads give up in bounded time (as in build-windows.sh): a dead mirror fails in minutes.
if ! apt-get install -y -q --no-install-recommends "${apt_net[@]}" "${ALL_PKGS[@]}"; then
  missing=()
  for p in "${ALL_PKGS[@]}"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  echo "install-deps: apt-get install failed (apt's errors above); not installed: ${missing[*]:-none}" >&2
  echo "install-deps: the suite needs every listed package, the Windows build's (${WIN_PKGS[*]}) too" >&2
  exit 4
fi

# Where an init system exists, make sure no packaged xrdp listens.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now xrdp xrdp-sesman >/dev/null 2>&1 || true
fi
