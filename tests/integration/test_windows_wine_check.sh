#!/bin/bash
# rdpdoctor.exe `check` under Wine against the lab's real servers finds what the Linux build finds:
# the same exit code, finding ids, verdict (status, root cause, where it ends, each phase's state,
# the predicted client code), name facts, certificate, and per probe the request, the connect
# outcome, what the server selected, the TLS version and cipher, the CredSSP identity and the
# session's outcome and errorInfo (compared with jq; durations, nonces and the server's clock are
# left out). Each scenario also asserts what it is for, so that both builds failing alike fails.
# Servers: xrdp (minimal ini; the packaged ini, which reaches Demand Active), FreeRDP's shadow
# server under Xvfb (NLA, TLS), minisrv (TLS and NLA denying after Client Info with errorInfo 7),
# a closed port, and in a network namespace with a dnsmasq of the test's own: an NXDOMAIN name
# and a name that resolves to xrdp. The credential path: --user with RDPDOCTOR_PASSWORD (right
# and wrong password) and the console prompt, against minisrv's NLA with its SAM file. The
# exporter: /probe gives the Linux build's series; Ctrl-C stops it.
#
#     bash tests/integration/test_windows_wine_check.sh /path/to/linux/rdpdoctor
#
# Exit 0 pass, 1 fail, 77 skip (not root, no Wine or mingw-w64, sources not fetchable: lib_wine.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_wine.sh"
lab_init "$@"
lab_require_root
lab_require_cmd jq curl xrdp freerdp-shadow-cli Xvfb winpr-hash dnsmasq ip
wine_init
lab_certs

# What both builds must agree on. Left out: times, the NTLM challenge (a nonce), the server's clock
# in it, first bytes that carry either, and the RTT summary.
PROJ='{
  findings: ([.findings[].id] | sort),
  verdict: (.verdict | {status, root_cause, ends_at, phases, exit_code, client_error,
                        client_error_code, client_error_extended}),
  name: (.facts.name | {status, status_a, status_aaaa, addresses, from_hosts_file, detail}),
  reach: (.facts.reach | if . then {address, addresses: [.addresses[]? | {address, outcome}]} else . end),
  certificate: .facts.certificate.sha256,
  rdp_security: (.facts.rdp_security | if . then {tested, level, methods: [.methods[] | {method, status}]}
                 else . end),
  probes: [.facts.probes[] | {
    kind, address, request,
    connect: (.connect | if . then {outcome, errno, error} else . end),
    negotiation: (.negotiation | if . then {outcome, selected_name, flags, failure_name, reply_hex} else . end),
    tls: (.tls | if . then {outcome, version, cipher, alert_name} else . end),
    credssp: (.credssp | if . then {outcome, version, error_code_present, error_code, target_name,
                                    netbios_domain, dns_computer, os_version} else . end),
    authentication: (.authentication | if . then {outcome, user, domain} else . end),
    # Which connection carries an enumeration offer follows the order the Confirms arrive in
    # (timing): compared through the summary above instead.
    session: (.session | if . and .enumeration then null
                         elif . then {outcome, step, error_info: [.error_info[] | {code, name, step}],
                                    license: .license.valid_client, demand_active: .demand_active.seen}
                         else . end),
    local_error}]
}'

