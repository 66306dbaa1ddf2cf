#!/bin/bash
# Standard RDP Security enumeration against real servers (issue #12): which encryption methods
# (40, 56, 128-bit, FIPS) the server accepts and at which level, on the check's own connections,
# within the budget of 12.
#
# xrdp from its packaged ini, in rdp and negotiate modes, at crypt_level low, medium, high, fips.
# What xrdp 0.9.21 does (libxrdp/xrdp_sec.c, xrdp_sec_process_mcs_data_CS_SECURITY): each level
# has one method (low: 40-bit at Low; medium: 40-bit at Client Compatible; high: 128-bit at High;
# fips: FIPS at FIPS), and when the client does not offer it xrdp logs a warning and selects it
# anyway. So exactly one method is accepted; every other one, offered alone, is answered with the
# configured method: refused. At medium a reading of [MS-RDPBCGR] 5.3.2 ("Client Compatible: the
# strongest method the client offers") would say 128-bit is accepted; it is not, and the check
# says so because it offers each method alone there rather than inferring.
#
# FreeRDP's server library (minisrv rdp) on a loopback peer: FreeRDP 2 turns Standard RDP
# Security encryption off for a local connection (nego.c, LocalConnection): level None.
# Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xrdp jq
lab_certs

check() {
    local name=$1 target=$2
    RC=0
    "$RDPDOCTOR" check --json "$target" >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    "$RDPDOCTOR" check "$target" >"$LAB/$name.txt" 2>>"$LAB/$name.err" || true
    [[ -s $LAB/$name.json ]] || lab_fail "$name: no JSON report (exit $RC): $(cat "$LAB/$name.err")"
    [[ ! -s $LAB/$name.err ]] || lab_fail "$name: unexpected stderr: $(cat "$LAB/$name.err")"
    tr '\n' ' ' <"$LAB/$name.txt" | tr -s ' ' >"$LAB/$name.flat"
}
q() { jq -r "$2" "$LAB/$1.json"; }
findings() { q "$1" '[.findings[].id] | sort | join(" ")'; }
has_finding() { [[ " $(findings "$1") " == *" $2 "* ]] || lab_fail "$1: no finding $2 (got: $(findings "$1"))"; }
no_finding() { [[ " $(findings "$1") " != *" $2 "* ]] || lab_fail "$1: unexpected finding $2"; }
method() { q "$1" ".facts.rdp_security.methods[] | select(.method == \"$2\") | $3"; }

# The budget, counted from the JSON: every connection the check opened, and the probes listed.
budget() {
    local n p
    n=$(q "$1" .connections)
    p=$(q "$1" '.facts.probes | length')
    [[ $n -le 12 && $p -le 12 ]] || lab_fail "$1: $n connections, $p probes: over the budget of 12"
    lab_log "ok: $1: $n connections"
}

# The method xrdp configures at each crypt_level, and the level number it announces.
declare -A ONLY=([low]=40-bit [medium]=40-bit [high]=128-bit [fips]=FIPS)
declare -A VALUE=([40-bit]=1 [56-bit]=8 [128-bit]=2 [FIPS]=16)
declare -A LEVEL=([low]=1 [medium]=2 [high]=3 [fips]=4)

