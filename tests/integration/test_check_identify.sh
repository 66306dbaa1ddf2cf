#!/bin/bash
# What is on the port when it is not RDP (issue #13): real listeners on 127.0.0.1 high ports —
# openssl s_server -www (HTTPS), python3 -m http.server (HTTP in clear), our responder playing an
# SSH banner, a VNC banner and an RD Gateway (TLS, then 401 to RDG_OUT_DATA). Each must come out
# as its specific finding, as the root cause, with exit 2. Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
source "$(dirname "$0")/lib_responder.sh" "$RDPDOCTOR"
lab_require_cmd jq openssl python3

# check NAME PORT: runs a check, sets RC; the JSON is $LAB/NAME.json.
check() {
    local name=$1 port=$2
    RC=0
    "$RDPDOCTOR" check --json --step-timeout 1 --timeout 8 "127.0.0.1:$port" \
        >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    [[ -s $LAB/$name.json ]] && jq -e . "$LAB/$name.json" >/dev/null || lab_fail "$name: no valid JSON (exit $RC): $(cat "$LAB/$name.err")"
}
q() { jq -r "$2" "$LAB/$1.json"; }
root() { q "$1" .verdict.root_cause; }
ident() { q "$1" "[.facts.probes[] | select(.kind == \"identify\")][0]$2"; }
connections() { q "$1" '[.facts.probes[] | select(.kind != "connect")] | length'; }


# --- an RD Gateway imitation: TLS, then 401 + WWW-Authenticate to RDG_OUT_DATA
responder_start rd-gateway || lab_fail "responder rd-gateway did not start"
check gateway "$RESPONDER_PORT"
responder_stop || true
assert_eq rd-gateway-on-port "$(root gateway)" "gateway: root cause"
assert_client gateway 0x904 none
assert_eq 2 "$RC" "gateway: exit code"
assert_eq 401 "$(ident gateway .identify.http_status)" "gateway: status"
assert_eq "Negotiate, NTLM" "$(ident gateway .identify.www_authenticate)" "gateway: schemes"
assert_eq "Microsoft-HTTPAPI/2.0" "$(ident gateway .identify.server)" "gateway: server"
assert_eq 12 "$(connections gateway)" "gateway: 11 probes + 1 follow-up"

# --- HTTPS: openssl s_server -www answers any GET-like request with a status page
responder_cert || lab_fail "no certificate"
HTTPS_PORT=$(lab_port)
lab_spawn s_server openssl s_server -quiet -www -accept "127.0.0.1:$HTTPS_PORT" -cert "$RESPONDER_CERT" \
    -key "$RESPONDER_KEY"
HTTPS_PID=$LAB_LAST_PID
lab_wait_port 127.0.0.1 "$HTTPS_PORT" || lab_fail "s_server did not listen"
check https "$HTTPS_PORT"
lab_stop "$HTTPS_PID"
assert_eq https-not-rdp "$(root https)" "https: root cause"
assert_client https 0x904 none
assert_eq 2 "$RC" "https: exit code"
assert_eq https "$(ident https .identify.service)" "https: service"
assert_eq true "$(ident https .identify.tls)" "https: inside TLS"

# --- HTTP in clear: python's http.server waits for a line the Connection Request never ends
HTTP_PORT=$(lab_port)
lab_spawn http_server python3 -m http.server --bind 127.0.0.1 --directory "$LAB/logs" "$HTTP_PORT"
HTTP_PID=$LAB_LAST_PID
lab_wait_port 127.0.0.1 "$HTTP_PORT" || lab_fail "http.server did not listen"
check http "$HTTP_PORT"
lab_stop "$HTTP_PID"
assert_eq http-not-rdp "$(root http)" "http: root cause"
assert_client http 0x904 none
assert_eq 2 "$RC" "http: exit code"
assert_eq "GET / HTTP/1.0" "$(ident http .identify.request)" "http: asked in clear"
assert_eq 200 "$(ident http .identify.http_status)" "http: status"

# --- SSH and VNC banners
responder_start ssh-banner || lab_fail "responder ssh-banner did not start"
check ssh "$RESPONDER_PORT"
responder_stop || true
assert_eq ssh-not-rdp "$(root ssh)" "ssh: root cause"
assert_client ssh 0x904 none
assert_eq 2 "$RC" "ssh: exit code"

responder_start vnc-banner || lab_fail "responder vnc-banner did not start"
check vnc "$RESPONDER_PORT"
responder_stop || true
assert_eq vnc-not-rdp "$(root vnc)" "vnc: root cause"
assert_client vnc 0x904 none
assert_eq 2 "$RC" "vnc: exit code"
assert_eq "RFB 003.008" "$(ident vnc .identify.banner)" "vnc: banner"

# --- a hostile banner never reaches the text report unescaped
responder_start - <<'SCRIPT' || lab_fail "responder hostile did not start"
send-text "SSH-2.0-\x1b[31mred\x07\r\n"
silence
SCRIPT
RC=0
"$RDPDOCTOR" check --step-timeout 1 --timeout 8 "127.0.0.1:$RESPONDER_PORT" >"$LAB/hostile.txt" 2>&1 || RC=$?
responder_stop || true
assert_eq 2 "$RC" "hostile: exit code"
if grep -q $'\x1b' "$LAB/hostile.txt"; then lab_fail "hostile: an escape byte reached the text report"; fi

lab_log "identify: gateway, https, http, ssh, vnc named"