# both NAME [--ns NS] [--env VAR=VALUE] -- CHECK-ARGS… : `check --json CHECK-ARGS` with the Linux
# build and under Wine (in namespace NS when given, with VAR set for both when given); fails the
# test unless both wrote a JSON report with the same exit code and the same projection. Sets RC.
# network-unstable is the one finding that timing decides (a connect or reply 200 ms and 5 times
# slower than the median): a loaded machine gives it to Wine's slower I/O now and then, so a
# difference where either report has it is run again, twice at most.
both() {
    local name=$1 ns='' env=() try why
    shift
    while [[ $1 != -- ]]; do
        case $1 in
        --ns) ns=$2; shift 2 ;;
        --env) env=("$2"); shift 2 ;;
        *) lab_fail "both: unknown option $1" ;;
        esac
    done
    shift
    for try in 1 2 3; do
        why=$(_both_once "$name" "$ns" "${env[@]:-}" "$@") && break
        if ((try < 3)) && grep -qs '"network-unstable"' "$LAB/$name.l.proj" "$LAB/$name.w.proj"; then
            lab_log "$name: network-unstable in one report (timing on a loaded machine); again"
            continue
        fi
        [[ -s $LAB/$name.w.proj ]] && diff -u "$LAB/$name.l.proj" "$LAB/$name.w.proj" | head -n 40 >&2
        lab_fail "$name: $why"
    done
    RC=$(cat "$LAB/$name.rc")
    lab_log "ok: $name: exit $RC, $(jq -c '[.findings[].id]' "$LAB/$name.w.json") on both"
}
# _both_once NAME NS ENV CHECK-ARGS… : one run of each; prints why they differ (and fails), or
# writes the common exit code to $LAB/NAME.rc.
_both_once() {
    local name=$1 ns=$2 setvar=$3 lrc=0 wrc=0 b
    shift 3
    rm -f "$LAB/$name".[lw].proj
    (
        [[ -z $setvar ]] || export "${setvar?}"
        if [[ -n $ns ]]; then
            ip netns exec "$ns" "$RDPDOCTOR" check --json "$@" >"$LAB/$name.l.json" 2>"$LAB/$name.l.err" || exit $?
        else
            "$RDPDOCTOR" check --json "$@" >"$LAB/$name.l.json" 2>"$LAB/$name.l.err" || exit $?
        fi
    ) || lrc=$?
    (
        [[ -z $setvar ]] || export "${setvar?}"
        if [[ -n $ns ]]; then
            wine_in_ns "$ns" check --json "$@" >"$LAB/$name.w.json" 2>"$LAB/$name.w.err" || exit $?
        else
            win check --json "$@" >"$LAB/$name.w.json" 2>"$LAB/$name.w.err" || exit $?
        fi
    ) || wrc=$?
    for b in l w; do
        if ! jq -e . "$LAB/$name.$b.json" >/dev/null 2>&1; then
            echo "no JSON report from the $([[ $b == l ]] && echo Linux || echo Windows) build: $(head -c 300 "$LAB/$name.$b.err")"
            return 1
        fi
    done
    jq -S "$PROJ" "$LAB/$name.l.json" >"$LAB/$name.l.proj"
    jq -S "$PROJ" "$LAB/$name.w.json" >"$LAB/$name.w.proj"
    if [[ $lrc != "$wrc" ]]; then
        echo "exit $wrc on Windows, $lrc on Linux"
        return 1
    fi
    if ! cmp -s "$LAB/$name.l.proj" "$LAB/$name.w.proj"; then
        echo "the Windows build's report differs from the Linux build's (above: - Linux, + Windows)"
        return 1
    fi
    echo "$lrc" >"$LAB/$name.rc"
}
# want NAME WHAT JQ-EXPRESSION : the Windows report of NAME makes JQ-EXPRESSION true.
want() {
    jq -e "$3" "$LAB/$1.w.json" >/dev/null || lab_fail "$1: $2: not so ($3)"
}
has() { want "$1" "finding $2" "[.findings[].id] | index(\"$2\") != null"; }
sess() { jq -r "[.facts.probes[] | select(.session != null)][0].session | $2" "$LAB/$1.w.json"; }

# --- xrdp: negotiation and TLS facts (minimal ini), then the session up to Demand Active
lab_xrdp negotiate good
both xrdp -- "127.0.0.1:$XRDP_PORT"
assert_eq 1 "$RC" "xrdp negotiate: exit code"
has xrdp nla-not-enforced
want xrdp "TLS 1.3 selected over SSL" '[.facts.probes[] | select(.tls.outcome == "ok") | .tls.version] | index("TLSv1.3") != null'
lab_stop "$XRDP_PID"

lab_xrdp_full tls good
both xrdp-session -- "127.0.0.1:$XRDP_PORT"
assert_eq active "$(sess xrdp-session .outcome)" "xrdp (packaged ini): session outcome"
has xrdp-session session-ok
lab_stop "$XRDP_PID"

# --- FreeRDP's shadow server under Xvfb: NLA (identity without credentials), TLS only
lab_shadow nla
both shadow-nla -- "127.0.0.1:$SHADOW_PORT"
assert_eq 0 "$RC" "shadow nla: exit code"
want shadow-nla "CredSSP identity" '[.facts.probes[] | select(.credssp.outcome == "challenge")] | length > 0'
lab_stop "$SHADOW_PID"
lab_shadow tls
both shadow-tls -- "127.0.0.1:$SHADOW_PORT"
assert_eq 1 "$RC" "shadow tls: exit code"
has shadow-tls nla-not-enforced
lab_stop "$SHADOW_PID"

