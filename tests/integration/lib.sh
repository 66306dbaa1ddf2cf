# shellcheck shell=bash
# shellcheck disable=SC2034,SC2016  # globals are for the tests; bash -c bodies expand in the child
# Integration-test harness: real RDP servers (xrdp, FreeRDP's shadow server, our minisrv), network
# namespaces with iptables/nft faults, and dnsmasq, started per test and always cleaned up.
#
# Usage in tests/integration/test_X.sh (ctest runs `bash test_X.sh /path/to/rdpdoctor`):
#     source "$(dirname "$0")/lib.sh"
#     lab_init "$@"                 # set -euo pipefail, $LAB, cleanup trap, RDPDOCTOR, RD_BUILD_DIR
#     lab_require_root; lab_require_cmd xrdp
#     lab_xrdp tls good             # -> XRDP_PORT, XRDP_PID
#     "$RDPDOCTOR" check "127.0.0.1:$XRDP_PORT" --json > "$LAB/out.json" || true
#     assert_contains "$LAB/out.json" '"selected"'
# A test exits 0 on success, non-zero on failure, 77 to skip. Recipes and expected wire behaviour:
# /work/shared/reference/test-lab.md (§2, §3, §5, §9).
#
# Rules this file keeps: every server runs in the foreground as a child of the test shell, in its own
# process group (setsid), and is stopped by PID (TERM, bounded grace, KILL, wait) by the EXIT trap,
# also on failure or on SIGINT/SIGTERM/SIGHUP. Every port, display, namespace, veth and
# /etc/netns/NAME is per test (random port checked free, Xvfb -displayfd, random name suffix).
# Nothing listens on host 3389 and nothing but loopback or our namespaces is touched. Every wait is
# bounded. Functions that start processes set global variables and must not be called inside $(…)
# (a subshell's children are not ours to wait for).
#
# Environment knobs: LAB_KEEP=1 keeps $LAB after the test; LAB_QUIET=1 silences "lab:" progress
# lines; LAB_XRDP_LOGLEVEL (default DEBUG); WLOG_LEVEL is passed through to shadow and minisrv.

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SRC_DIR=$(cd "$LAB_LIB_DIR/../.." && pwd)

LAB_ETCNS_MARK=/run/rdlab-created-etc-netns
[[ -d /run ]] || LAB_ETCNS_MARK=/tmp/rdlab-created-etc-netns
LAB_USER=testuser
LAB_PASS='Passw0rd!'

# ---------------------------------------------------------------------------------------------
# Core: init, messages, skip/fail, cleanup

lab_log() { [[ ${LAB_QUIET:-0} == 1 ]] || printf 'lab: %s\n' "$*" >&2; }

# Milliseconds since the epoch, from bash's own clock (no fork).
lab_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

lab_skip() {
    printf 'SKIP: %s\n' "$*" >&2
    exit 77
}

# Fail the test: the message, then the tail of every log of this test.
lab_fail() {
    printf 'FAIL: %s\n' "$*" >&2
    _lab_log_tails >&2
    exit 1
}

_lab_log_tails() {
    local f
    [[ -n ${LAB:-} && -d $LAB/logs ]] || return 0
    shopt -s nullglob
    for f in "$LAB"/logs/* "$LAB"/xrdp-*/xrdp.log; do
        [[ -s $f ]] || continue
        # A sanitizer's report in a server's log (our fixtures are built with the sanitizers too):
        # its head says where; the tail is only its legend.
        if grep -aq 'ERROR: .*Sanitizer' "$f"; then
            printf -- '--- sanitizer report in %s\n' "$f"
            grep -a -A 30 'ERROR: .*Sanitizer' "$f" | head -n 40 | cut -c1-300
        fi
        printf -- '--- tail of %s\n' "$f"
        tail -n 8 "$f" | cut -c1-300
    done
}

lab_require_root() {
    [[ $(id -u) -eq 0 ]] || lab_skip "needs root"
}

lab_require_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || lab_skip "command not found: $c"
    done
}