for mode in rdp negotiate; do
    for lvl in low medium high fips; do
        n=$mode-$lvl
        lab_xrdp_full "$mode" good "crypt_level=$lvl"
        check "$n" "127.0.0.1:$XRDP_PORT"
        budget "$n"
        assert_eq true "$(q "$n" .facts.rdp_security.tested)" "$n: enumerated"
        assert_eq "${LEVEL[$lvl]}" "$(q "$n" .facts.rdp_security.level)" "$n: level"
        assert_eq false "$(q "$n" .facts.rdp_security.level_varies)" "$n: one level on every connection"
        # In rdp mode every request gets RDP: enough connections to enumerate on. In negotiate mode
        # only the RDP-only (a session probe, every method offered) and legacy requests do: at Low
        # and Client Compatible one more connection fits the budget.
        extra=$(q "$n" .facts.rdp_security.extra_connections)
        if [[ $mode == rdp || $lvl == high || $lvl == fips ]]; then
            assert_eq 0 "$extra" "$n: no connection added"
        else
            (( extra <= 1 )) || lab_fail "$n: $extra connections added"
        fi
        assert_eq "${ONLY[$lvl]}" "$(q "$n" '[.facts.rdp_security.methods[] | select(.status == "accepted") | .method] | join(",")')" \
            "$n: the one method accepted"
        for m in 40-bit 56-bit 128-bit FIPS; do
            [[ $m == "${ONLY[$lvl]}" ]] && continue
            assert_eq refused "$(method "$n" "$m" .status)" "$n: $m"
            # Probed: xrdp answered the configured method; inferred only at High and FIPS.
            if [[ $(method "$n" "$m" .basis) == probed ]]; then
                assert_eq "${VALUE[${ONLY[$lvl]}]}" "$(method "$n" "$m" .answered_method)" "$n: $m answered with"
            else
                assert_eq inferred "$(method "$n" "$m" .basis)" "$n: $m basis"
                [[ $lvl == high || $lvl == fips ]] || lab_fail "$n: $m inferred at $lvl"
            fi
        done
        # Low and Client Compatible settle nothing by the level: every method was offered alone.
        if [[ $lvl == low || $lvl == medium ]]; then
            assert_eq 0 "$(q "$n" '[.facts.rdp_security.methods[] | select(.basis != "probed")] | length')" \
                "$n: every method probed"
            assert_eq refused "$(method "$n" 128-bit .status)" "$n: 128-bit, though 5.3.2 would allow it"
        fi
        # Every enumeration connection read its Connect Response and disconnected cleanly.
        assert_eq 0 "$(q "$n" '[.facts.probes[] | select(.session.enumeration == true and .session.outcome != "enumerated")] | length')" \
            "$n: enumeration connections all answered"
        assert_eq 0 "$(q "$n" '[.facts.probes[] | select(.session.enumeration == true and .session.offered_methods != 1 and .session.offered_methods != 8 and .session.offered_methods != 2 and .session.offered_methods != 16)] | length')" \
            "$n: one method per enumeration connection"
        case $lvl in
            low | medium)
                has_finding "$n" rdp-security-weak
                evidence=$(q "$n" '[.findings[] | select(.id == "rdp-security-weak")][0].evidence | join(" ")')
                [[ $evidence == *"/facts/rdp_security/methods/0/status"* ]] ||
                    lab_fail "$n: evidence does not point at 40-bit: $evidence"
                ;;
            *) no_finding "$n" rdp-security-weak ;;
        esac
        # FIPS required, where the client's own request gets Standard RDP Security: a Windows
        # client offers FIPS too (our session probe does, and is activated), so it connects: no
        # mismatch, and no critical verdict.
        no_finding "$n" encryption-mismatch
        if [[ $mode == rdp && $lvl == fips ]]; then
            assert_eq active "$(q "$n" '[.facts.probes[] | select(.request.session)][0].session.outcome')" \
                "$n: the client's session is activated under FIPS"
            [[ $RC != 2 ]] || lab_fail "$n: exit code 2 for a server a Windows client reaches"
        fi
        assert_contains "$LAB/$n.flat" "Standard RDP Security (each encryption method offered alone)"
        assert_contains "$LAB/$n.flat" "${ONLY[$lvl]} accepted"
        lab_stop "$XRDP_PID"
    done
done

# --- tls mode: the RDP request is refused (SSL_REQUIRED), yet a legacy request gets a legacy
# Confirm; its Connect Initial then gets a Disconnect Provider Ultimatum ("Server requires TLS"):
# 40-bit refused, no level, nothing accepted, and no connection added (they would request RDP).
lab_xrdp_full tls good crypt_level=low
check tls "127.0.0.1:$XRDP_PORT"
budget tls
assert_eq null "$(q tls .facts.rdp_security.level)" "tls: no Connect Response"
assert_eq 0 "$(q tls '[.facts.rdp_security.methods[] | select(.status == "accepted")] | length')" "tls: no method"
# (Under a heavy load the legacy request may meet the step deadline before its Confirm: then
# nothing was offered, and nothing may be claimed.)
if [[ $(q tls '[.facts.probes[] | select(.request.legacy)][0].negotiation.outcome') == legacy ]]; then
    assert_eq refused "$(method tls 40-bit .status)" "tls: 40-bit offered on the legacy Confirm"
    assert_eq disconnected "$(q tls '[.facts.probes[] | select(.session.enumeration == true)][0].session.outcome')" \
        "tls: the legacy connection's end"
fi
assert_eq 0 "$(q tls '[.facts.probes[] | select(.kind == "rdp-security")] | length')" "tls: no connection added"
assert_eq 11 "$(q tls .connections)" "tls: connections"
no_finding tls rdp-security-weak
no_finding tls encryption-mismatch
lab_stop "$XRDP_PID"

# --- minisrv rdp (FreeRDP 2 server library, which takes its loopback peer for a remote one):
# Client Compatible; it selects whatever single method is offered, FIPS aside (the session probe's
# own answer is 128-bit, and the budget leaves no connection for FIPS).
lab_minisrv rdp
check minisrv "127.0.0.1:$MINISRV_PORT"
budget minisrv
assert_eq true "$(q minisrv .facts.rdp_security.tested)" "minisrv: enumerated"
assert_eq 2 "$(q minisrv .facts.rdp_security.level)" "minisrv: level Client Compatible"
for m in 0 1 2; do
    assert_eq accepted "$(q minisrv ".facts.rdp_security.methods[$m].status")" "minisrv: method $m accepted"
done
has_finding minisrv rdp-security-weak
no_finding minisrv encryption-mismatch
assert_contains "$LAB/minisrv.flat" "40-bit accepted"
lab_stop "$MINISRV_PID"
echo "test_check_enum: ok"