# --- minisrv: the server denies after Client Info (errorInfo 7): "0x904, extended 0x7"
lab_minisrv tls good --error-info 7@info
both minisrv-denied -- "127.0.0.1:$MINISRV_PORT"
assert_eq 2 "$RC" "minisrv denied: exit code"
want minisrv-denied "root cause" '.verdict.root_cause == "server-denied-connection"'
assert_eq "7 ERRINFO_SERVER_DENIED_CONNECTION" "$(sess minisrv-denied '.error_info[0] | "\(.code) \(.name)"')" \
    "minisrv denied: errorInfo"

# --- the exporter (libmicrohttpd linked into rdpdoctor.exe): /probe answers the same series as
# the Linux build's for minisrv's denial and for a closed port (values of the *_duration_seconds
# series aside), then Ctrl-C stops it. Under Wine a terminal's Ctrl-C is SIGINT to the process,
# which Wine turns into the console's Ctrl-C event (libuv's SIGINT); SIGTERM is Wine ending the
# process, as TerminateProcess would on Windows (no handler runs; the port is freed).
_exporter_l() { lab_spawn "exporter-l-$1" "$RDPDOCTOR" exporter --listen "127.0.0.1:$1"; }
_lab_start_server "exporter (Linux)" "" 127.0.0.1 _exporter_l
EXP_L=$LAB_STARTED_PORT
# wine_exporter : rdpdoctor.exe exporter on a free port; sets EXP_W, EXP_W_PID. Not through
# _lab_start_server: the listening socket is the wineserver's, not the program's (lib_wine.sh),
# so it is ours when the exporter says it listens and only a wineserver holds the port.
wine_exporter() {
    local deadline _
    for _ in 1 2 3; do
        EXP_W=$(lab_port)
        lab_spawn "exporter-w-$EXP_W" env DISPLAY='' wine "$WIN_EXE" exporter --listen "127.0.0.1:$EXP_W"
        EXP_W_PID=$LAB_LAST_PID
        deadline=$(($(lab_ms) + 20000))
        while _lab_alive "$EXP_W_PID" && ! grep -q "listening on 127.0.0.1:$EXP_W\$" "$LAB_LAST_LOG"; do
            (($(lab_ms) < deadline)) || lab_fail "exporter (Windows): not listening after 20 s"
            sleep 0.05
        done
        if _lab_alive "$EXP_W_PID" && lab_tcp_ok 127.0.0.1 "$EXP_W" &&
            ! ss -Htlnp "( sport = :$EXP_W )" | grep -qv '"wineserver'; then
            return 0
        fi
        lab_log "exporter (Windows): port $EXP_W taken; retrying"
        lab_stop "$EXP_W_PID"
    done
    lab_fail "exporter (Windows): could not start (3 attempts)"
}
wine_exporter
series() { sed -E 's/^(rdp_[a-z_]*duration_seconds[^ ]*) .*/\1 (time)/' "$1"; }
closed=$(lab_port)
for target in "127.0.0.1:$MINISRV_PORT" "127.0.0.1:$closed"; do
    curl -sf -m 30 -o "$LAB/probe.l.txt" "http://127.0.0.1:$EXP_L/probe?target=$target" ||
        lab_fail "exporter (Linux): /probe?target=$target failed"
    curl -sf -m 30 -o "$LAB/probe.w.txt" "http://127.0.0.1:$EXP_W/probe?target=$target" ||
        lab_fail "exporter (Windows): /probe?target=$target failed"
    if ! diff -u <(series "$LAB/probe.l.txt") <(series "$LAB/probe.w.txt") >"$LAB/probe.diff"; then
        head -n 30 "$LAB/probe.diff" >&2
        lab_fail "exporter: /probe?target=$target: other series under Wine (above: - Linux, + Windows)"
    fi
