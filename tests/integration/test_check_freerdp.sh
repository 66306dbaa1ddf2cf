#!/bin/bash
# `rdpdoctor check` against FreeRDP's server library: the shadow server under Xvfb (nla, tls, rdp)
# and our minisrv (nla). NLA servers answer FAILURE 5 to requests without HYBRID and select HYBRID
# otherwise; nothing here may claim a credential check. Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_cmd jq freerdp-shadow-cli Xvfb winpr-hash
lab_certs

run() {
    local name=$1 port=$2
    RC=0
    "$RDPDOCTOR" check --json "127.0.0.1:$port" >"$LAB/$name.json" 2>"$LAB/$name.err" || RC=$?
    [[ -s $LAB/$name.json ]] && jq -e . "$LAB/$name.json" >/dev/null || lab_fail "$name: no valid JSON (exit $RC)"
}
q() { jq -r "$2" "$LAB/$1.json"; }
ids() { q "$1" '[.findings[].id] | sort | join(" ")'; }
selected() { q "$1" "[.facts.probes[] | select(.kind == \"negotiate\" and .request.protocols_name == \"$2\")][0].negotiation | \"\(.outcome) \(.selected_name)\(.failure_name // \"\")\""; }

lab_xvfb
lab_shadow nla good
run shadow-nla "$SHADOW_PORT"
assert_eq "failure HYBRID_REQUIRED_BY_SERVER" "$(selected shadow-nla SSL)" "shadow nla: SSL -> F5"
assert_eq "rsp HYBRID" "$(selected shadow-nla "SSL|HYBRID|HYBRID_EX")" "shadow nla: 11 -> HYBRID"
assert_eq "cert-self-signed host-identity nla-required" "$(ids shadow-nla)" "shadow nla: findings"
assert_eq 0 "$RC" "shadow nla: exit code"
assert_eq ok "$(q shadow-nla '[.facts.probes[] | select(.negotiation.selected_name == "HYBRID")][0].tls.outcome')" "shadow nla: TLS under CredSSP"
# Without credentials, the NTLM CHALLENGE names the server (FreeRDP reports the host name).
assert_eq "challenge $(hostname | tr a-z A-Z | cut -c1-15)" "$(q shadow-nla '[.facts.probes[] | select(.credssp != null)][0].credssp | "\(.outcome) \(.netbios_computer)"')" "shadow nla: identity"
# A name that leads to this server while it calls itself something else (hosts file for c-ares).
echo "127.0.0.1 wrong-name.lab.test" >"$LAB/hosts"
RC=0
CARES_HOSTS=$LAB/hosts "$RDPDOCTOR" check --json "wrong-name.lab.test:$SHADOW_PORT" >"$LAB/wrongname.json" || RC=$?
assert_eq dns-wrong-host "$(q wrongname .verdict.root_cause)" "wrong name: root cause"
assert_client wrongname 0x904 none
assert_eq 2 "$RC" "wrong name: exit code"
lab_stop "$SHADOW_PID"

lab_shadow tls good
run shadow-tls "$SHADOW_PORT"
assert_eq "failure SSL_REQUIRED_BY_SERVER" "$(selected shadow-tls RDP)" "shadow tls: RDP -> F1"
assert_eq "rsp SSL" "$(selected shadow-tls "SSL|HYBRID")" "shadow tls: 3 -> SSL"
[[ " $(ids shadow-tls) " == *" nla-not-enforced "* ]] || lab_fail "shadow tls: nla-not-enforced missing"
lab_stop "$SHADOW_PID"

lab_shadow rdp good
run shadow-rdp "$SHADOW_PORT"
assert_eq "failure SSL_NOT_ALLOWED_BY_SERVER" "$(selected shadow-rdp SSL)" "shadow rdp: SSL -> F2"
[[ " $(ids shadow-rdp) " == *" tls-not-allowed "* ]] || lab_fail "shadow rdp: tls-not-allowed missing"
lab_stop "$SHADOW_PID"

lab_minisrv nla good
run minisrv-nla "$MINISRV_PORT"
assert_eq "rsp HYBRID" "$(selected minisrv-nla "SSL|HYBRID")" "minisrv nla: 3 -> HYBRID"
[[ " $(ids minisrv-nla) " == *" nla-required "* ]] || lab_fail "minisrv nla: nla-required missing"
lab_log "FreeRDP server check tests passed in $(($(lab_ms) - LAB_T0)) ms"
