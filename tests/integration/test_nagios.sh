#!/bin/bash
# `rdpdoctor check --nagios` against real servers (docs/nagios.md): the plugin states 0–3, the
# status line, and the perfdata grammar of the Nagios plugin guidelines
# ('label'=value[UOM];[warn];[crit];[min];[max]) for a healthy server, an expired certificate,
# certificate-day thresholds, a refused port and a check our deadline cut (UNKNOWN).
# Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xrdp openssl faketime nc
lab_certs

# nagios NAME EXPECTED-EXIT ARGS… : runs check --nagios, output in $LAB/NAME.out, checks the exit
# code, that stderr is empty and that the first line follows the plugin grammar.
nagios() {
    local name=$1 want=$2 rc=0
    shift 2
    "$RDPDOCTOR" check --nagios "$@" >"$LAB/$name.out" 2>"$LAB/$name.err" || rc=$?
    [[ $rc == "$want" ]] || { cat "$LAB/$name.out" "$LAB/$name.err" >&2; lab_fail "$name: exit $rc, expected $want"; }
    [[ ! -s $LAB/$name.err ]] || lab_fail "$name: unexpected stderr: $(cat "$LAB/$name.err")"
    perf_grammar "$name"
    lab_log "ok: $name: $(head -1 "$LAB/$name.out")"
}

# The first line: "RDP STATE - text | perfdata", STATE matching the exit code; every perfdata item
# 'label'=value[UOM];[warn];[crit];[min];[max] (ranges: [@][start:][end], "~" for -infinity).
perf_grammar() {
    local name=$1 line status text perf item num='-?[0-9]+(\.[0-9]+)?'
    local range="@?((${num}|~)?:)?(${num})?"
    local item_re="^([A-Za-z_][A-Za-z0-9_]*|'[^'=]+')=${num}(s|ms|us|%|B|KB|MB|TB|c)?(;(${range})){0,4}$"
    line=$(head -1 "$LAB/$name.out")
    [[ $line =~ ^RDP\ (OK|WARNING|CRITICAL|UNKNOWN)\ -\ ([^|]+)\ \|\ (.+)$ ]] ||
        lab_fail "$name: status line does not follow the grammar: $line"
    status=${BASH_REMATCH[1]} perf=${BASH_REMATCH[3]}
    for item in $perf; do
        [[ $item =~ $item_re ]] || lab_fail "$name: perfdata item '$item' does not follow the grammar"
    done
    # Nothing after the first line may carry perfdata: only the first '|' separates it.
    [[ $(tail -n +2 "$LAB/$name.out" | tr -cd '|' | wc -c) == 0 ]] || lab_fail "$name: '|' in the long output"
    NAGIOS_STATUS=$status NAGIOS_PERF=$perf
}
perf() { # perf NAME LABEL -> the item's text after '='
    local item
    for item in $NAGIOS_PERF; do [[ ${item%%=*} == "$2" ]] && { echo "${item#*=}"; return 0; }; done
    echo "(none)"
}

# --- healthy: minisrv with NLA required and a good certificate -> OK, every phase timed.
lab_minisrv nla good
nagios healthy 0 "127.0.0.1:$MINISRV_PORT"
assert_eq OK "$NAGIOS_STATUS" "healthy: status"
assert_contains "$LAB/healthy.out" "RDP OK - no problem found in the phases tested on 127.0.0.1:$MINISRV_PORT |"
for l in time_total time_connect time_negotiate time_tls time_credssp; do
    [[ $(perf healthy $l) =~ ^[0-9]+\.[0-9]{6}s\;\;\;0$ ]] || lab_fail "healthy: $l is '$(perf healthy $l)'"