done
assert_contains "$LAB/probe.l.txt" 'rdp_finding{id="tcp-refused",severity="critical"} 1'
curl -sf -m 30 "http://127.0.0.1:$EXP_W/probe?target=127.0.0.1:$MINISRV_PORT" >"$LAB/probe.w.txt"
assert_contains "$LAB/probe.w.txt" 'rdp_error_info{code="0x7",name="ERRINFO_SERVER_DENIED_CONNECTION"} 1'
assert_contains "$LAB/probe.w.txt" 'rdp_finding{id="server-denied-connection",severity="critical"} 1'
curl -sf -m 30 "http://127.0.0.1:$EXP_W/metrics" >"$LAB/metrics.w.txt" || lab_fail "exporter (Windows): /metrics failed"
assert_contains "$LAB/metrics.w.txt" 'rdpdoctor_exporter_requests_total{path="/probe",code="200"} 3'
kill -INT "$EXP_W_PID"
deadline=$(($(lab_ms) + 15000))
while _lab_alive "$EXP_W_PID" && (($(lab_ms) < deadline)); do sleep 0.05; done
_lab_alive "$EXP_W_PID" && lab_fail "exporter (Windows): still running 15 s after Ctrl-C"
rc=0
wait "$EXP_W_PID" || rc=$?
assert_eq 0 "$rc" "exporter (Windows): exit code after Ctrl-C"
lab_tcp_ok 127.0.0.1 "$EXP_W" && lab_fail "exporter (Windows): port $EXP_W still open after Ctrl-C"
wine_exporter
kill -TERM "$EXP_W_PID"
deadline=$(($(lab_ms) + 15000))
while _lab_alive "$EXP_W_PID" && (($(lab_ms) < deadline)); do sleep 0.05; done
_lab_alive "$EXP_W_PID" && lab_fail "exporter (Windows): still running 15 s after SIGTERM"
lab_tcp_ok 127.0.0.1 "$EXP_W" && lab_fail "exporter (Windows): port $EXP_W still open after SIGTERM"
lab_log "ok: exporter under Wine: the Linux build's series; Ctrl-C exits 0, SIGTERM ends it"
lab_stop "$MINISRV_PID"

