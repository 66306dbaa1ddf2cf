#!/bin/bash
# Smoke test of the fault responder (tests/servers/responder.c): each example script in
# tests/servers/scripts behaves as written, on the wire. Plaintext behaviour is checked with
# bash's /dev/tcp; TLS with the responder's own --selftest-client (openssl s_client cannot send
# the X.224 prefix) and, for a bare tls-accept, with openssl s_client.
# Usage (ctest): bash test_responder_smoke.sh /path/to/rdpdoctor   — 0 pass, 1 fail, 77 skip.
set -u
here=$(cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib_responder.sh
. "$here/lib_responder.sh" "${1:-}"

for tool in timeout od openssl; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is missing"
    exit 77
  fi
done
responder_require
_responder_tmpdir || exit 1
work=$RESPONDER_TMP

CR_SSL="03 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 01 00 00 00"   # test-lab §3, requests SSL
CC_SSL="03 00 00 13 0e d0 00 00 12 34 00 02 01 08 00 01 00 00 00"   # cc rsp 1 1
# A TLS record the responder's raw tls-read-hello accepts: handshake, 4 bytes of body.
FAKE_HELLO="16 03 01 00 04 01 00 00 00"

failures=0
pass() { echo "ok   $1"; }
fail() {
  echo "FAIL $1: $2"
  responder_log "$RESPONDER_PID"
  failures=$((failures + 1))
}

# raw_exchange HEX SECONDS — connects to the responder, sends HEX, reads for at most SECONDS.
# Sets RAW_HEX (what came, "03 00 …"), RAW_RC (0: the responder closed; 124: still open when we
# stopped reading; other: an error, then RAW_ERR says which, e.g. "Connection reset by peer").
raw_exchange() {
  local hex=$1 secs=$2 fd esc="" b
  for b in $hex; do esc+="\\x$b"; done
  if ! exec {fd}<>"/dev/tcp/127.0.0.1/$RESPONDER_PORT"; then
    RAW_RC=255 RAW_HEX="" RAW_ERR="connect failed"
    return
  fi
  # shellcheck disable=SC2059 # the format is our own escapes
  if [ -n "$esc" ]; then printf "$esc" >&"$fd"; fi
  timeout "$secs" cat <&"$fd" >"$work/raw.bin" 2>"$work/raw.err"
  RAW_RC=$?
  exec {fd}>&-
  RAW_ERR=$(cat "$work/raw.err")
  RAW_HEX=$(od -An -v -tx1 "$work/raw.bin" | tr -s ' \n' '  ' | sed 's/^ *//; s/ *$//')
}

# expect_raw NAME HEX-WANTED RC-WANTED [ERR-SUBSTRING]
expect_raw() {
  local name=$1 want=$2 rc=$3 err=${4:-}
  if [ "$RAW_HEX" != "$want" ]; then
    fail "$name" "got bytes [$RAW_HEX], want [$want]"
  elif [ "$RAW_RC" != "$rc" ]; then
    fail "$name" "read ended with $RAW_RC ($RAW_ERR), want $rc"
  elif [ -n "$err" ] && [[ $RAW_ERR != *"$err"* ]]; then
    fail "$name" "read error [$RAW_ERR], want [$err]"
  else
    pass "$name"
  fi
}

# expect_client NAME OUTPUT-LINE… — every line must appear in the self-test client's output.
expect_client() {
  local name=$1 line
  shift
  for line in "$@"; do
    if ! grep -qxF -- "$line" "$work/client.out"; then
      fail "$name" "no line [$line] in the client's output:"
      cat "$work/client.out"
      return
    fi
  done
  pass "$name"
}

client() {
  responder_client "$@" >"$work/client.out" 2>&1
}

# --- plaintext scripts ------------------------------------------------------------------------

responder_start legacy-cc || exit 1
raw_exchange "$CR_SSL" 1
expect_raw "legacy-cc: exactly the 11-byte legacy Connection Confirm" \
  "03 00 00 0b 06 d0 00 00 12 34 00" 124
responder_stop

responder_start close-after-cr || exit 1
raw_exchange "$CR_SSL" 3
expect_raw "close-after-cr: FIN after the Connection Request, no byte" "" 0
grep -q "close: FIN sent" "$RESPONDER_LOG" || fail "close-after-cr: log" "no FIN in the log"
responder_stop

responder_start reset-after-cr || exit 1
raw_exchange "$CR_SSL" 3
expect_raw "reset-after-cr: RST after the Connection Request" "" 1 "reset by peer"
client --timeout 2000
expect_client "reset-after-cr: the client sees a reset" "reply-end reset"
responder_stop

responder_start silent-after-cr || exit 1
raw_exchange "$CR_SSL" 1
expect_raw "silent-after-cr: nothing, connection kept open" "" 124
# Every byte received is in the log, in hex, with a timestamp.
if grep -qE "^responder [0-9]+\.[0-9]{3} c1 \+[0-9]+\.[0-9]{3} recv 4 bytes: 03 00 00 13$" \
    "$RESPONDER_LOG"; then
  pass "silent-after-cr: the Connection Request is logged in hex"
else
  fail "silent-after-cr: log" "the received bytes are not logged"
fi
# Stopping the server while a connection is open ends that connection too.
exec {held}<>"/dev/tcp/127.0.0.1/$RESPONDER_PORT"
kids=""
for ((i = 0; i < 50; i++)); do # the child that serves it (one fork per connection)
  kids=$(ps -o pid= --ppid "$RESPONDER_PID")
  if [ -n "$kids" ]; then break; fi
  sleep 0.1
done
t0=$(date +%s%N)
responder_stop
ms=$((($(date +%s%N) - t0) / 1000000))
alive=""
for k in $kids; do
  if ps -o stat= -p "$k" >/dev/null; then alive+=" $k"; fi
done
if [ -n "$kids" ] && timeout 2 cat <&"$held" >/dev/null 2>&1 && [ -z "$alive" ] && [ $ms -lt 3000 ]; then
  pass "SIGTERM stops the server and its open connection ($ms ms)"
else
  fail "SIGTERM" "children [$kids], still alive [$alive], stop took $ms ms"
fi
exec {held}>&-

responder_start http-banner || exit 1
raw_exchange "$CR_SSL" 3
want_http=$(printf 'HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' |
  od -An -v -tx1 | tr -s ' \n' '  ' | sed 's/^ *//; s/ *$//')
expect_raw "http-banner: HTTP 400 then FIN" "$want_http" 0
responder_stop

responder_start ssh-banner || exit 1
raw_exchange "" 1
want_ssh=$(printf 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n' | od -An -v -tx1 | tr -s ' \n' '  ' |
  sed 's/^ *//; s/ *$//')
expect_raw "ssh-banner: the SSH banner before the client says anything" "$want_ssh" 124
responder_stop

responder_start garbage || exit 1
raw_exchange "$CR_SSL" 3
expect_raw "garbage: the scripted bytes then FIN" \
  "8f 5a c3 17 e2 00 ff 41 9d 6b 00 00 13 37 be ef c0 de 2e 71 aa 55" 0
responder_stop

responder_start oversized-tpkt || exit 1
raw_exchange "$CR_SSL" 1
expect_raw "oversized-tpkt: a 65535-byte TPKT header, 4 bytes, silence" "03 00 ff ff 0e d0 00 00" 124
responder_stop

responder_start nla-required || exit 1
raw_exchange "$CR_SSL" 1
expect_raw "nla-required: RDP_NEG_FAILURE 5, connection kept open" \
  "03 00 00 13 0e d0 00 00 12 34 00 03 00 08 00 05 00 00 00" 124
responder_stop

# One byte a second: after 2.5 s, some but far from all 19 bytes, in order.
responder_start drip || exit 1
raw_exchange "$CR_SSL" 2.5
n=$(wc -w <<<"$RAW_HEX")
if [ "$RAW_RC" = 124 ] && [ "$n" -ge 1 ] && [ "$n" -le 4 ] && [[ $CC_SSL == "$RAW_HEX"* ]]; then
  pass "drip: $n bytes of the Connection Confirm in 2.5 s"
else
  fail "drip" "got [$RAW_HEX] (rc $RAW_RC) in 2.5 s"
fi
responder_stop

# --- TLS-phase scripts ------------------------------------------------------------------------

responder_start tls-ok-then-close || exit 1
client
expect_client "tls-ok-then-close: CC, TLS handshake, FIN" \
  "reply 19: $CC_SSL" "cc rsp flags=0x01 protocol=1" "sent-tls 12" "end eof after 0 bytes"
grep -q "^tls-ok TLSv1.[23] " "$work/client.out" || fail "tls-ok-then-close: version" "$(cat "$work/client.out")"
# The server logs the decrypted bytes it received (the client's Data TPDU).
grep -q "recv-tls 12 bytes: 03 00 00 0c 02 f0 80 04 01 00 01 00" "$RESPONDER_LOG" ||
  fail "tls-ok-then-close: log" "the decrypted application data is not logged"
responder_stop

responder_start tls-alert-internal-error || exit 1
raw_exchange "$CR_SSL $FAKE_HELLO" 3
expect_raw "tls-alert-internal-error: CC, then alert 15 03 01 00 02 02 50, FIN" \
  "$CC_SSL 15 03 01 00 02 02 50" 0
client
expect_client "tls-alert-internal-error: a real client receives fatal alert 80" \
  "alert-received level=2 desc=80"
responder_stop

responder_start tls-alert-xrdp-tls1 || exit 1
raw_exchange "$CR_SSL $FAKE_HELLO" 3
expect_raw "tls-alert-xrdp-tls1: CC, alert 80, plaintext MCS DPU, FIN" \
  "$CC_SSL 15 03 01 00 02 02 50 03 00 00 09 02 f0 80 21 80" 0
responder_stop

responder_start tls-plaintext-after-hello || exit 1
raw_exchange "$CR_SSL $FAKE_HELLO" 3
expect_raw "tls-plaintext-after-hello: CC, plaintext MCS DPU, RST" \
  "$CC_SSL 03 00 00 09 02 f0 80 21 80" 1 "reset by peer"
client
if grep -q "^tls-failed " "$work/client.out" && ! grep -q "^tls-ok" "$work/client.out"; then
  pass "tls-plaintext-after-hello: a real client's handshake fails"
else
  fail "tls-plaintext-after-hello: client" "$(cat "$work/client.out")"
fi
responder_stop

responder_start tls-close-after-hello || exit 1
client
expect_client "tls-close-after-hello: FIN after the ClientHello" "tls-failed eof"
responder_stop

responder_start tls-stall || exit 1
client --timeout 1000
expect_client "tls-stall: no answer to the ClientHello" "tls-failed timeout"
grep -q "ClientHello: legacy_version 0303" "$RESPONDER_LOG" ||
  fail "tls-stall: log" "the ClientHello summary is not logged"
responder_stop

responder_start tls1-only || exit 1
client --tls-versions TLS1 TLS1.3
expect_client "tls1-only: a client allowing TLS 1.0 gets TLS 1.0" "tls-ok TLSv1 ECDHE-RSA-AES256-SHA"
client --tls-versions TLS1.2 TLS1.3
expect_client "tls1-only: a TLS 1.2+ client gets alert protocol_version" \
  "alert-received level=2 desc=70"
responder_stop

# A bare tls-accept, checked with a client that is not ours.
responder_start - <<'EOF' || exit 1
tls-accept
read-any 3000
close
EOF
if timeout 10 openssl s_client -connect "127.0.0.1:$RESPONDER_PORT" -brief </dev/null \
    >"$work/s_client.out" 2>&1 && grep -q "CONNECTION ESTABLISHED" "$work/s_client.out"; then
  pass "tls-accept: openssl s_client completes a handshake"
else
  fail "tls-accept with openssl s_client" "$(cat "$work/s_client.out")"
fi
responder_stop

# --- the harness itself -----------------------------------------------------------------------

# --once serves one connection and exits with 1 when an expect-hex did not match.
responder_start - --once <<'EOF' || exit 1
expect-hex 03 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 03 00 00 00   # asks SSL|HYBRID
cc legacy
EOF
raw_exchange "$CR_SSL" 3
rc=0
responder_wait "$RESPONDER_PID" || rc=$?
if [ $rc = 1 ] && grep -q "expect-hex MISMATCH" "$RESPONDER_LOG"; then
  pass "expect-hex: a mismatch is logged and --once exits 1"
else
  fail "expect-hex" "exit status $rc"
fi
responder_start - --once <<'EOF' || exit 1
expect-hex 03 00 00 13 0e e0 00 00 00 00 00 01 00 08 00 01 00 00 00
cc legacy
EOF
raw_exchange "$CR_SSL" 3
rc=0
responder_wait "$RESPONDER_PID" || rc=$?
if [ $rc = 0 ]; then
  pass "expect-hex: a match, --once exits 0"
else
  fail "expect-hex match" "exit status $rc"
fi

# The per-connection cap ends a silence that the client would keep forever.
responder_start silent-after-cr --cap 1 || exit 1
raw_exchange "$CR_SSL" 4
expect_raw "--cap 1: the responder closes a silent connection after 1 s" "" 0
responder_stop

# A script error is reported with its line before the responder listens.
if responder_start - 2>"$work/start.err" <<'EOF'; then
read-tpkt
drip-hex 03 00 zz 1000
EOF
  fail "script error" "the responder started"
  responder_stop
elif grep -q ":2: drip-hex HEX MS" "$work/start.err"; then
  pass "a script error names its line and the responder does not start"
else
  fail "script error" "$(cat "$work/start.err")"
fi

if [ $failures -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all responder checks passed"
exit 0
