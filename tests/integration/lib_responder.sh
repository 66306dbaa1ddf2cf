# shellcheck shell=bash
# lib_responder.sh — start and stop our scriptable fault responder (tests/servers/responder.c)
# from an integration test. ctest runs each test as `bash test_X.sh /path/to/rdpdoctor`; source
# this file with that argument:
#
#   . "$(dirname "$0")/lib_responder.sh" "$1"
#   responder_start close-after-cr          # a name from tests/servers/scripts/, or a path
#   "$RDPDOCTOR" check "127.0.0.1:$RESPONDER_PORT" ...
#   responder_stop
#
#   responder_start - --cap 5 <<'EOF'       # or an inline script on stdin
#   read-tpkt
#   cc failure 5
#   EOF
#
# responder_start sets RESPONDER_PORT, RESPONDER_PID and RESPONDER_LOG (the responder's hex log of
# everything it received: print it with responder_log when a test fails). Several responders may
# run at once; every one is stopped at exit. Call responder_start in the test's own shell, never
# inside $(…) or a pipeline: the responder exits when the process that started it is gone.
#
# Environment: RD_RESPONDER (the binary), RD_BUILD_DIR (default: the folder of the rdpdoctor
# binary, whose tests/servers/responder is used), RESPONDER_CERT/RESPONDER_KEY (the TLS pair for
# tls-accept; generated per test when unset), RESPONDER_KEEP_TMP=1 (keep the temp folder).
# Works with or without lib.sh (source either first; under lab_init the cleanup goes through
# lab_at_exit and the temp folder lives in $LAB), and under set -euo pipefail.
# When no binary is built, the responder is compiled with gcc into the temp folder; when that is
# impossible the test is skipped (exit 77).

RDPDOCTOR=${RDPDOCTOR:-${1:-}}
RD_BUILD_DIR=${RD_BUILD_DIR:-$(if [ -n "$RDPDOCTOR" ]; then dirname -- "$RDPDOCTOR"; fi)}
RESPONDER_SRC_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../servers" && pwd)
RESPONDER_SCRIPTS=$RESPONDER_SRC_DIR/scripts
RESPONDER_BIN=${RD_RESPONDER:-}
RESPONDER_TMP=
RESPONDER_PORT=
RESPONDER_PID=
RESPONDER_LOG=
RESPONDER_PIDS=()
declare -gA RESPONDER_LOGS=()
_responder_seq=0

_responder_tmpdir() {
  if [ -z "$RESPONDER_TMP" ]; then
    # Inside lib.sh's $LAB when the test uses it, so that LAB_KEEP=1 keeps our logs too.
    RESPONDER_TMP=$(mktemp -d "${LAB:-${TMPDIR:-/tmp}}/rd-responder.XXXXXX") || return 1
    _responder_install_trap
  fi
}

# Runs responder_cleanup at exit: through lib.sh's lab_at_exit when the test called lab_init
# (lib.sh owns the EXIT trap then), else from our own EXIT trap, before the test's earlier one.
_responder_install_trap() {
  local prev
  if declare -F lab_at_exit >/dev/null && [ -n "${LAB:-}" ]; then
    lab_at_exit responder_cleanup
    return 0
  fi
  prev=$(trap -p EXIT)
  case $prev in *_responder_on_exit*) return 0 ;; esac
  prev=${prev#trap -- }
  prev=${prev% EXIT}
  eval "_responder_prev_exit=${prev:-''}"
  trap _responder_on_exit EXIT
}

_responder_on_exit() {
  local rc=$?
  set +e
  responder_cleanup
  if [ -n "${_responder_prev_exit:-}" ]; then
    _responder_status "$rc" # the earlier trap sees the test's exit status in $?
    eval "$_responder_prev_exit"
  fi
  exit "$rc"
}

_responder_status() { return "$1"; }

# Finds or builds the responder binary; exits 77 (skip) when there is none and it cannot be built.
responder_require() {
  if [ -n "$RESPONDER_BIN" ] && [ -x "$RESPONDER_BIN" ]; then
    return 0
  fi
  if [ -n "${RD_RESPONDER:-}" ]; then
    echo "SKIP: RD_RESPONDER=$RD_RESPONDER is not an executable" >&2
    exit 77
  fi
  if [ -n "$RD_BUILD_DIR" ] && [ -x "$RD_BUILD_DIR/tests/servers/responder" ]; then
    RESPONDER_BIN=$RD_BUILD_DIR/tests/servers/responder
    return 0
  fi
  _responder_tmpdir || exit 77
  local cc=${CC:-gcc} flags
  if ! command -v "$cc" >/dev/null || ! flags=$(pkg-config --cflags --libs openssl 2>/dev/null); then
    echo "SKIP: no responder binary, and no $cc or OpenSSL development files to build one" >&2
    exit 77
  fi
  # shellcheck disable=SC2086 # flags is a word list
  if ! "$cc" -std=c11 -O1 -o "$RESPONDER_TMP/responder" "$RESPONDER_SRC_DIR/responder.c" \
      $flags 2>"$RESPONDER_TMP/build.log"; then
    cat "$RESPONDER_TMP/build.log" >&2
    echo "SKIP: could not build the responder" >&2
    exit 77
  fi
  RESPONDER_BIN=$RESPONDER_TMP/responder
}

