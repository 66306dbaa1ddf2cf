#!/bin/bash
# Cross-builds one static rdpdoctor.exe (x86-64 Windows) and its unit tests into build/windows,
# with Debian's mingw-w64 toolchain.
#
# The dependencies (OpenSSL 3, libuv, c-ares, jansson, cmocka, libmicrohttpd) are built from
# Debian's own source packages, of the versions this Debian release ships for Linux (the -dev
# packages the Linux build uses), fetched with `apt-get source` from the configured Debian mirror
# and nothing else. Each is built once into $RD_WIN_CACHE/<source>-<version>/ (outside the clone),
# so a second build only rebuilds rdpdoctor. OpenSSL takes most of a cold build.
#
#   scripts/build-windows.sh          dependencies (when not cached), then rdpdoctor.exe + tests
#   scripts/build-windows.sh deps     the dependencies only
#
# Environment: RD_WIN_CACHE (default /var/cache/rdpdoctor-win), RD_WIN_BUILD (default
# build/windows), RD_WIN_DEPS (the dependencies to bring up to date, default all), RD_WIN_NO_APT=1
# skips the apt-get step: for callers that ran the script once as root, which sets up deb-src.
#
# Exit codes (CI tells a broken build from a network that let it down; scripts/test.sh):
#   0  built
#   1  a dependency's build failed, its source was there (a failed rdpdoctor build exits with
#      make's or cmake's code, 2 or 1: also a failure)
#   3  it cannot run here: not root for apt-get, or no Debian mirror configured
#   4  something could not be FETCHED: the toolchain packages, or a dependency's source (no
#      network, or a mirror that does not serve it); the reason is the last line on stderr
#   64 usage
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what=${1:-all}
case "$what" in
  all|deps) ;;
  *) echo "build-windows: unknown argument '$what' (all, deps)" >&2; exit 64 ;;
esac

triple=x86_64-w64-mingw32
cache=${RD_WIN_CACHE:-/var/cache/rdpdoctor-win}
build=${RD_WIN_BUILD:-$root/build/windows}
jobs=$(nproc)

log() { printf '== %s\n' "$*"; }

# apt's downloads give up in bounded time: a dead mirror makes this a skip in minutes, not an hour.
apt_net=(-o Acquire::Retries=2 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30)
apt_failed=0

# --- packages -------------------------------------------------------------------------------------
# The toolchain, Wine for the tests, dpkg-dev for `apt-get source`, and the Linux -dev packages
# whose versions pick the sources (the same list is in install-deps.sh).
WIN_PKGS=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev
          wine wine64 dpkg-dev cmake make pkg-config libssl-dev libuv1-dev libc-ares-dev
          libjansson-dev libcmocka-dev libmicrohttpd-dev)

# apt-get source needs deb-src entries: the same mirrors and suites as the configured Debian
# binary entries (deb822 .sources stanzas and one-line .list entries), as deb-src.
srclist=/etc/apt/sources.list.d/rdpdoctor-deb-src.sources
write_deb_src() {
  local tmp
  tmp=$(mktemp)
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    [ "$f" = "$srclist" ] && continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && uris ~ /debian/ && suites != "" && !enabled_no)
          printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n%s\n\n", uris, suites, comps, signed
        types = uris = suites = comps = signed = ""; enabled_no = 0
      }
      /^[ \t]*$/ { flush(); next }
      /^#/ { next }
      tolower($1) == "types:"      { $1 = ""; types = substr($0, 2) }
      tolower($1) == "uris:"       { $1 = ""; uris = substr($0, 2) }
      tolower($1) == "suites:"     { $1 = ""; suites = substr($0, 2) }
      tolower($1) == "components:" { $1 = ""; comps = substr($0, 2) }
      tolower($1) == "signed-by:"  { signed = $0 }
      tolower($1) == "enabled:" && tolower($2) == "no" { enabled_no = 1 }
      END { flush() }' "$f" >> "$tmp"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" && $0 ~ /debian/ {
           n = 2; opts = ""
           if ($2 ~ /^\[/) { while ($n !~ /\]$/) { opts = opts " " $n; n++ } opts = opts " " $n; n++ }
           line = "Types: deb-src\nURIs: " $n "\nSuites: " $(n + 1) "\nComponents:"
           for (i = n + 2; i <= NF; i++) line = line " " $i
           if (opts ~ /signed-by=/) { s = opts; sub(/.*signed-by=/, "", s); sub(/[] ].*/, "", s); line = line "\nSigned-By: " s }
           print line "\n" }' "$f" >> "$tmp"
  done
  shopt -u nullglob
  if [ ! -s "$tmp" ]; then
    rm -f "$tmp"
    echo "build-windows: no Debian mirror found in /etc/apt to take source packages from" >&2
    exit 3
  fi
  if ! cmp -s "$tmp" "$srclist"; then
    install -m 0644 "$tmp" "$srclist"
  fi
  rm -f "$tmp"
}

