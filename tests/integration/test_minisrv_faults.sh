#!/bin/bash
# minisrv's session-phase faults, seen by a real client: each fault is sent by minisrv (FreeRDP 2's
# server library, tests/servers/MINISRV.md) and xfreerdp 2.11 must report what was chosen. It does
# not run rdpdoctor ($1 is accepted and ignored):
#     bash tests/integration/test_minisrv_faults.sh /bin/true
# Exit 0 pass, 1 fail, 77 skip (no xfreerdp, Xvfb, freerdp2-dev or root for the certificates).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xfreerdp Xvfb winpr-hash timeout

lab_xvfb

# connect NAME SEC : a full xfreerdp connection to the running minisrv; its log in $LAB/NAME.log.
connect() {
    local rc=0
    timeout 30 xfreerdp "/v:127.0.0.1:$MINISRV_PORT" /cert:ignore "/sec:$2" "/u:$LAB_USER" "/p:$LAB_PASS" \
        /log-level:DEBUG >"$LAB/$1.log" 2>&1 || rc=$?
    lab_log "$1: xfreerdp exit $rc"
}

# fault NAME MODE SEC EXPECTED-LINE MINISRV-OPTIONS… : start minisrv with the fault, connect, check.
fault() {
    local name=$1 mode=$2 sec=$3 want=$4
    shift 4
    lab_minisrv "$mode" good "$@"
    connect "$name" "$sec"
    assert_contains "$LAB/$name.log" "$want"
    lab_stop "$MINISRV_PID"
}

fault info-7 tls tls 'ERRINFO_SERVER_DENIED_CONNECTION [0x00010007]' --error-info 7@info
fault info-9-nla nla nla 'ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES [0x00010009]' --error-info 9@info
fault join-a tls tls 'ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED [0x0001000A]' --error-info 0xA@join
fault license-101 tls tls 'ERRINFO_LICENSE_NO_LICENSE_SERVER [0x00010101]' --error-info 0x101@license
fault demand-10a tls tls 'ERRINFO_LICENSE_NO_REMOTE_CONNECTIONS [0x0001010A]' --error-info 0x10A@demand
fault active-c tls tls 'ERRINFO_LOGOFF_BY_USER [0x0001000C]' --error-info 0xC@active
fault license-err tls tls 'license connection sequence aborted' --license-error 6
fault logon-err tls tls 'LogonErrorInfo: Data: 0xFFFFFFF8 Type: 0x00000000' --logon-error 0:0xFFFFFFF8
fault logon-ok tls tls "LogonInfoV2: SessionId: 0x00000001 UserName: [$LAB_USER]" --logon-ok

# A bare close at a step: no errorInfo at all, and the client never got past it.
lab_minisrv tls --close-at join
connect close-join tls
assert_not_contains "$LAB/close-join.log" 'ERRINFO_'
assert_not_contains "$LAB/close-join.log" 'CONNECTION_STATE_LICENSING --> CONNECTION_STATE_CAPABILITIES_EXCHANGE'
assert_contains "$LAB/close-join.log" 'ERRCONNECT_CONNECT_TRANSPORT_FAILED [0x0002000D]'
lab_stop "$MINISRV_PID"

# The plain server still reaches activation (the positional usage is unchanged).
lab_minisrv tls
connect plain tls
assert_contains "$LAB/plain.log" 'CONNECTION_STATE_FINALIZATION --> CONNECTION_STATE_ACTIVE'
assert_not_contains "$LAB/plain.log" 'ERRINFO_'
lab_stop "$MINISRV_PID"
lab_log "minisrv faults passed in $(($(lab_ms) - LAB_T0)) ms"