lab_init() {
    set -euo pipefail
    [[ $# -ge 1 ]] || { echo "usage: bash $0 /path/to/rdpdoctor" >&2; exit 64; }
    RDPDOCTOR=$(readlink -f -- "$1" 2>/dev/null || echo "$1")
    RD_BUILD_DIR=$(dirname -- "$RDPDOCTOR")
    LAB_PIDS=()      # processes we started, in order
    LAB_NAMES=()     # short names, for messages
    LAB_NETNS=()     # namespaces we created
    LAB_ETCNS=()     # /etc/netns/NAME directories we created
    LAB_AT_EXIT=()   # extra cleanup commands (lab_at_exit), run first
    LAB_LAST_PID=
    LAB_LAST_LOG=
    LAB_SUFFIX=$(printf '%04x%04x' "$$" "$RANDOM" | tail -c 6)
    LAB=$(mktemp -d "${TMPDIR:-/tmp}/rdlab.XXXXXX")
    chmod 755 "$LAB"                 # the xrdp user must reach certificates and logs below
    mkdir -p "$LAB/logs"
    trap '_lab_cleanup' EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    LAB_T0=$(lab_ms)
    export RDPDOCTOR RD_BUILD_DIR LAB
}

# lab_at_exit "SHELL COMMAND" : run at cleanup, before the processes are stopped (tests must not set
# their own EXIT trap: it would replace the harness's).
lab_at_exit() { LAB_AT_EXIT+=("$1"); }

# Stop one process we started: SIGTERM to it (and to its process group, where it leads one, so
# xrdp's per-connection children go too), up to LAB_GRACE_MS for it to exit, then SIGKILL; wait.
lab_stop() {
    local pid=$1 i pg=0 deadline
    # lab_spawn's setsid makes each server lead its own process group (checked, not assumed).
    [[ $(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') == "$pid" ]] && pg=1
    if [[ $pg == 1 ]]; then kill -TERM -- "-$pid" 2>/dev/null || true; fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(lab_ms) + ${LAB_GRACE_MS:-2000}))
    while _lab_alive "$pid" && (($(lab_ms) < deadline)); do sleep 0.02; done
    if _lab_alive "$pid"; then
        lab_log "pid $pid ignored SIGTERM; SIGKILL"
        if [[ $pg == 1 ]]; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
        kill -KILL "$pid" 2>/dev/null || true
    fi
    # The group's other members (forked children) got the same signals; give them a moment.
    if [[ $pg == 1 ]]; then
        deadline=$(($(lab_ms) + 500))
        while pgrep -g "$pid" >/dev/null 2>&1 && (($(lab_ms) < deadline)); do sleep 0.02; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    for i in "${!LAB_PIDS[@]}"; do
        [[ ${LAB_PIDS[$i]} == "$pid" ]] && LAB_PIDS[i]=0
    done
    return 0
}

# Running and not a zombie (kill -0 succeeds on zombies).
_lab_alive() {
    local st
    [[ -r /proc/$1/stat ]] || return 1
    st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $st && $st != Z && $st != X ]]
}

_lab_cleanup() {
    local rc=$? i
    set +e
    trap - EXIT HUP INT TERM
    for ((i = ${#LAB_AT_EXIT[@]} - 1; i >= 0; i--)); do eval "${LAB_AT_EXIT[$i]}"; done
    for ((i = ${#LAB_PIDS[@]} - 1; i >= 0; i--)); do
        [[ ${LAB_PIDS[$i]} != 0 ]] && lab_stop "${LAB_PIDS[$i]}"
    done
    for ((i = ${#LAB_NETNS[@]} - 1; i >= 0; i--)); do
        ip netns pids "${LAB_NETNS[$i]}" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "${LAB_NETNS[$i]}" 2>/dev/null
    done
    for i in "${LAB_ETCNS[@]}"; do rm -rf -- "$i"; done
    # /etc/netns itself goes when a lab test created it and no test uses it any more (concurrent
    # tests share it; the marker says a lab test, not the admin, created it).
    if ((${#LAB_ETCNS[@]})) && [[ -e $LAB_ETCNS_MARK ]] && rmdir /etc/netns 2>/dev/null; then
        rm -f "$LAB_ETCNS_MARK"
    fi
    # A failed test leaves its servers' logs with the build, for the next person to read.
    if [[ $rc != 0 && $rc != 77 && -n ${LAB:-} && -d $LAB/logs && -n ${RD_BUILD_DIR:-} ]]; then
        local keep=$RD_BUILD_DIR/test-artifacts/failed-$(basename "$0" .sh)-$$
        mkdir -p "$keep" && cp -r "$LAB/logs/." "$keep/" 2>/dev/null && lab_log "logs kept in $keep"
    fi
    if [[ -n ${LAB:-} && -d $LAB ]]; then
        if [[ ${LAB_KEEP:-0} == 1 ]]; then
            lab_log "kept $LAB"
        else
            rm -rf -- "$LAB"
        fi
    fi
    exit "$rc"
}

# lab_spawn NAME CMD… : start CMD in the background, in its own process group, output to
# $LAB/logs/NAME.log; register it for cleanup. Sets LAB_LAST_PID and LAB_LAST_LOG.
lab_spawn() {
    local name=$1 log pid
    shift
    log=$LAB/logs/$name.log
    # In a script (no job control) the background child is no group leader, so setsid execs the
    # command in place: $! is the server itself, and it leads a new process group.
    setsid "$@" >"$log" 2>&1 </dev/null &
    pid=$!
    LAB_LAST_SPAWN_MS=$(lab_ms)
    LAB_PIDS+=("$pid")
    LAB_NAMES+=("$name")
    LAB_LAST_PID=$pid
    LAB_LAST_LOG=$log
}

# ---------------------------------------------------------------------------------------------
# Ports and readiness

# A free TCP port on the host for 127.0.0.1: random in 20000–59999 outside the kernel's ephemeral
# range (ip_local_port_range) when that leaves 2000 ports or more, unused per ss; never 3389.
# A port taken between this check and the server's bind is caught by _lab_start_server, which
# then retries with another port.
lab_port() {
    local p i lo=0 hi=0
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    local avoid=0
    ((lo - 20000 >= 2000)) && avoid=1
    for i in $(seq 1 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        ((avoid && p >= lo && p <= hi)) && continue
        if [[ -z $(ss -Htan "( sport = :$p )" 2>/dev/null) ]]; then
            echo "$p"
            return 0
        fi
    done
    lab_fail "no free port found"
}

# One TCP connect attempt, bounded to 1 s (bash /dev/tcp; IPv6 literals work too).
lab_tcp_ok() {
    timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# lab_wait_port HOST PORT [SECONDS=5] : poll until a TCP connect succeeds. Fails the test with the
# server's log tail when time runs out or when the last spawned server has died.
lab_wait_port() {
    _lab_wait_port "" "$@"
}

# lab_wait_listen PORT : waits (5 s at most) until something listens on TCP PORT, without
# connecting to it (a connect would use up a one-shot listener such as `nc -l`).
lab_wait_listen() {
    local i
    for i in $(seq 50); do
        ss -Hltn "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    lab_fail "nothing listens on port $1"
}

# lab_wait_port_ns NS HOST PORT [SECONDS=5] : the same, connecting from inside namespace NS.
lab_wait_port_ns() {
    _lab_wait_port "$@"
}

# With LAB_WAIT_SOFT=1 it returns 2 (instead of failing) when the server died, so that
# _lab_start_server can retry on another port.
_lab_wait_port() {
    local ns=$1 host=$2 port=$3 secs=${4:-5} deadline pid=${LAB_LAST_PID:-} ok
    deadline=$(($(lab_ms) + secs * 1000))
    while :; do
        if [[ -n $ns ]]; then
            ip netns exec "$ns" timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null && ok=1 || ok=0
        else
            lab_tcp_ok "$host" "$port" && ok=1 || ok=0
        fi
        [[ $ok == 1 ]] && return 0
        if [[ -n $pid ]] && ! _lab_alive "$pid"; then
            [[ ${LAB_WAIT_SOFT:-0} == 1 ]] && return 2
            lab_fail "server (pid $pid) exited before $host:$port accepted connections"
        fi
        (($(lab_ms) < deadline)) || lab_fail "nothing accepts connections on $host:$port after ${secs}s"
        sleep 0.01
    done
}

# After lab_wait_port: the listener on PORT must belong to PID alone (not to another test's server
# that took the same port between lab_port and bind). Optional namespace as $3.
_lab_owns_port() {
    local pid=$1 port=$2 ns=${3:-} out
    if [[ -n $ns ]]; then
        out=$(ip netns exec "$ns" ss -Htlnp "( sport = :$port )" 2>/dev/null)
    else
        out=$(ss -Htlnp "( sport = :$port )" 2>/dev/null)
    fi
    # Every listener on the port must be ours: with SO_REUSEPORT (xrdp, nc) two root processes
    # can listen on the same address and port, and the kernel then splits the connections.
    [[ -n $out ]] || return 1
    local line
    while IFS= read -r line; do
        [[ $line == *"pid=$pid,"* ]] || return 1
    done <<<"$out"
}

# _lab_start_server KIND NS HOST PORTVAR CMD-BUILDER… : common start/wait/measure for servers that
# take a port. Retries with a new port (up to 3 times) if another process owns the port.
# The builder is a function called with the port; it must call lab_spawn.
_lab_start_server() {
    local kind=$1 ns=$2 host=$3 builder=$4 port tries
    for tries in 1 2 3; do
        if [[ -n $ns ]]; then port=3389; else port=$(lab_port); fi
        "$builder" "$port"
        if ! LAB_WAIT_SOFT=1 _lab_wait_port "$ns" "$host" "$port" 5; then
            # Died at once: the usual cause is a port taken since lab_port; the log says.
            lab_log "$kind: pid $LAB_LAST_PID exited at start on port $port; retrying"
            lab_stop "$LAB_LAST_PID"
            continue
        fi
        if _lab_owns_port "$LAB_LAST_PID" "$port" "$ns"; then
            LAB_READY_MS=$(($(lab_ms) - LAB_LAST_SPAWN_MS))
            LAB_STARTED_PORT=$port
            lab_log "$kind: pid $LAB_LAST_PID ready on $host:$port in $LAB_READY_MS ms (log $LAB_LAST_LOG)"
            return 0
        fi
        lab_log "$kind: port $port taken by another process; retrying"
        lab_stop "$LAB_LAST_PID"
    done
    lab_fail "$kind: could not start (3 attempts)"
}

# ---------------------------------------------------------------------------------------------
# Certificates

_lab_ts() { date -u -d "$1" '+%Y-%m-%d %H:%M:%S'; }

# _lab_mkcert NAME BITS DAYS CN SAN [FAKETIME-OFFSET] [extra req options…]
_lab_mkcert() {
    local name=$1 bits=$2 days=$3 cn=$4 san=$5 when=${6:-} d=$LAB/certs
    shift 6 || shift $#
    local cmd=(openssl req -x509 -newkey "rsa:$bits" -nodes -keyout "$d/$name.key" -out "$d/$name.crt"
        -days "$days" -subj "/CN=$cn" -addext "subjectAltName=$san" "$@")
    if [[ -n $when ]]; then cmd=(faketime "$(_lab_ts "$when")" "${cmd[@]}"); fi
    "${cmd[@]}" >"$d/$name.gen.log" 2>&1 || { cat "$d/$name.gen.log" >&2; return 1; }
}

# lab_certs: $LAB/certs/NAME.crt + NAME.key for good, expired, notyet, wrongname, expiring, weak,
# mismatch, unreadable; dates relative to now. Idempotent.
lab_certs() {
    local d=$LAB/certs san='DNS:rdp-lab.local,IP:127.0.0.1' t0 pids=() p
    [[ -f $d/.done ]] && return 0
    lab_require_cmd openssl faketime
    t0=$(lab_ms)
    mkdir -p "$d"
    # Key generation dominates; run the independent ones at once.
    _lab_mkcert good 2048 365 rdp-lab.local "$san" & pids+=($!)
    _lab_mkcert expired 2048 370 rdp-lab.local "$san" '-400 days' & pids+=($!)
    _lab_mkcert notyet 2048 365 rdp-lab.local "$san" '+30 days' & pids+=($!)
    _lab_mkcert wrongname 2048 365 other.example.test 'DNS:other.example.test' & pids+=($!)
    _lab_mkcert expiring 2048 5 rdp-lab.local "$san" & pids+=($!)
    _lab_mkcert weak 1024 365 rdp-lab.local "$san" '' -sha1 & pids+=($!)
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/mismatch.key" 2>/dev/null & pids+=($!)
    for p in "${pids[@]}"; do wait "$p" || lab_fail "certificate generation failed"; done
    cp "$d/good.crt" "$d/mismatch.crt"
    # The "key the service cannot read" case: root-owned 0600 (xrdp then runs as user xrdp).
    cp "$d/good.crt" "$d/unreadable.crt"
    install -m 0600 -o root -g root "$d/good.key" "$d/unreadable.key"
    chmod 755 "$d"
    chmod 644 "$d"/*.crt
    chmod 600 "$d"/*.key
    rm -f "$d"/*.gen.log
    touch "$d/.done"
    LAB_CERTS_MS=$(($(lab_ms) - t0))
    lab_log "certificates ready in $LAB_CERTS_MS ms"
}

# SAM file for NTLM (user testuser, password Passw0rd!) -> $LAB/sam.txt
lab_sam() {
    [[ -s $LAB/sam.txt ]] && return 0
    lab_require_cmd winpr-hash
    winpr-hash -u "$LAB_USER" -p "$LAB_PASS" -f sam >"$LAB/sam.txt"
    chmod 644 "$LAB/sam.txt"
}

# ---------------------------------------------------------------------------------------------
# xrdp

# _lab_ini_set FILE SECTION key=value… : replace keys in [SECTION] (case-insensitive), add missing
# ones right after the section header.
_lab_ini_set() {
    local file=$1 section=$2
    shift 2
    awk -v sec="$section" -v kvs="$(printf '%s\n' "$@")" '
        BEGIN { n = split(kvs, lines, "\n"); m = 0
                for (i = 1; i <= n; i++) { if (lines[i] == "") continue
                    k = tolower(lines[i]); sub(/[ \t]*=.*/, "", k); m++; key[m] = k; val[m] = lines[i] } }
        function flush_missing(   j) { for (j = 1; j <= m; j++) if (!done[j]) { print val[j]; done[j] = 1 } }
        /^\[.*\][ \t]*$/ { if (insec) flush_missing(); insec = (tolower($0) == "[" tolower(sec) "]")
                           print; if (insec) flush_missing(); next }
        insec { k = tolower($0); sub(/[ \t]*=.*/, "", k); gsub(/^[ \t]+/, "", k)
                for (j = 1; j <= m; j++) if (key[j] == k) { next } }
        { print }
    ' "$file" >"$file.new" && mv "$file.new" "$file"
}

# _lab_xrdp_ini KIND DIR PORTSPEC MODE CERT [extra Globals lines…] -> DIR/xrdp.ini
_lab_xrdp_ini() {
    local kind=$1 dir=$2 portspec=$3 mode=$4 cert=$5 ini
    shift 5
    case $mode in negotiate | tls | rdp) ;; *) lab_fail "xrdp mode must be negotiate|tls|rdp, not $mode" ;; esac
    [[ -f $LAB/certs/$cert.crt ]] || lab_fail "no certificate named $cert (see lab_certs)"
    ini=$dir/xrdp.ini
    mkdir -p "$dir"
    if [[ $kind == full ]]; then
        cp /etc/xrdp/xrdp.ini "$ini"
    else
        printf '[Globals]\n[Logging]\n' >"$ini"
    fi
    _lab_ini_set "$ini" Globals "port=$portspec" "security_layer=$mode" \
        "certificate=$LAB/certs/$cert.crt" "key_file=$LAB/certs/$cert.key" \
        'ssl_protocols=TLSv1.2, TLSv1.3' "$@"
    _lab_ini_set "$ini" Logging "LogFile=$dir/xrdp.log" "LogLevel=${LAB_XRDP_LOGLEVEL:-DEBUG}" \
        'EnableSyslog=false' 'EnableConsole=false'
}

_lab_xrdp_check_rsakeys() {
    # Standard RDP Security reads the fixed path /etc/xrdp/rsakeys.ini (compiled in, not
    # configurable); the package's postinst creates it. We never write to /etc/xrdp.
    [[ -r /etc/xrdp/rsakeys.ini ]] ||
        lab_skip "/etc/xrdp/rsakeys.ini missing (xrdp reads only that path; create it with: xrdp-keygen xrdp auto)"
}

# Starts xrdp -n -c INI with the arguments stored in _LAB_X_* (used as a _lab_start_server builder).
_lab_xrdp_builder() {
    local port=$1 dir spec
    dir=$LAB/xrdp-$port
    case $_LAB_X_FAMILY in
    4) spec="tcp://$_LAB_X_HOST:$port" ;;
    6) spec="tcp6://.:$port" ;;   # xrdp 0.9.21: "." is the loopback ([::1]); "::1:P" would bind all
    esac
    _lab_xrdp_ini "$_LAB_X_KIND" "$dir" "$spec" "$_LAB_X_MODE" "$_LAB_X_CERT" "${_LAB_X_EXTRA[@]}"
    XRDP_INI=$dir/xrdp.ini
    XRDP_LOG=$dir/xrdp.log
    if [[ $_LAB_X_USER == xrdp ]]; then
        chown -R xrdp:xrdp "$dir"
        chmod 644 "$XRDP_INI"
        lab_spawn "xrdp-$port" setpriv --reuid=xrdp --regid=xrdp --init-groups xrdp -n -c "$XRDP_INI"
    elif [[ -n $_LAB_X_NS ]]; then
        lab_spawn "xrdp-ns-$port" ip netns exec "$_LAB_X_NS" xrdp -n -c "$XRDP_INI"
    else
        lab_spawn "xrdp-$port" xrdp -n -c "$XRDP_INI"
    fi
}

_lab_xrdp_start() {
    local label=$1
    lab_require_cmd xrdp
    lab_certs
    [[ $_LAB_X_MODE == tls ]] || _lab_xrdp_check_rsakeys
    _lab_start_server "$label($_LAB_X_MODE,$_LAB_X_CERT)" "$_LAB_X_NS" "$_LAB_X_HOST" _lab_xrdp_builder
    XRDP_PORT=$LAB_STARTED_PORT
    XRDP_PID=$LAB_LAST_PID
}

_lab_xrdp_args() {
    _LAB_X_KIND=$1 _LAB_X_FAMILY=$2 _LAB_X_HOST=$3 _LAB_X_NS=$4 _LAB_X_USER=$5 _LAB_X_MODE=$6 _LAB_X_CERT=$7
    shift 7
    _LAB_X_EXTRA=("$@")
}

# lab_xrdp MODE CERTNAME [extra Globals lines…] : minimal ini (test-lab §2) on 127.0.0.1.
lab_xrdp() {
    [[ $# -ge 2 ]] || lab_fail "usage: lab_xrdp negotiate|tls|rdp CERTNAME [key=value…]"
    _lab_xrdp_args minimal 4 127.0.0.1 "" root "$@"
    _lab_xrdp_start xrdp
}

# lab_xrdp_full MODE CERTNAME [extra Globals lines…] : the packaged /etc/xrdp/xrdp.ini with only
# port, security_layer, certificate, key_file, ssl_protocols (+ extras such as crypt_level=low) and
# logging changed; reaches the session phase (test-lab §8).
lab_xrdp_full() {
    [[ $# -ge 2 ]] || lab_fail "usage: lab_xrdp_full negotiate|tls|rdp CERTNAME [key=value…]"
    [[ -r /etc/xrdp/xrdp.ini ]] || lab_skip "no /etc/xrdp/xrdp.ini"
    _lab_xrdp_args full 4 127.0.0.1 "" root "$@"
    _lab_xrdp_start xrdp-full
}

# lab_xrdp_as_xrdp_user MODE CERTNAME [extras…] : xrdp as user xrdp (setpriv). With CERTNAME
# "unreadable" the key is root-owned 0600, so xrdp cannot read it (F3 in tls mode, RDP in
# negotiate). Any other CERTNAME gets an xrdp-readable copy of its key.
lab_xrdp_as_xrdp_user() {
    [[ $# -ge 2 ]] || lab_fail "usage: lab_xrdp_as_xrdp_user negotiate|tls|rdp CERTNAME [key=value…]"
    lab_require_root
    lab_require_cmd setpriv
    id xrdp >/dev/null 2>&1 || lab_skip "no user xrdp"
    lab_certs
    local cert=$2
    if [[ $cert != unreadable ]]; then
        cp "$LAB/certs/$cert.crt" "$LAB/certs/$cert-xrdpuser.crt"
        install -m 0600 -o xrdp -g xrdp "$LAB/certs/$cert.key" "$LAB/certs/$cert-xrdpuser.key"
        cert=$cert-xrdpuser
    fi
    _lab_xrdp_args minimal 4 127.0.0.1 "" xrdp "$1" "$cert" "${@:3}"
    _lab_xrdp_start xrdp-as-xrdp
}

# lab_xrdp6 MODE CERTNAME [extras…] : on [::1] (port=tcp6://.:PORT). Sets XRDP_PORT, XRDP_PID.
lab_xrdp6() {
    [[ $# -ge 2 ]] || lab_fail "usage: lab_xrdp6 negotiate|tls|rdp CERTNAME [key=value…]"
    ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' || lab_skip "no ::1 on lo"
    _lab_xrdp_args minimal 6 ::1 "" root "$@"
    _lab_xrdp_start xrdp6
}

# lab_xrdp_in_srv MODE CERTNAME [extras…] : xrdp inside NS_SRV on SRV_IP:3389 (after
# lab_netns_pair); readiness is checked from NS_CLI. Sets XRDP_PORT=3389, XRDP_PID.
lab_xrdp_in_srv() {
    [[ -n ${NS_SRV:-} ]] || lab_fail "lab_xrdp_in_srv needs lab_netns_pair first"
    [[ $# -ge 2 ]] || lab_fail "usage: lab_xrdp_in_srv negotiate|tls|rdp CERTNAME [key=value…]"
    _lab_xrdp_args minimal 4 "$SRV_IP" "$NS_SRV" root "$@"
    lab_require_cmd xrdp
    lab_certs
    [[ $_LAB_X_MODE == tls ]] || _lab_xrdp_check_rsakeys
    _lab_xrdp_builder 3389
    _lab_wait_port "$NS_CLI" "$SRV_IP" 3389 5
    _lab_owns_port "$LAB_LAST_PID" 3389 "$NS_SRV" || lab_fail "3389 in $NS_SRV is not our xrdp"
    XRDP_PORT=3389
    XRDP_PID=$LAB_LAST_PID
    LAB_READY_MS=$(($(lab_ms) - LAB_LAST_SPAWN_MS))
    lab_log "xrdp-in-srv($_LAB_X_MODE,$_LAB_X_CERT): pid $XRDP_PID ready on $SRV_IP:3389 in $LAB_READY_MS ms"
}

# lab_xrdp_full_in_srv MODE CERTNAME [extras…] : the packaged ini (as lab_xrdp_full) inside NS_SRV
# on SRV_IP:3389, for a session through xrdp-sesman (lab_sesman_in_srv). Sets XRDP_PORT=3389,
# XRDP_PID, XRDP_LOG.
lab_xrdp_full_in_srv() {
    [[ -n ${NS_SRV:-} ]] || lab_fail "lab_xrdp_full_in_srv needs lab_netns_pair first"
    [[ $# -ge 2 ]] || lab_fail "usage: lab_xrdp_full_in_srv negotiate|tls|rdp CERTNAME [key=value…]"
    [[ -r /etc/xrdp/xrdp.ini ]] || lab_skip "no /etc/xrdp/xrdp.ini"
    _lab_xrdp_args full 4 "$SRV_IP" "$NS_SRV" root "$@"
    lab_require_cmd xrdp
    lab_certs
    [[ $_LAB_X_MODE == tls ]] || _lab_xrdp_check_rsakeys
    _lab_xrdp_builder 3389
    _lab_wait_port "$NS_CLI" "$SRV_IP" 3389 5
    _lab_owns_port "$LAB_LAST_PID" 3389 "$NS_SRV" || lab_fail "3389 in $NS_SRV is not our xrdp"
    XRDP_PORT=3389
    XRDP_PID=$LAB_LAST_PID
    lab_log "xrdp-full-in-srv($_LAB_X_MODE,$_LAB_X_CERT): pid $XRDP_PID on $SRV_IP:3389"
}

# lab_local_user NAME PASSWORD : a local account for PAM logons (useradd, home under $LAB, shell
# /bin/sh), removed at exit — after lab_sesman_in_srv's sessions are stopped, since userdel refuses
# a user with processes. Sets LOGON_USER.
lab_local_user() {
    lab_require_root
    lab_require_cmd useradd userdel chpasswd
    local name=$1 pass=$2
    ! id "$name" >/dev/null 2>&1 || lab_fail "user $name exists already"
    useradd -M -d "$LAB/home-$name" -s /bin/sh "$name" || lab_fail "useradd $name failed"
    lab_at_exit "userdel $name 2>/dev/null || lab_log 'userdel $name failed'"
    mkdir -p "$LAB/home-$name"
    chown "$name:" "$LAB/home-$name"
    printf '%s:%s\n' "$name" "$pass" | chpasswd || lab_fail "chpasswd $name failed"
    LOGON_USER=$name
}

# The processes below PID (children first-found, all generations), by id.
_lab_descendants() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$c"
        _lab_descendants "$c"
    done
}

# Stops a session sesman started (its X server, window manager, channel server) with SIGTERM, so
# Xvnc removes its /tmp/.X<N>-lock and socket, then SIGKILL what is left; by process id.
_lab_sesman_sessions_stop() {
    local pids deadline p
    pids=$(_lab_descendants "$1")
    [[ -n $pids ]] || return 0
    kill -TERM $pids 2>/dev/null
    deadline=$(($(lab_ms) + 3000))
    for p in $pids; do
        while _lab_alive "$p" && (($(lab_ms) < deadline)); do sleep 0.05; done
    done
    for p in $pids; do _lab_alive "$p" && kill -KILL "$p" 2>/dev/null; done
    return 0
}

# lab_sesman_in_srv [XVNC_PATH] : xrdp-sesman inside NS_SRV, from a copy of the packaged
# sesman.ini under $LAB. xrdp reads the sesman port only from /etc/xrdp/sesman.ini (3350, a
# compiled-in path), so the namespace is what makes this sesman private. The session's window
# manager is $LAB/sesman/wm.sh (a sleep: no desktop is installed), its X server Xvnc (or
# XVNC_PATH, e.g. a path that does not exist, for a session that cannot start). Sets SESMAN_PID,
# SESMAN_LOG. Every session process is stopped at exit.
lab_sesman_in_srv() {
    [[ -n ${NS_SRV:-} ]] || lab_fail "lab_sesman_in_srv needs lab_netns_pair first"
    lab_require_cmd xrdp-sesman
    [[ -r /etc/xrdp/sesman.ini ]] || lab_skip "no /etc/xrdp/sesman.ini"
    local dir=$LAB/sesman ini
    mkdir -p "$dir"
    ini=$dir/sesman.ini
    cp /etc/xrdp/sesman.ini "$ini"
    printf '#!/bin/sh\nexec sleep 30\n' >"$dir/wm.sh"
    chmod 755 "$dir" "$dir/wm.sh"
    _lab_ini_set "$ini" Globals ListenAddress=127.0.0.1 ListenPort=3350 EnableUserWindowManager=false \
        "DefaultWindowManager=$dir/wm.sh"
    _lab_ini_set "$ini" Logging "LogFile=$dir/sesman.log" LogLevel=INFO EnableSyslog=false EnableConsole=false
    _lab_ini_set "$ini" ChansrvLogging EnableSyslog=false EnableConsole=false
    if [[ -n ${1:-} ]]; then
        sed -i "s|^param=Xvnc\$|param=$1|" "$ini"
    else
        lab_require_cmd Xvnc
    fi
    lab_spawn sesman ip netns exec "$NS_SRV" xrdp-sesman -n -c "$ini"
    SESMAN_PID=$LAB_LAST_PID
    SESMAN_LOG=$dir/sesman.log
    lab_at_exit "_lab_sesman_sessions_stop $SESMAN_PID"
    # It listens on [::1] or 127.0.0.1 depending on how it resolves ListenAddress: wait for either.
    local deadline=$(($(lab_ms) + 5000))
    until ip netns exec "$NS_SRV" ss -Htln 'sport = :3350' 2>/dev/null | grep -q LISTEN; do
        _lab_alive "$SESMAN_PID" || lab_fail "sesman died: $(tail -n 5 "$LAB_LAST_LOG" "$SESMAN_LOG" 2>/dev/null)"
        (($(lab_ms) < deadline)) || lab_fail "sesman did not listen on 3350 within 5 s"
        sleep 0.05
    done
    lab_log "sesman: pid $SESMAN_PID in $NS_SRV"
}

# ---------------------------------------------------------------------------------------------
# Xvfb, FreeRDP shadow server, minisrv

# lab_xvfb : one Xvfb per test (display chosen by Xvfb itself, -displayfd). Sets DISPLAY, XVFB_PID.
lab_xvfb() {
    [[ -n ${XVFB_PID:-} ]] && _lab_alive "$XVFB_PID" && return 0
    lab_require_cmd Xvfb
    local t0 fdfile=$LAB/xvfb.display deadline n
    t0=$(lab_ms)
    : >"$fdfile"
    # fd 3 of Xvfb is the file; Xvfb writes the display number there once it accepts clients.
    lab_spawn xvfb Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp -noreset 3>"$fdfile"
    XVFB_PID=$LAB_LAST_PID
    deadline=$(($(lab_ms) + 5000))
    while :; do
        n=$(tr -dc '0-9' <"$fdfile")
        [[ -n $n && $(wc -l <"$fdfile") -ge 1 ]] && break
        _lab_alive "$XVFB_PID" || lab_fail "Xvfb exited"
        (($(lab_ms) < deadline)) || lab_fail "Xvfb did not report a display within 5 s"
        sleep 0.01
    done
    export DISPLAY=:$n
    LAB_XVFB_MS=$(($(lab_ms) - t0))
    lab_log "xvfb: pid $XVFB_PID display $DISPLAY ready in $LAB_XVFB_MS ms"
}

_lab_shadow_builder() {
    local port=$1 dir sec=()
    dir=$LAB/shadow-$port
    mkdir -p "$dir/config/freerdp/shadow"
    cp "$LAB/certs/$_LAB_S_CERT.crt" "$dir/config/freerdp/shadow/shadow.crt"
    cp "$LAB/certs/$_LAB_S_CERT.key" "$dir/config/freerdp/shadow/shadow.key"
    case $_LAB_S_MODE in
    nla) sec=(/sec:nla "/sam-file:$LAB/sam.txt") ;;
    tls) sec=(/sec:tls) ;;
    rdp) sec=(/sec:rdp) ;;
    mixed) sec=(+sec-nla +sec-tls +sec-rdp "/sam-file:$LAB/sam.txt") ;;
    esac
    lab_spawn "shadow-$port" env HOME="$dir" XDG_CONFIG_HOME="$dir/config" DISPLAY="$DISPLAY" \
        freerdp-shadow-cli /bind-address:127.0.0.1 "/port:$port" "${sec[@]}"
}

# lab_shadow MODE [CERTNAME=good] : freerdp-shadow-cli on 127.0.0.1 under the test's Xvfb.
# MODE nla|tls|rdp|mixed (mixed = +sec-nla +sec-tls +sec-rdp). Sets SHADOW_PORT, SHADOW_PID.
lab_shadow() {
    case ${1:-} in nla | tls | rdp | mixed) ;; *) lab_fail "usage: lab_shadow nla|tls|rdp|mixed [CERTNAME]" ;; esac
    lab_require_cmd freerdp-shadow-cli
    _LAB_S_MODE=$1 _LAB_S_CERT=${2:-good}
    lab_certs
    lab_sam
    lab_xvfb
    _lab_start_server "shadow($_LAB_S_MODE)" "" 127.0.0.1 _lab_shadow_builder
    SHADOW_PORT=$LAB_STARTED_PORT
    SHADOW_PID=$LAB_LAST_PID
}

# The minisrv binary: the build's (RD_BUILD_DIR/tests/servers/minisrv), $MINISRV, or built here.
lab_minisrv_bin() {
    local src=$LAB_SRC_DIR/tests/servers/minisrv.c out=$LAB/bin/minisrv
    if [[ -n ${MINISRV:-} && -x $MINISRV ]]; then MINISRV_BIN=$MINISRV; return 0; fi
    if [[ -x $RD_BUILD_DIR/tests/servers/minisrv ]]; then MINISRV_BIN=$RD_BUILD_DIR/tests/servers/minisrv; return 0; fi
    if [[ -x $out ]]; then MINISRV_BIN=$out; return 0; fi
    lab_require_cmd gcc pkg-config
    pkg-config --exists freerdp-server2 freerdp2 winpr2 || lab_skip "freerdp2-dev (freerdp-server2.pc) not installed"
    mkdir -p "$LAB/bin"
    local t0
    t0=$(lab_ms)
    # shellcheck disable=SC2046
    gcc -std=gnu11 -O1 -w -o "$out" "$src" $(pkg-config --cflags --libs freerdp-server2 freerdp2 winpr2) -lpthread \
        >"$LAB/logs/minisrv-build.log" 2>&1 || lab_fail "building minisrv failed"
    lab_log "minisrv built in $(($(lab_ms) - t0)) ms"
    MINISRV_BIN=$out
}

_lab_minisrv_builder() {
    local port=$1 sam=()
    [[ $_LAB_M_MODE == nla || $_LAB_M_MODE == any ]] && sam=("$LAB/sam.txt")
    lab_spawn "minisrv-$port" "$MINISRV_BIN" 127.0.0.1 "$port" "$LAB/certs/$_LAB_M_CERT.crt" \
        "$LAB/certs/$_LAB_M_CERT.key" "$_LAB_M_MODE" "${sam[@]}" "${_LAB_M_OPTS[@]}"
}

# lab_minisrv MODE [CERTNAME=good] [MINISRV-OPTIONS...] : our FreeRDP-server-library test server on
# 127.0.0.1. MODE nla|tls|rdp|any; NTLM user testuser / Passw0rd!. Options are minisrv's faults
# (tests/servers/MINISRV.md), e.g. `lab_minisrv tls good --error-info 7@info`; CERTNAME may be left
# out before them (`lab_minisrv tls --close-at mcs`). Sets MINISRV_PORT, MINISRV_PID.
lab_minisrv() {
    case ${1:-} in nla | tls | rdp | any) ;; *) lab_fail "usage: lab_minisrv nla|tls|rdp|any [CERTNAME] [OPTIONS]" ;; esac
    _LAB_M_MODE=$1 _LAB_M_CERT=good
    shift
    if [[ $# -gt 0 && $1 != --* ]]; then _LAB_M_CERT=$1; shift; fi
    _LAB_M_OPTS=("$@")
    lab_certs
    lab_sam
    lab_minisrv_bin
    _lab_start_server "minisrv($_LAB_M_MODE${_LAB_M_OPTS[*]:+ ${_LAB_M_OPTS[*]}})" "" 127.0.0.1 _lab_minisrv_builder
    MINISRV_PORT=$LAB_STARTED_PORT
    MINISRV_PID=$LAB_LAST_PID
}

# ---------------------------------------------------------------------------------------------
# Network namespaces and faults (test-lab §5, §9)

# lab_netns_pair : namespaces NS_SRV and NS_CLI joined by a veth, SRV_IP=10.77.X.1, CLI_IP=10.77.X.2
# (X random). Names carry the test's suffix; all removed on exit.
lab_netns_pair() {
    lab_require_root
    lab_require_cmd ip
    local x=$((1 + RANDOM % 250)) t0
    t0=$(lab_ms)
    NS_SRV=rdl-$LAB_SUFFIX-s
    NS_CLI=rdl-$LAB_SUFFIX-c
    SRV_IP=10.77.$x.1
    CLI_IP=10.77.$x.2
    LAB_NET_X=$x
    ip netns add "$NS_SRV" || lab_skip "cannot create network namespaces here"
    LAB_NETNS+=("$NS_SRV")
    ip netns add "$NS_CLI" || lab_fail "ip netns add $NS_CLI failed"
    LAB_NETNS+=("$NS_CLI")
    # Created inside the namespaces, so the names never meet another test's on the host.
    ip link add "vc$LAB_SUFFIX" netns "$NS_CLI" type veth peer name "vs$LAB_SUFFIX" netns "$NS_SRV" ||
        lab_fail "veth creation failed"
    ip -n "$NS_SRV" addr add "$SRV_IP/24" dev "vs$LAB_SUFFIX"
    ip -n "$NS_CLI" addr add "$CLI_IP/24" dev "vc$LAB_SUFFIX"
    ip -n "$NS_SRV" link set lo up
    ip -n "$NS_CLI" link set lo up
    ip -n "$NS_SRV" link set "vs$LAB_SUFFIX" up
    ip -n "$NS_CLI" link set "vc$LAB_SUFFIX" up
    VETH_SRV=vs$LAB_SUFFIX
    VETH_CLI=vc$LAB_SUFFIX
    lab_log "netns: $NS_SRV ($SRV_IP) <-> $NS_CLI ($CLI_IP) in $(($(lab_ms) - t0)) ms"
}

lab_in_srv() { ip netns exec "$NS_SRV" "$@"; }
lab_in_cli() { ip netns exec "$NS_CLI" "$@"; }

# lab_fault RULE [PORT=3389] : a fault in NS_SRV. RULE is a preset:
#   drop            iptables INPUT tcp dport PORT DROP                      (connect times out)
#   reset           iptables REJECT --reject-with tcp-reset                 (ECONNREFUSED)
#   port-unreach    iptables REJECT (icmp-port-unreachable)                 (ECONNREFUSED)
#   host-prohibited iptables REJECT --reject-with icmp-host-prohibited      (EHOSTUNREACH)
#   net-unreach     iptables REJECT --reject-with icmp-net-unreachable      (ENETUNREACH)
#   nth-loss        iptables -m statistic --mode nth --every 5 --packet 0 DROP (deterministic loss)
#   tls-drop        nft output: tcp sport PORT @ih,0,8 0x16 drop            (X.224 ok, TLS stalls)
#   big-drop        nft input: tcp dport PORT ip length > 52 drop           (connects, no X.224 reply)
# or a raw command line starting with iptables, ip6tables or nft (run as is inside NS_SRV).
lab_fault() {
    [[ -n ${NS_SRV:-} ]] || lab_fail "lab_fault needs lab_netns_pair first"
    local rule=$1 port=${2:-3389}
    case $rule in
    iptables | ip6tables | nft) lab_in_srv "$@" || lab_fail "fault rule failed: $*"; return 0 ;;
    esac
    case $rule in
    drop) lab_in_srv iptables -A INPUT -p tcp --dport "$port" -j DROP ;;
    reset) lab_in_srv iptables -A INPUT -p tcp --dport "$port" -j REJECT --reject-with tcp-reset ;;
    port-unreach) lab_in_srv iptables -A INPUT -p tcp --dport "$port" -j REJECT ;;
    host-prohibited) lab_in_srv iptables -A INPUT -p tcp --dport "$port" -j REJECT --reject-with icmp-host-prohibited ;;
    net-unreach) lab_in_srv iptables -A INPUT -p tcp --dport "$port" -j REJECT --reject-with icmp-net-unreachable ;;
    nth-loss) lab_in_srv iptables -A INPUT -p tcp --dport "$port" -m statistic --mode nth --every 5 --packet 0 -j DROP ;;
    tls-drop)
        lab_in_srv nft add table inet rdlab
        lab_in_srv nft add chain inet rdlab out '{ type filter hook output priority 0; }'
        lab_in_srv nft add rule inet rdlab out tcp sport "$port" @ih,0,8 0x16 drop
        ;;
    big-drop)
        lab_in_srv nft add table inet rdlab
        lab_in_srv nft add chain inet rdlab in '{ type filter hook input priority 0; }'
        lab_in_srv nft add rule inet rdlab in tcp dport "$port" ip length '>' 52 drop
        ;;
    *) lab_fail "unknown fault preset: $rule" ;;
    esac || lab_fail "fault $rule failed"
    lab_log "fault $rule on port $port in $NS_SRV"
}

# lab_fault_clear : remove every iptables rule and our nft table in NS_SRV.
lab_fault_clear() {
    lab_in_srv iptables -F INPUT 2>/dev/null || true
    lab_in_srv iptables -F OUTPUT 2>/dev/null || true
    lab_in_srv nft delete table inet rdlab 2>/dev/null || true
}

# lab_silent_host : an address that never answers (connects time out). CLI routes the off-link
# prefix 10.78.X.0/24 via SRV_IP; SRV (no forwarding) drops it silently and a DROP rule makes sure.
# Sets SILENT_IP. (An address on the veth's own subnet would give EHOSTUNREACH after ~3 s.)
lab_silent_host() {
    [[ -n ${NS_SRV:-} ]] || lab_fail "lab_silent_host needs lab_netns_pair first"
    SILENT_IP=10.78.$LAB_NET_X.99
    lab_in_cli ip route add "10.78.$LAB_NET_X.0/24" via "$SRV_IP"
    lab_in_srv sysctl -q -w net.ipv4.ip_forward=0 >/dev/null 2>&1 || true
    lab_in_srv iptables -A FORWARD -d "10.78.$LAB_NET_X.0/24" -j DROP
    lab_in_srv ip route add blackhole "10.78.$LAB_NET_X.0/24"
}

# lab_dnsmasq_in_srv ARGS… : dnsmasq bound to SRV_IP:53 in NS_SRV with ARGS (e.g.
# --address=/rdp-ok.lab.test/10.77.X.1); NS_CLI's resolv.conf points at it. Sets DNSMASQ_PID.
lab_dnsmasq_in_srv() {
    [[ -n ${NS_SRV:-} ]] || lab_fail "lab_dnsmasq_in_srv needs lab_netns_pair first"
    lab_require_cmd dnsmasq
    local d=/etc/netns/$NS_CLI t0 deadline
    t0=$(lab_ms)
    if mkdir /etc/netns 2>/dev/null; then touch "$LAB_ETCNS_MARK"; fi
    mkdir -p "$d"
    LAB_ETCNS+=("$d")
    printf 'nameserver %s\n' "$SRV_IP" >"$d/resolv.conf"
    # --no-daemon writes no pid file: the pid is lab_spawn's $!.
    lab_spawn dnsmasq ip netns exec "$NS_SRV" dnsmasq --no-daemon --conf-file=/dev/null \
        --no-resolv --no-hosts --listen-address="$SRV_IP" --bind-interfaces --user=root \
        --log-queries --log-facility=- "$@"
    DNSMASQ_PID=$LAB_LAST_PID
    deadline=$(($(lab_ms) + 5000))
    until lab_in_srv ss -Hulnp "( sport = :53 )" 2>/dev/null | grep -q "pid=$DNSMASQ_PID,"; do
        _lab_alive "$DNSMASQ_PID" || lab_fail "dnsmasq exited"
        (($(lab_ms) < deadline)) || lab_fail "dnsmasq not listening after 5 s"
        sleep 0.01
    done
    lab_log "dnsmasq: pid $DNSMASQ_PID ready on $SRV_IP:53 in $(($(lab_ms) - t0)) ms"
}

# ---------------------------------------------------------------------------------------------
# Wire helpers and assertions

_lab_hex() {
    if command -v xxd >/dev/null 2>&1; then xxd -p | tr -d '\n'; else od -An -tx1 | tr -d ' \n'; fi
}

# capture_cc HOST PORT PROTOCOLS : send the lab's X.224 Connection Request (test-lab §3) with
# requestedProtocols PROTOCOLS (decimal 0–255, e.g. 0 1 2 3 8 11) or "legacy" (no RDP_NEG_REQ), print
# the reply as lowercase hex (one TPKT, as long as its header says; whatever came if not TPKT; empty
# on close or silence). Bounded by CC_TIMEOUT seconds (default 3). Runs in namespace CC_NS if set.
capture_cc() {
    local host=$1 port=$2 proto=$3 req pre=()
    if [[ $proto == legacy ]]; then
        req='\x03\x00\x00\x0b\x06\xe0\x00\x00\x00\x00\x00'
    else
        if ! [[ $proto =~ ^[0-9]+$ ]] || ((proto > 255)); then lab_fail "capture_cc: bad protocols $proto"; fi
        req=$(printf '\\x03\\x00\\x00\\x13\\x0e\\xe0\\x00\\x00\\x00\\x00\\x00\\x01\\x00\\x08\\x00\\x%02x\\x00\\x00\\x00' "$proto")
    fi
    [[ -n ${CC_NS:-} ]] && pre=(ip netns exec "$CC_NS")
    local hexer='xxd -p'
    command -v xxd >/dev/null 2>&1 || hexer='od -An -tx1'
    "${pre[@]}" timeout "${CC_TIMEOUT:-3}" bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "$2" >&3
        hdr=$(head -c 4 <&3 | $3 | tr -d " \n")
        printf %s "$hdr"
        [ ${#hdr} -eq 8 ] || exit 0
        if [ "${hdr:0:2}" = 03 ]; then
            len=$((16#${hdr:4:4}))
            [ "$len" -gt 4 ] && head -c $((len - 4)) <&3 | $3 | tr -d " \n"
        else
            timeout 0.5 head -c 4096 <&3 | $3 | tr -d " \n"
        fi
        exit 0' "$host" "$port" "$req" "$hexer" 2>/dev/null || true
    echo
}

# lab_tls_probe HOST PORT [PROTO=1] [SECONDS=3] : X.224 request for PROTO, then (if the server
# selected SSL or HYBRID) a TLS handshake without certificate checks. Prints one line:
#   "ok VERSION CIPHER" | "timeout" | "closed" | "reset" | "plaintext" (a non-TLS reply to the
#   ClientHello, e.g. xrdp's MCS disconnect) | "no-tls CCHEX" (SSL/HYBRID not selected) | "error TEXT".
# Runs in namespace CC_NS if set. Needs /usr/bin/python3 (skips the test otherwise).
lab_tls_probe() {
    local pre=() py=/usr/bin/python3
    [[ -x $py ]] || lab_skip "lab_tls_probe needs /usr/bin/python3"
    [[ -n ${CC_NS:-} ]] && pre=(ip netns exec "$CC_NS")
    "${pre[@]}" "$py" - "$1" "$2" "${3:-1}" "${4:-3}" <<'PY' || true
import socket, ssl, sys
host, port, proto, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
cr = bytes([3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, proto, 0, 0, 0])
def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            break
        b += c
    return b
try:
    s = socket.create_connection((host, port), timeout=secs)
    s.sendall(cr)
    cc = recv_exact(s, 19)
    if len(cc) < 19 or cc[11] != 2 or cc[15] not in (1, 2, 8):
        print("no-tls " + cc.hex()); sys.exit(0)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    t = ctx.wrap_socket(s)
    print("ok", t.version(), t.cipher()[0])
except socket.timeout:
    print("timeout")
except ConnectionResetError:
    print("reset")
except (ssl.SSLEOFError, ssl.SSLZeroReturnError, EOFError, BrokenPipeError):
    print("closed")
except ssl.SSLError as e:
    print("plaintext" if "WRONG_VERSION_NUMBER" in str(e) else "error " + str(e)[:200])
except Exception as e:
    print("error", type(e).__name__, str(e).replace("\n", " ")[:200])
PY
}

# Expected Connection Confirm bytes (test-lab §3). SRCREF: xrdp 1234, FreeRDP-based servers 0000.
#   lab_cc_rsp PROTO [FLAGS=01] [SRCREF=1234]    RDP_NEG_RSP selecting PROTO (0 RDP, 1 SSL, 2 HYBRID)
#   lab_cc_fail CODE [SRCREF=1234]               RDP_NEG_FAILURE with CODE
#   lab_cc_legacy [SRCREF=1234]                  CC without negotiation data
lab_cc_rsp() { printf '030000130ed00000%s0002%s0800%02x000000\n' "${3:-1234}" "${2:-01}" "$1"; }
lab_cc_fail() { printf '030000130ed00000%s0003000800%02x000000\n' "${2:-1234}" "$1"; }
lab_cc_legacy() { printf '0300000b06d00000%s00\n' "${1:-1234}"; }

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
    [[ $1 == "$2" ]] || lab_fail "${3:-value}: expected '$1', got '$2'"
    lab_log "ok: ${3:-value} = $2"
}

# assert_client NAME CODE EXT : the code and extended code a Windows client would most likely show,
# as the verdict of $LAB/NAME.json predicts them for its primary cause ("none" for no code).
assert_client() {
    local j=$LAB/$1.json
    assert_eq "$2" "$(jq -r '.verdict.client_error_code // "none"' "$j")" "$1: predicted client code"
    assert_eq "$3" "$(jq -r '.verdict.client_error_extended // "none"' "$j")" "$1: predicted extended code"
}

assert_contains() {
    [[ -f $1 ]] || lab_fail "assert_contains: no file $1"
    grep -qF -- "$2" "$1" || { tail -n 20 "$1" >&2; lab_fail "$1 does not contain: $2"; }
}

assert_not_contains() {
    [[ -f $1 ]] || lab_fail "assert_not_contains: no file $1"
    ! grep -qF -- "$2" "$1" || { grep -nF -- "$2" "$1" | head -5 >&2; lab_fail "$1 contains: $2"; }
}

# assert_exit EXPECTED CMD… : run CMD (its output goes to $LAB/last.out and .err), compare exit code.
assert_exit() {
    local want=$1 rc=0
    shift
    "$@" >"$LAB/last.out" 2>"$LAB/last.err" || rc=$?
    if [[ $rc != "$want" ]]; then
        tail -n 20 "$LAB/last.out" "$LAB/last.err" >&2
        lab_fail "exit code $rc (expected $want): $*"
    fi
    lab_log "ok: exit $rc: $*"
}