# --- the credential path (NLA with minisrv's SAM file): one attempt; the password in no output
# cred NAME PASSWORD -- CHECK-ARGS… : `both` with RDPDOCTOR_PASSWORD=PASSWORD and --user testuser.
cred() {
    local name=$1 pass=$2
    shift 3
    both "$name" --env "RDPDOCTOR_PASSWORD=$pass" -- --user "$LAB_USER" "$@"
    if grep -aqF -- "$pass" "$LAB/$name".[lw].json "$LAB/$name".[lw].err; then
        lab_fail "$name: the password appears in the output"
    fi
    want "$name" "exactly one authentication" '[.facts.probes[] | select(.authentication != null)] | length == 1'
}
lab_minisrv nla good
cred auth-ok "$LAB_PASS" -- "127.0.0.1:$MINISRV_PORT"
assert_eq 0 "$RC" "right password: exit code"
has auth-ok auth-ok
cred auth-bad 'Wrong-Passw0rd' -- "127.0.0.1:$MINISRV_PORT"
assert_eq 2 "$RC" "wrong password: exit code"
want auth-bad "root cause" '.verdict.root_cause == "auth-failed"'
# The console prompt (no RDPDOCTOR_PASSWORD): each build runs on a pseudo-terminal, stdout to a
# file; the password is typed once the prompt shows. Under Wine the terminal is Wine's console
# (conhost on the pty, which redraws with escape sequences); on Windows it is the real console.
# typed PASSWORD OUT TRANSCRIPT CMD… : runs CMD so; its exit code is the function's.
typed() {
    [[ -x /usr/bin/python3 ]] || lab_skip "the prompt test needs /usr/bin/python3"
    /usr/bin/python3 - "$@" <<'PY'
import os, pty, select, signal, sys, termios, time
password, out, transcript, cmd = sys.argv[1].encode(), sys.argv[2], sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    o = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(o, 1)
    os.execvp(cmd[0], cmd)
seen, typed, deadline = b"", False, time.monotonic() + 60
while time.monotonic() < deadline:
    if select.select([fd], [], [], 0.01)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    # Typed once the prompt shows and the terminal no longer echoes. The Linux build turns echo
    # off before its prompt. Wine's console takes the terminal into raw mode only when the
    # program first reads, and the switch discards what was typed before (which the terminal
    # echoed meanwhile); Windows' console keeps typed-ahead keys and echoes by the mode at read.
    if not typed and b"Password" in seen and not termios.tcgetattr(fd)[3] & termios.ECHO:
        os.write(fd, password + b"\r")
        typed = True
else:
    os.kill(pid, signal.SIGKILL)
with open(transcript, "wb") as f:
    f.write(seen)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
}
# The transcript as text: escape sequences and white space removed (Wine's console moves the
# cursor instead of writing spaces), so that an echoed password would show whole.
flat() { sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$1" | tr -d ' \r\n\t'; }
for try in 1 2 3; do
    lrc=0 wrc=0
    typed "$LAB_PASS" "$LAB/prompt.l.json" "$LAB/prompt.l.tty" "$RDPDOCTOR" check --json --user "$LAB_USER" \
        "127.0.0.1:$MINISRV_PORT" || lrc=$?
    typed "$LAB_PASS" "$LAB/prompt.w.json" "$LAB/prompt.w.tty" env DISPLAY= wine "$WIN_EXE" check --json \
        --user "$LAB_USER" "127.0.0.1:$MINISRV_PORT" || wrc=$?
    for b in l w; do
        flat "$LAB/prompt.$b.tty" | grep -qF 'Password(notechoed):' || lab_fail "prompt ($b): no prompt on the terminal"
        if flat "$LAB/prompt.$b.tty" | grep -qF "$LAB_PASS" || grep -qF "$LAB_PASS" "$LAB/prompt.$b.json"; then
            lab_fail "prompt ($b): the password appears in the output"
        fi
    done
    [[ "$lrc $wrc" == "0 0" && $(jq -S "$PROJ" "$LAB/prompt.l.json") == "$(jq -S "$PROJ" "$LAB/prompt.w.json")" ]] &&
        break
    # As in both(): network-unstable is timing, not the build.
    ((try < 3)) && grep -qs '"network-unstable"' "$LAB/prompt.l.json" "$LAB/prompt.w.json" && continue
    lab_fail "prompt: exit $wrc on Windows, $lrc on Linux (want 0), or the reports differ"
done
lab_log "ok: prompt: the password typed at the prompt, not echoed, authenticated once on both"
has prompt auth-ok
want prompt "exactly one authentication" '[.facts.probes[] | select(.authentication != null)] | length == 1'
lab_stop "$MINISRV_PID"
# NLA, then the server denies after Client Info: reached only with credentials.
lab_minisrv nla good --error-info 7@info
cred auth-denied "$LAB_PASS" -- "127.0.0.1:$MINISRV_PORT"
assert_eq 2 "$RC" "NLA, then denied: exit code"
want auth-denied "root cause" '.verdict.root_cause == "server-denied-connection"'
lab_stop "$MINISRV_PID"

# --- a port nothing listens on: libuv's error name and its POSIX number, not Winsock's
closed=$(lab_port)
both refused -- --step-timeout 2 --timeout 5 "127.0.0.1:$closed"
assert_eq 2 "$RC" "closed port: exit code"
has refused tcp-refused
want refused "connect error" '[.facts.probes[].connect.error] | unique == ["ECONNREFUSED"]'

# --- names, in a namespace whose resolv.conf names the test's dnsmasq (lib_wine.sh: Wine takes
# Windows' DNS servers from it, and the sockets from the wineserver's namespace)
lab_netns_pair
lab_xrdp_in_srv negotiate good
lab_dnsmasq_in_srv --address=/invalid/ "--address=/rdp-ok.lab.test/$SRV_IP"
both nxdomain --ns "$NS_CLI" -- rdp-host.invalid
assert_eq 2 "$RC" "NXDOMAIN: exit code"
has nxdomain dns-nxdomain
want nxdomain "answered by the namespace's dnsmasq" ".facts.name.detail == \"NXDOMAIN from $SRV_IP:53\""
both by-name --ns "$NS_CLI" -- rdp-ok.lab.test
assert_eq 1 "$RC" "a name that resolves to xrdp: exit code"
want by-name "address" ".facts.reach.address == \"$SRV_IP\""
has by-name nla-not-enforced
# Both builds asked (the Linux one first): two questions for each name, from each build.
[[ $(grep -c 'query\[A\] rdp-host.invalid' "$LAB/logs/dnsmasq.log") -ge 2 ]] ||
    lab_fail "dnsmasq did not see the Windows build's question for rdp-host.invalid"

lab_log "wine check test passed in $(($(lab_ms) - LAB_T0)) ms (build $WIN_BUILD_MS ms, prefix $WIN_BOOT_MS ms)"