if [ "${RD_WIN_NO_APT:-0}" != 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-windows: run as root (apt-get needs it), or set RD_WIN_NO_APT=1" >&2
    exit 3
  fi
  write_deb_src
  export DEBIAN_FRONTEND=noninteractive
  # Offline, a warm cache still builds: a failed update or install is only fatal below, when a
  # tool or a source it would have brought is missing (exit 4).
  if ! apt-get update -q "${apt_net[@]}" >/dev/null; then
    echo "build-windows: apt-get update failed (network or mirror); going on with what is installed" >&2
    apt_failed=1
  fi
  if ! apt-get install -y -q --no-install-recommends "${apt_net[@]}" "${WIN_PKGS[@]}" >/dev/null; then
    echo "build-windows: apt-get install failed (network or mirror); going on with what is installed" >&2
    apt_failed=1
  fi
fi

for tool in $triple-gcc $triple-windres cmake pkg-config dpkg-source; do
  if ! command -v "$tool" >/dev/null; then
    if [ "$apt_failed" = 1 ]; then
      echo "build-windows: cannot fetch: $tool is not installed and apt-get could not install it" >&2
      exit 4
    fi
    echo "build-windows: $tool not found (run as root once)" >&2
    exit 3
  fi
done

# --- dependencies ---------------------------------------------------------------------------------
mkdir -p "$cache"
prefixes=()

# The versions of SOURCE to try, best first: the one the installed Linux -dev package was built
# from, then the others the configured mirror lists for this release, newest first. (A mirror may
# list a security update whose Debian source files it does not serve.)
source_versions() {
  local src=$1 dev=$2 v
  v=$(dpkg-query -W -f='${source:Version}' "$dev" 2>/dev/null) || true
  if [ -z "$v" ]; then
    echo "build-windows: $dev is not installed; it fixes which $src source to build" >&2
    exit 3
  fi
  printf '%s\n' "$v"
  apt-cache madison "$src" | awk -F'[|]' '$3 ~ / Sources *$/ { gsub(/ /, "", $2); print $2 }' | grep -vxF "$v" |
    sort -u | sort -r -V || true
}

# fetch SOURCE VERSION DIR: unpacks the Debian source package (upstream + Debian's patches) into
# DIR/src, downloading only from the configured mirror; fails when the mirror does not serve it.
fetch() {
  local src=$1 ver=$2 dir=$3
  rm -rf "$dir/src" "$dir/dl"
  mkdir -p "$dir/dl"
  if ! (cd "$dir/dl" && apt-get source -q --download-only "${apt_net[@]}" "$src=$ver" >"$dir/fetch.log" 2>&1); then
    rm -rf "$dir/dl"
    return 1
  fi
  if ! (cd "$dir/dl" && dpkg-source --no-check -x ./*.dsc "$dir/src" >>"$dir/fetch.log" 2>&1); then
    rm -rf "$dir/dl" "$dir/src"
    return 1 # a truncated or damaged download
  fi
  rm -rf "$dir/dl"
  rm -f "$dir"/*.orig.tar.* # the links dpkg-source leaves beside the tree it unpacks
}

# cmake_dep DIR [CMAKE ARGS...]: builds a CMake project in DIR/src into DIR/inst.
cmake_dep() {
  local dir=$1
  shift
  cmake -S "$dir/src" -B "$dir/build" -G "Unix Makefiles" \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" -DRD_WIN_PREFIX="$dir/inst" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$dir/inst" -DCMAKE_INSTALL_LIBDIR=lib \
        -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF "$@" >"$dir/build.log" 2>&1 &&
  cmake --build "$dir/build" -j"$jobs" >>"$dir/build.log" 2>&1 &&
  cmake --install "$dir/build" >>"$dir/build.log" 2>&1
}

build_openssl() {
  local dir=$1
  # no-module builds the legacy provider into libcrypto (OSSL_PROVIDER_load(ctx, "legacy") in
  # src/auth/ntlmcrypto.c then finds it without a DLL). Only the libraries and headers are built.
  # The configuration file, engines and modules are looked up where only administrators can write
  # on Windows, as in OpenSSL's own Windows builds: Configure would put them under the Unix
  # --prefix, which Windows reads as C:\var\cache\…, a folder any user may create (and so plant
  # an openssl.cnf that loads a DLL of theirs).
  local ssldir="C:/Program Files/Common Files/SSL"
  (cd "$dir/src" &&
   ./Configure mingw64 no-shared no-module no-tests no-ui-console \
       --cross-compile-prefix=$triple- --prefix="$dir/inst" --libdir=lib &&
   sed -i -e "s|^OPENSSLDIR=.*|OPENSSLDIR=$ssldir|" -e "s|^ENGINESDIR=.*|ENGINESDIR=$ssldir/engines-3|" \
          -e "s|^MODULESDIR=.*|MODULESDIR=$ssldir/ossl-modules|" Makefile &&
   make -j"$jobs" build_libs && make install_dev) >"$dir/build.log" 2>&1
}

build_libuv() {
  cmake_dep "$1" -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF || return
  # libuv installs libuv.pc (for its DLL) and libuv-static.pc; keep the static one as libuv.pc.
  cp "$1/inst/lib/pkgconfig/libuv-static.pc" "$1/inst/lib/pkgconfig/libuv.pc"
  rm -f "$1/inst/lib/libuv.dll.a" "$1/inst/bin/libuv.dll"
}

build_cares() {
  # c-ares 1.18.1's inet_net_pton.c uses INADDRSZ, which only Unix's <arpa/nameser.h> defines
  # (1.19 spells it NS_INADDRSZ).
  cmake_dep "$1" -DCARES_STATIC=ON -DCARES_SHARED=OFF -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF \
                 -DCMAKE_C_FLAGS=-DINADDRSZ=4
}

build_jansson() {
  cmake_dep "$1" -DJANSSON_BUILD_DOCS=OFF -DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON \
                 -DJANSSON_BUILD_SHARED_LIBS=OFF
}

build_cmocka() {
  cmake_dep "$1" -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF || return
  # cmocka 1.1 always builds its DLL too; link the static archive under the usual name.
  if [ -f "$1/inst/lib/libcmocka-static.a" ]; then
    rm -f "$1/inst/lib/libcmocka.dll.a" "$1/inst/bin/libcmocka.dll"
    cp "$1/inst/lib/libcmocka-static.a" "$1/inst/lib/libcmocka.a"
  fi
}

build_mhd() {
  local dir=$1
  # The exporter's HTTP server: the daemon and its responses only, no HTTPS (no GnuTLS; the
  # exporter serves plain HTTP, as on Linux). Threads: Windows' own, which configure 0.9.75 finds
  # only in its "auto" mode (--with-threads=w32 skips the test and then fails). The configure
  # script of the source package runs as it is (no autotools needed).
  (cd "$dir/src" &&
   ./configure --host=$triple --prefix="$dir/inst" --libdir="$dir/inst/lib" \
       --enable-static --disable-shared --disable-https --without-gnutls --disable-curl \
       --disable-doc --disable-examples --disable-tools --with-threads=auto \
       --disable-nls --disable-dauth --disable-bauth --disable-postprocessor \
       --disable-httpupgrade --disable-epoll &&
   make -C src/microhttpd -j"$jobs" && make -C src/microhttpd install && make -C src/include install &&
   make install-pkgconfigDATA) >"$dir/build.log" 2>&1
}

# dep SOURCE DEVPKG BUILDFN RECIPE: the cached build of SOURCE, at the best version the mirror
# serves. RECIPE is bumped when BUILDFN changes, so that builds by an older recipe are redone.
dep() {
  local src=$1 dev=$2 fn=$3 recipe=$4 ver dir t0 wanted
  local -a vers
  mapfile -t vers < <(source_versions "$src" "$dev")
  if [ ${#vers[@]} -eq 0 ]; then # source_versions said why
    [ "$apt_failed" = 1 ] && { echo "build-windows: cannot fetch: $dev could not be installed" >&2; exit 4; }
    exit 3
  fi
  # One build of a dependency at a time (two worktrees, or ctest and a person, share the cache).
  exec 9>"$cache/$src.lock"
  flock 9
  wanted=${vers[0]}
  for ver in "${vers[@]}"; do
    dir=$cache/$src-$ver
    if [ -f "$dir/inst/.rdpdoctor-recipe" ] && [ "$(cat "$dir/inst/.rdpdoctor-recipe")" = "$recipe" ]; then
      prefixes+=("$dir/inst")
      flock -u 9
      return
    fi
  done
  t0=$(date +%s)
  for ver in "${vers[@]}"; do
    dir=$cache/$src-$ver
    log "$src $ver: fetching the Debian source"
    rm -rf "$dir/inst" "$dir/build"
    if fetch "$src" "$ver" "$dir"; then
      break
    fi
    log "$src $ver: the mirror does not serve this source ($(grep -m1 '^E:' "$dir/fetch.log" || true))"
    rm -rf "$dir"
    dir=
  done
  if [ -z "$dir" ]; then
    if [ "${RD_WIN_NO_APT:-0}" = 1 ] && [ ! -f "$srclist" ]; then
      echo "build-windows: run it once without RD_WIN_NO_APT, as root: that sets up deb-src" >&2
      exit 3
    fi
    echo "build-windows: cannot fetch: no version of the $src source could be downloaded (${vers[*]}: network or mirror)" >&2
    exit 4
  fi
  [ "$ver" != "$wanted" ] && log "$src: building $ver (Linux builds with $wanted)"
  log "$src $ver: building for $triple (log: $dir/build.log)"
  if ! "$fn" "$dir"; then
    echo "build-windows: building $src failed; the end of $dir/build.log:" >&2
    tail -n 30 "$dir/build.log" >&2
    exit 1
  fi
  rm -rf "$dir/build" "$dir/src"
  echo "$recipe" > "$dir/inst/.rdpdoctor-recipe"
  prefixes+=("$dir/inst")
  flock -u 9
  log "$src $ver: built in $(( $(date +%s) - t0 )) s"
}

only=${RD_WIN_DEPS:-"libuv1 c-ares jansson cmocka libmicrohttpd openssl"}
for d in $only; do
  case $d in
    openssl) dep openssl libssl-dev build_openssl 2 ;;
    libuv1)  dep libuv1 libuv1-dev build_libuv 1 ;;
    c-ares)  dep c-ares libc-ares-dev build_cares 1 ;;
    jansson) dep jansson libjansson-dev build_jansson 1 ;;
    cmocka)  dep cmocka libcmocka-dev build_cmocka 1 ;;
    libmicrohttpd) dep libmicrohttpd libmicrohttpd-dev build_mhd 1 ;;
    *) echo "build-windows: unknown dependency '$d'" >&2; exit 64 ;;
  esac
done
[ "$what" = deps ] && exit 0

# --- rdpdoctor ------------------------------------------------------------------------------------
# pkg-config sees only the cross-built prefixes, and always answers for static linking.
mkdir -p "$build"
pcdirs=$(printf '%s/lib/pkgconfig:' "${prefixes[@]}")
cat > "$build/pkg-config" <<EOF
#!/bin/sh
PKG_CONFIG_LIBDIR='${pcdirs%:}' PKG_CONFIG_SYSROOT_DIR= exec pkg-config --static "\$@"
EOF
chmod +x "$build/pkg-config"

log "rdpdoctor: configuring and building in $build"
prefix_list=$(IFS=';'; echo "${prefixes[*]}")
# CMake keeps what pkg-config answered in its cache: when a dependency's prefix changed (another
# version, another RD_WIN_CACHE), configure afresh rather than link the old one.
if [ "$(cat "$build/.rdpdoctor-prefixes" 2>/dev/null)" != "$prefix_list" ]; then
  rm -f "$build/CMakeCache.txt"
  printf '%s\n' "$prefix_list" > "$build/.rdpdoctor-prefixes"
fi
cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
      -DRD_WIN_PREFIX="$prefix_list" -DPKG_CONFIG_EXECUTABLE="$build/pkg-config" \
      -DOPENSSL_USE_STATIC_LIBS=TRUE -DCMAKE_BUILD_TYPE=Release -DRD_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs"
# What is shipped carries no symbols (the unit tests keep theirs).
$triple-strip "$build/rdpdoctor.exe"
log "rdpdoctor: $build/rdpdoctor.exe ($(stat -c %s "$build/rdpdoctor.exe") bytes)"