done
days=$(perf healthy cert_days)
[[ $days =~ ^36[45]\;15:$ ]] || lab_fail "healthy: cert_days is '$days'"
assert_eq "0;;;0" "$(perf healthy findings_critical)" "healthy: no critical finding"
[[ $(wc -l <"$LAB/healthy.out") == 1 ]] || lab_fail "healthy: long output where nothing is wrong"
# Thresholds above the days left raise the state; the status line says why.
nagios days-warn 1 --cert-warn 400 --cert-crit 30 "127.0.0.1:$MINISRV_PORT"
[[ $(perf days-warn cert_days) =~ ^36[45]\;400:\;30:$ ]] || lab_fail "days-warn: cert_days is '$(perf days-warn cert_days)'"
assert_contains "$LAB/days-warn.out" "RDP WARNING - the certificate expires in 36"
assert_contains "$LAB/days-warn.out" "(warning threshold 400 days)"
nagios days-crit 2 --cert-warn 500 --cert-crit 400 "127.0.0.1:$MINISRV_PORT"
assert_contains "$LAB/days-crit.out" "(critical threshold 400 days)"
lab_stop "$MINISRV_PID"

# --- an expired certificate: WARNING by the check's own rule (cert-expired), CRITICAL once the
# caller's thresholds say so.
lab_minisrv nla expired
nagios expired 1 "127.0.0.1:$MINISRV_PORT"
assert_contains "$LAB/expired.out" "RDP WARNING - The server's certificate has expired (cert-expired) on 127.0.0.1:$MINISRV_PORT |"
assert_contains "$LAB/expired.out" "warning cert-expired: "
[[ $(perf expired cert_days) =~ ^-3[0-9]\;15:$ ]] || lab_fail "expired: cert_days is '$(perf expired cert_days)'"
nagios expired-thr 2 --cert-warn 14 --cert-crit 7 "127.0.0.1:$MINISRV_PORT"
assert_contains "$LAB/expired-thr.out" "RDP CRITICAL - the certificate expired 3"
assert_contains "$LAB/expired-thr.out" "days ago (critical threshold 7 days)"
[[ $(perf expired-thr cert_days) =~ ^-3[0-9]\;14:\;7:$ ]] || lab_fail "expired-thr: cert_days is '$(perf expired-thr cert_days)'"
lab_stop "$MINISRV_PID"

# --- xrdp in TLS mode: TLS without NLA is a warning (nla-not-enforced).
lab_xrdp tls good
nagios xrdp 1 "127.0.0.1:$XRDP_PORT"
assert_contains "$LAB/xrdp.out" "RDP WARNING - Clients can connect without Network Level Authentication (nla-not-enforced)"
assert_contains "$LAB/xrdp.out" "warning nla-not-enforced: "
lab_stop "$XRDP_PID"

# --- a refused port: CRITICAL, connect never timed.
port=$(lab_port)
nagios refused 2 "127.0.0.1:$port"
assert_contains "$LAB/refused.out" "RDP CRITICAL - The RDP port refuses connections (tcp-refused) on 127.0.0.1:$port |"
assert_contains "$LAB/refused.out" "critical tcp-refused: "
assert_eq "(none)" "$(perf refused time_connect)" "refused: no connect time"
assert_eq "1;;;0" "$(perf refused findings_critical)" "refused: one critical finding"

# --- a listener that accepts and never answers, with a short whole-check deadline: our
# deadline decided, not the server: UNKNOWN.
port=$(lab_port)
lab_spawn silent nc -lk 127.0.0.1 "$port"
lab_wait_port 127.0.0.1 "$port"
nagios deadline 3 --timeout 0.4 "127.0.0.1:$port"
assert_contains "$LAB/deadline.out" "RDP UNKNOWN - "
assert_contains "$LAB/deadline.out" "(cut) on 127.0.0.1:$port |"
lab_stop "$LAB_LAST_PID"

# --- usage errors: one line, exit 64, nothing on stdout.
for args in "--cert-warn x 127.0.0.1" "--cert-warn 14 127.0.0.1:1" "--nagios --json 127.0.0.1" \
    "--nagios --cert-crit -1 127.0.0.1" "--nagios --time-warn 0 127.0.0.1"; do
    rc=0
    # shellcheck disable=SC2086
    "$RDPDOCTOR" check $args >"$LAB/u.out" 2>"$LAB/u.err" || rc=$?
    assert_eq 64 "$rc" "usage: $args"
    [[ ! -s $LAB/u.out && $(wc -l <"$LAB/u.err") == 1 ]] || lab_fail "usage: $args: not one line on stderr"
done
lab_log "all nagios cases passed"