# Sets RESPONDER_CERT/RESPONDER_KEY, generating a self-signed RSA pair (valid from now) once.
responder_cert() {
  if [ -n "${RESPONDER_CERT:-}" ] && [ -n "${RESPONDER_KEY:-}" ]; then
    return 0
  fi
  _responder_tmpdir || return 1
  if ! openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
      -keyout "$RESPONDER_TMP/responder.key" -out "$RESPONDER_TMP/responder.crt" \
      -subj "/CN=responder.rdpdoctor.test" \
      -addext "subjectAltName=DNS:responder.rdpdoctor.test,IP:127.0.0.1" \
      >"$RESPONDER_TMP/cert.log" 2>&1; then
    cat "$RESPONDER_TMP/cert.log" >&2
    echo "responder_cert: openssl could not make a certificate" >&2
    return 1
  fi
  RESPONDER_CERT=$RESPONDER_TMP/responder.crt
  RESPONDER_KEY=$RESPONDER_TMP/responder.key
}

# responder_start SCRIPT [responder args…]
# SCRIPT: a path, a name in tests/servers/scripts (with or without .txt), or - for stdin.
# Waits (5 s at most) until the port is bound. Returns non-zero, with the log on stderr, when
# the responder does not start (a script error names its line).
responder_start() {
  local script=$1 a need_cert=0 i
  shift
  responder_require
  _responder_tmpdir || return 1
  _responder_seq=$((_responder_seq + 1))
  local base=$RESPONDER_TMP/r$_responder_seq
  if [ "$script" = - ]; then
    cat >"$base.script.txt"
    script=$base.script.txt
  elif [ ! -f "$script" ]; then
    if [ -f "$RESPONDER_SCRIPTS/$script" ]; then
      script=$RESPONDER_SCRIPTS/$script
    elif [ -f "$RESPONDER_SCRIPTS/$script.txt" ]; then
      script=$RESPONDER_SCRIPTS/$script.txt
    else
      echo "responder_start: no script $script" >&2
      return 1
    fi
  fi
  if grep -q '^[[:space:]]*tls-accept' "$script"; then
    need_cert=1
    for a in "$@"; do
      if [ "$a" = --cert ]; then need_cert=0; fi
    done
  fi
  local tls=()
  if [ $need_cert = 1 ]; then
    responder_cert || return 1
    tls=(--cert "$RESPONDER_CERT" --key "$RESPONDER_KEY")
  fi

  "$RESPONDER_BIN" --listen 127.0.0.1:0 --script "$script" --port-file "$base.port" \
    --exit-with-parent "${tls[@]}" "$@" >"$base.out" 2>"$base.log" &
  local pid=$!
  RESPONDER_PIDS+=("$pid")
  RESPONDER_LOGS[$pid]=$base.log
  for ((i = 0; i < 50; i++)); do
    if [ -s "$base.port" ]; then
      RESPONDER_PORT=$(cat "$base.port")
      RESPONDER_PID=$pid
      RESPONDER_LOG=$base.log
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "responder_start: the responder did not start (script $script):" >&2
  cat "$base.log" >&2
  responder_stop "$pid" >/dev/null 2>&1 || true
  return 1
}

# responder_stop [PID] — stops the last responder started (or PID) and waits for it. Returns its
# exit status: 0 after a clean stop; with --once, 1 when an expect-hex did not match.
responder_stop() {
  local pid=${1:-$RESPONDER_PID} i rc=0 keep=()
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    # A process that has exited but is not yet waited for still answers kill -0; ps says Z.
    case $(ps -o stat= -p "$pid" 2>/dev/null) in '' | Z*) break ;; esac
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || rc=$?
  for i in "${RESPONDER_PIDS[@]}"; do
    if [ "$i" != "$pid" ]; then keep+=("$i"); fi
  done
  RESPONDER_PIDS=("${keep[@]}")
  if [ "$pid" = "$RESPONDER_PID" ]; then
    RESPONDER_PID=
  fi
  return "$rc"
}

# responder_wait [PID] [SECONDS] — waits (5 s by default) for a responder started with --once to
# finish by itself, and returns its exit status: 0, or 1 when an expect-hex did not match. A
# responder still running then is stopped, and 124 returned. (responder_stop would race with the
# end of the connection and could turn the status into a kill.)
responder_wait() {
  local pid=${1:-$RESPONDER_PID} secs=${2:-5} i
  [ -n "$pid" ] || return 0
  for ((i = 0; i < secs * 10; i++)); do
    case $(ps -o stat= -p "$pid" 2>/dev/null) in
    '' | Z*)
      responder_stop "$pid"
      return
      ;;
    esac
    sleep 0.1
  done
  echo "responder_wait: responder $pid still runs after $secs s; stopping it" >&2
  responder_stop "$pid" || true
  return 124
}

# responder_log [PID] — prints a responder's log (what it received, in hex, and what it did):
# PID's, or the last one started.
responder_log() {
  local f=$RESPONDER_LOG
  if [ -n "${1:-}" ]; then
    f=${RESPONDER_LOGS[$1]:-}
  fi
  if [ -n "$f" ] && [ -f "$f" ]; then
    echo "---- responder log $f"
    cat "$f"
    echo "----"
  fi
}

# responder_client [ARGS…] — the responder's built-in test client against RESPONDER_PORT: sends
# an X.224 Connection Request (SSL), prints the reply and, when TLS was selected, the handshake.
responder_client() {
  timeout 20 "$RESPONDER_BIN" --selftest-client "127.0.0.1:$RESPONDER_PORT" "$@"
}

# Stops every responder and removes the temp folder (unless RESPONDER_KEEP_TMP=1).
responder_cleanup() {
  local pid
  for pid in "${RESPONDER_PIDS[@]}"; do
    responder_stop "$pid" >/dev/null 2>&1 || true
  done
  if [ -n "$RESPONDER_TMP" ] && [ "${RESPONDER_KEEP_TMP:-0}" != 1 ] && [ "${LAB_KEEP:-0}" != 1 ]; then
    rm -rf -- "$RESPONDER_TMP"
    RESPONDER_TMP=
  fi
}
