#!/bin/bash
# The delaying proxy (bench/delayproxy.c) for the round-trip benches: started and stopped by PID
# (also at exit, through the harness's cleanup). Source it after tests/integration/lib.sh's lab_init,
# with $proxy set to the built delayproxy.

PROXY_PID=
PROXY_PORT=
proxy_stop() {
    [[ -n $PROXY_PID ]] || return 0
    local deadline
    kill -TERM "$PROXY_PID" 2>/dev/null || true
    deadline=$(($(lab_ms) + 2000))
    while _lab_alive "$PROXY_PID" && (($(lab_ms) < deadline)); do sleep 0.01; done
    _lab_alive "$PROXY_PID" && kill -KILL "$PROXY_PID" 2>/dev/null
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=
}
lab_at_exit proxy_stop

# proxy_start TARGET_PORT DELAY_MS LOGFILE [VERBOSE=0] : sets PROXY_PID, PROXY_PORT. With VERBOSE 1
# the log is the proxy's event log (every connection's data and FINs, timed).
proxy_start() {
    local tport=$1 delay=$2 log=$3 verbose=${4:-0} ready=$LAB/proxy.ready deadline
    : >"$ready"
    DELAYPROXY_VERBOSE=$verbose "$proxy" 0 127.0.0.1 "$tport" "$delay" >"$ready" 2>"$log" &
    PROXY_PID=$!
    deadline=$(($(lab_ms) + 3000))
    until grep -q '^ready ' "$ready"; do
        _lab_alive "$PROXY_PID" || lab_fail "delayproxy exited: $(cat "$log")"
        (($(lab_ms) < deadline)) || lab_fail "delayproxy not ready after 3 s"
        sleep 0.01
    done
    PROXY_PORT=$(awk '/^ready /{print $2; exit}' "$ready")
}

median() { sort -n | awk '{a[NR]=$1} END{if(NR==0){print "nan"; exit}; if(NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
