#!/bin/bash
# The reports a person reads, on real output: `check --html FILE` rendered by headless Chromium
# (the DOM carries the finding ids and marks the failing phase; a screenshot is kept under the
# build directory), and the text report in a real terminal (tmux at 80 columns): the verdict on
# the first line, no line wider than the pane, colour only on a terminal and never with NO_COLOR,
# and nothing the server sent (an SSH banner full of escape sequences) reaching the terminal raw.
# Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
source "$(dirname "$0")/lib_responder.sh" "$RDPDOCTOR"
lab_require_cmd jq tmux

ARTIFACTS=$RD_BUILD_DIR/test-artifacts/report_html
mkdir -p "$ARTIFACTS"

# A port nothing listens on: tcp-refused, the Reach phase is where a client's connection ends.
CLOSED=$(lab_port)
RC=0
"$RDPDOCTOR" check --html "$LAB/closed.html" --codes 0x904,0x7 "127.0.0.1:$CLOSED" >"$LAB/closed.txt" 2>"$LAB/closed.err" || RC=$?
assert_eq 2 "$RC" "closed port: exit code"
[[ -s $LAB/closed.html ]] || lab_fail "no HTML written"
grep -qiE '<(script|link|img|iframe)[^>]+(src|href)=' "$LAB/closed.html" && lab_fail "the page fetches something"
grep -q 'https\?://' "$LAB/closed.html" && lab_fail "the page names a URL"

# A responder whose banner is an attack on the terminal: a title change, a colour, a C1 CSI.
responder_start - <<'SCRIPT' || lab_fail "responder did not start"
send-hex 5353482d322e302d1b5d303b70776e6564071b5b33316dc29b324a3c7363726970743e0d0a
silence
SCRIPT
HOSTILE=$RESPONDER_PORT
"$RDPDOCTOR" check --step-timeout 1 --timeout 3 --html "$LAB/hostile.html" "127.0.0.1:$HOSTILE" >"$LAB/hostile.txt" 2>&1 || true
LC_ALL=C grep -q $'[\x1b\x07]' "$LAB/hostile.txt" && lab_fail "an escape byte reached the text report"
LC_ALL=C grep -qP '\xc2[\x80-\x9f]' "$LAB/hostile.txt" && lab_fail "a C1 control reached the text report"
LC_ALL=C grep -q $'\x1b' "$LAB/hostile.html" && lab_fail "an escape byte reached the HTML"
grep -q '<script>' "$LAB/hostile.html" && [[ $(grep -c '<script>' "$LAB/hostile.html") -ne 1 ]] && lab_fail "server text became markup"

# ---- headless Chromium ----
if command -v chromium >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    chrome() {
        local profile
        profile=$(mktemp -d "$LAB/chromium.XXXXXX")
        timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
            --disable-component-update --disable-sync --user-data-dir="$profile" "$@" 2>>"$LAB/chromium.log"
    }
    chrome --dump-dom "file://$LAB/closed.html" >"$LAB/closed.dom" || lab_fail "chromium --dump-dom failed"
    grep -q 'data-finding="tcp-refused"' "$LAB/closed.dom" || lab_fail "DOM: no finding tcp-refused"
    grep -qE '<li class="failed ends" data-phase="reach" data-state="failed" data-ends="true"' "$LAB/closed.dom" \
        || lab_fail "DOM: the Reach phase is not marked as where the connection ends"
    grep -q 'data-root-cause="tcp-refused"' "$LAB/closed.dom" || lab_fail "DOM: no root cause"
    grep -q 'data-match="cause"' "$LAB/closed.dom" || lab_fail "DOM: --codes match missing"
    grep -q 'class="copy"' "$LAB/closed.dom" || lab_fail "DOM: no copy buttons"
    chrome --dump-dom "file://$LAB/hostile.html" >"$LAB/hostile.dom" || lab_fail "chromium --dump-dom failed"
    grep -qE 'data-finding="(ssh-not-rdp|not-rdp-service)"' "$LAB/hostile.dom" || lab_fail "DOM: no not-RDP finding for the hostile SSH-like banner"
    [[ $(grep -c '<script' "$LAB/hostile.dom") -eq 1 ]] || lab_fail "DOM: server text became a script"
    (cd "$LAB" && chrome --screenshot="$ARTIFACTS/closed.png" --window-size=1100,1400 "file://$LAB/closed.html") \
        || lab_fail "chromium --screenshot failed"
    [[ -s $ARTIFACTS/closed.png ]] || lab_fail "no screenshot"
    cp "$LAB/closed.html" "$LAB/hostile.html" "$ARTIFACTS/"
    lab_log "ok: HTML in Chromium; screenshot $ARTIFACTS/closed.png"
else
    lab_log "chromium missing or not root: the DOM checks are skipped (scripts/install-deps.sh installs it)"
    [[ ${RD_REQUIRE_CHROMIUM:-0} == 1 ]] && lab_fail "chromium required"
fi

# ---- a real terminal: tmux at 80 columns ----
SOCK=$LAB/tmux.sock
run_in_tmux() { # NAME ENV… : runs the check in a detached 80-column pane, waits, captures it
    local name=$1
    shift
    tmux -S "$SOCK" new-session -d -x 80 -y 300 -s "$name" \
        "env $* COLUMNS= '$RDPDOCTOR' check --step-timeout 1 --timeout 3 127.0.0.1:$HOSTILE; echo \"RC=\$?\"; sleep 30"
    local i
    for i in $(seq 1 100); do
        tmux -S "$SOCK" capture-pane -p -t "$name" -S - | grep -q '^RC=' && break
        sleep 0.1
    done
    tmux -S "$SOCK" capture-pane -p -t "$name" -S - >"$LAB/$name.pane"
    tmux -S "$SOCK" capture-pane -p -e -t "$name" -S - >"$LAB/$name.pane-e"
    tmux -S "$SOCK" display-message -p -t "$name" '#{pane_title}' >"$LAB/$name.title"
    cp "$LAB/$name.pane" "$ARTIFACTS/tmux-$name.txt"
}
run_in_tmux colour TERM=xterm-256color
run_in_tmux plain TERM=xterm-256color NO_COLOR=1
tmux -S "$SOCK" kill-server 2>/dev/null || true
grep -q '^RC=2' "$LAB/colour.pane" || lab_fail "tmux: the check did not finish with exit 2: $(tail -3 "$LAB/colour.pane")"
head -1 "$LAB/colour.pane" | grep -qE '^CRITICAL: (Another service|An SSH server) answers on this port' \
    || lab_fail "tmux: the first line is not the verdict: $(head -1 "$LAB/colour.pane")"
awk 'length > 80 { bad = 1 } END { exit bad }' "$LAB/colour.pane" || lab_fail "tmux: a line wider than 80 columns"
grep -q 'pwned' "$LAB/colour.title" && lab_fail "tmux: the server's bytes changed the pane title"
LC_ALL=C grep -q $'\x1b\\[[0-9;]*m' "$LAB/colour.pane-e" || lab_fail "tmux: no colour on a terminal"
LC_ALL=C grep -q $'\x1b\\[[0-9;]*[1-9][0-9;]*m' "$LAB/plain.pane-e" && lab_fail "tmux: colour despite NO_COLOR"
# The same run, not on a terminal: no colour at all.
LC_ALL=C grep -q $'\x1b' "$LAB/hostile.txt" && lab_fail "colour when not on a terminal"
lab_log "ok: text report in tmux at 80 columns"
responder_stop
echo PASS
