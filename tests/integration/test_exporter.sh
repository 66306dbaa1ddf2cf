#!/bin/bash
# `rdpdoctor exporter` scraped by a real Prometheus (docs/exporter.md): minisrv with NLA and a
# good certificate (healthy; and, with module credentials, an accepted authentication), xrdp with
# an expired certificate, a refused port. The test asks Prometheus's HTTP API for the series and
# checks their values; the password appears in no output; promtool accepts docs/prometheus/.
# Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xrdp prometheus promtool curl jq openssl faketime
lab_certs

# --- the documented rules and scrape configuration
promtool check rules "$LAB_SRC_DIR/docs/prometheus/rdp-alerts.yml" >"$LAB/promtool.out" 2>&1 ||
    { cat "$LAB/promtool.out" >&2; lab_fail "promtool check rules"; }
promtool check config "$LAB_SRC_DIR/docs/prometheus/prometheus-rdp.yml" >>"$LAB/promtool.out" 2>&1 ||
    { cat "$LAB/promtool.out" >&2; lab_fail "promtool check config"; }

lab_minisrv nla good
lab_xrdp tls expired
REFUSED=$(lab_port)

printf '%s\n' "$LAB_PASS" >"$LAB/pw"
chmod 600 "$LAB/pw"
cat >"$LAB/exporter.json" <<EOF
{"modules": {
  "default": {"timeout": 2.5, "step_timeout": 2, "side_ports": false},
  "nla": {"timeout": 2.5, "step_timeout": 2, "user": "$LAB_USER", "password_file": "$LAB/pw"}
}}
EOF

# --- bad input: one line, exit 64
for args in "--listen 1.2.3:4" "--listen 127.0.0.1" "--listen host.example:80" "" \
    "--listen 127.0.0.1:1 --config $LAB/missing.json"; do
    rc=0
    # shellcheck disable=SC2086
    "$RDPDOCTOR" exporter $args >"$LAB/u.out" 2>"$LAB/u.err" || rc=$?
    assert_eq 64 "$rc" "usage: exporter $args"
    [[ $(wc -l <"$LAB/u.err") == 1 ]] || lab_fail "usage: exporter $args: not one line"
done
echo '{"modules": {"x": {"password": "secret"}}}' >"$LAB/badcfg.json"
rc=0
"$RDPDOCTOR" exporter --listen 127.0.0.1:1 --config "$LAB/badcfg.json" 2>"$LAB/u.err" || rc=$?
assert_eq 64 "$rc" "a password in the config"
assert_not_contains "$LAB/u.err" secret

# --- the exporter
_lab_exporter_builder() { lab_spawn "exporter-$1" "$RDPDOCTOR" exporter --listen "127.0.0.1:$1" --config "$LAB/exporter.json"; }
_lab_start_server exporter "" 127.0.0.1 _lab_exporter_builder
EXP_PORT=$LAB_STARTED_PORT
EXP_PID=$LAB_LAST_PID
EXP_LOG=$LAB_LAST_LOG

# Direct probes first: status codes and the text.
curl -s -o "$LAB/p-refused.txt" -w '%{http_code} %{content_type}\n' \
    "http://127.0.0.1:$EXP_PORT/probe?target=127.0.0.1:$REFUSED" >"$LAB/p-refused.code"
assert_eq "200 text/plain; version=0.0.4; charset=utf-8" "$(cat "$LAB/p-refused.code")" "probe: status and type"
assert_contains "$LAB/p-refused.txt" 'rdp_finding{id="tcp-refused",severity="critical"} 1'
assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXP_PORT/probe?target=bad..host")" "bad target"
assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXP_PORT/probe?target=127.0.0.1&module=nope")" "unknown module"
assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EXP_PORT/probe")" "no target"
curl -s "http://127.0.0.1:$EXP_PORT/probe?target=127.0.0.1:$MINISRV_PORT&module=nla" >"$LAB/p-auth.txt"
assert_contains "$LAB/p-auth.txt" "rdp_auth_success 1"

# The server's own reason, from the session phase: minisrv denies after Client Info (errorInfo 7).
NLA_PORT=$MINISRV_PORT NLA_PID=$MINISRV_PID
lab_minisrv tls good --error-info 7@info
DENIED_PORT=$MINISRV_PORT
MINISRV_PORT=$NLA_PORT MINISRV_PID=$NLA_PID
curl -s "http://127.0.0.1:$EXP_PORT/probe?target=127.0.0.1:$DENIED_PORT" >"$LAB/p-denied.txt"
assert_contains "$LAB/p-denied.txt" 'rdp_error_info{code="0x7",name="ERRINFO_SERVER_DENIED_CONNECTION"} 1'
assert_contains "$LAB/p-denied.txt" 'rdp_finding{id="server-denied-connection",severity="critical"} 1'
assert_contains "$LAB/p-denied.txt" 'rdp_probe_success 0'

# --- Prometheus scrapes it
PROM_PORT=$(lab_port)
cat >"$LAB/prometheus.yml" <<EOF
global: {scrape_interval: 3s, evaluation_interval: 3s}
scrape_configs:
  - job_name: rdp
    metrics_path: /probe
    params: {module: [default]}
    scrape_timeout: 3s
    static_configs:
      - targets: ["127.0.0.1:$MINISRV_PORT", "127.0.0.1:$XRDP_PORT", "127.0.0.1:$REFUSED"]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: "127.0.0.1:$EXP_PORT"}
  - job_name: rdp_auth
    metrics_path: /probe
    params: {module: [nla]}
    scrape_timeout: 3s
    static_configs:
      - targets: ["127.0.0.1:$MINISRV_PORT"]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: "127.0.0.1:$EXP_PORT"}
  - job_name: exporter
    static_configs:
      - targets: ["127.0.0.1:$EXP_PORT"]
EOF
lab_spawn prometheus prometheus --config.file="$LAB/prometheus.yml" --storage.tsdb.path="$LAB/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT"
PROM_PID=$LAB_LAST_PID
lab_wait_port 127.0.0.1 "$PROM_PORT" 15

# q QUERY : the value of the single series the query returns ("" when none).
q() {
    curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
        jq -r 'if .data.result | length == 1 then .data.result[0].value[1] else "" end'
}
i_m="instance=\"127.0.0.1:$MINISRV_PORT\""
i_x="instance=\"127.0.0.1:$XRDP_PORT\""
i_r="instance=\"127.0.0.1:$REFUSED\""
deadline=$(($(lab_ms) + 45000))
until [[ -n $(q "rdp_probe_success{job=\"rdp\",$i_m}") && -n $(q "rdp_probe_success{job=\"rdp\",$i_x}") &&
    -n $(q "rdp_probe_success{$i_r}") && -n $(q "rdp_auth_success{job=\"rdp_auth\"}") &&
    -n $(q 'rdpdoctor_exporter_probes_in_flight') ]]; do
    (($(lab_ms) < deadline)) || lab_fail "Prometheus has not scraped every target after 45 s"
    _lab_alive "$EXP_PID" || lab_fail "the exporter died"
    sleep 1
done

# healthy minisrv (NLA required)
assert_eq 1 "$(q "rdp_probe_success{job=\"rdp\",$i_m}")" "minisrv: success"
assert_eq 0 "$(q "rdp_exit_code{job=\"rdp\",$i_m}")" "minisrv: exit code"
assert_eq 1 "$(q "rdp_verdict{job=\"rdp\",$i_m,status=\"ok\"}")" "minisrv: verdict ok"
assert_eq 1 "$(q "rdp_selected_protocol_info{job=\"rdp\",$i_m,protocol=\"HYBRID\"}")" "minisrv: HYBRID selected"
d=$(q "rdp_cert_days_left{job=\"rdp\",$i_m}")
[[ $d == 364 || $d == 365 ]] || lab_fail "minisrv: cert days $d"
[[ -n $(q "rdp_phase_duration_seconds{job=\"rdp\",$i_m,phase=\"credssp\"}") ]] || lab_fail "minisrv: no credssp time"
assert_eq 1 "$(q "rdp_auth_success{job=\"rdp_auth\",$i_m}")" "minisrv: module credentials accepted"
assert_eq 1 "$(q "rdp_auth_outcome_info{job=\"rdp_auth\",outcome=\"accepted\"}")" "minisrv: auth outcome"
# xrdp, expired certificate: the dates are exported although the certificate is not valid.
d=$(q "rdp_cert_days_left{$i_x}")
((d < -30)) || lab_fail "xrdp: cert days $d"
na=$(q "rdp_cert_not_after_timestamp_seconds{$i_x}")
exp_na=$(date -u -d "$(openssl x509 -in "$LAB/certs/expired.crt" -noout -enddate | cut -d= -f2)" +%s)
assert_eq "$exp_na" "$(printf '%.0f' "$na")" "xrdp: notAfter as a timestamp"
assert_eq 1 "$(q "rdp_finding{$i_x,id=\"cert-expired\",severity=\"warning\"}")" "xrdp: cert-expired"
assert_eq 1 "$(q "rdp_finding{$i_x,id=\"nla-not-enforced\"}")" "xrdp: nla-not-enforced"
assert_eq 1 "$(q "rdp_exit_code{$i_x}")" "xrdp: exit code (warning)"
assert_eq 1 "$(q "rdp_tls_version_accepted{$i_x,version=\"TLSv1.3\"}")" "xrdp: TLS 1.3 accepted"
assert_eq 0 "$(q "rdp_tls_version_accepted{$i_x,version=\"TLSv1.0\"}")" "xrdp: TLS 1.0 refused"
assert_eq 1 "$(q "rdp_selected_protocol_info{$i_x,protocol=\"SSL\"}")" "xrdp: SSL selected"
# the refused port
assert_eq 0 "$(q "rdp_probe_success{$i_r}")" "refused: success"
assert_eq 2 "$(q "rdp_exit_code{$i_r}")" "refused: exit code"
assert_eq 1 "$(q "rdp_finding{$i_r,id=\"tcp-refused\",severity=\"critical\"}")" "refused: tcp-refused"
# the exporter's own metrics
# (Prometheus sees them as of its last scrape of /metrics, which may come before the last probes
# ended: wait for a scrape that counts them, 30 s at most.)
deadline=$(($(lab_ms) + 30000))
until n=$(q 'sum(rdpdoctor_exporter_requests_total{path="/probe",code="200"})') && [[ ${n:-0} -ge 5 ]] &&
    [[ $(q 'rdpdoctor_exporter_probe_duration_seconds_count') -ge 5 ]]; do
    (($(lab_ms) < deadline)) || lab_fail "exporter: ${n:-no} probes counted, or no duration count"
    sleep 1
done

# The password appears nowhere: not in a probe's text, the exporter's log, or Prometheus's data.
curl -s "http://127.0.0.1:$EXP_PORT/probe?target=127.0.0.1:$MINISRV_PORT&module=nla" >>"$LAB/p-auth.txt"
assert_not_contains "$LAB/p-auth.txt" "$LAB_PASS"
assert_not_contains "$EXP_LOG" "$LAB_PASS"
! grep -rqF -- "$LAB_PASS" "$LAB/tsdb" 2>/dev/null || lab_fail "the password is in Prometheus's data"

# SIGTERM: the exporter stops cleanly (exit 0) within the grace period, also when the signal comes
# while a probe runs (a listener that accepts and never answers holds it for the module's timeout):
# the end of that probe then ends the exporter (it used to wait for another wake that never came).
SILENT_PORT=$(lab_port)
lab_spawn silent nc -l 127.0.0.1 "$SILENT_PORT"
lab_wait_listen "$SILENT_PORT"
curl -s -o "$LAB/p-inflight.txt" -w '%{http_code}' "http://127.0.0.1:$EXP_PORT/probe?target=127.0.0.1:$SILENT_PORT" \
    >"$LAB/p-inflight.code" &
CURL_PID=$!
sleep 0.5
kill -TERM "$EXP_PID"
# Running and queued probes finish first, each bounded by its module's timeout (2.5 s here): under
# a sanitizer build with Prometheus still scraping, that can take several of them in a row.
deadline=$(($(lab_ms) + 15000))
while _lab_alive "$EXP_PID"; do
    (($(lab_ms) < deadline)) || lab_fail "exporter did not stop on SIGTERM"
    sleep 0.05
done
rc=0
wait "$EXP_PID" || rc=$?
assert_eq 0 "$rc" "exporter exit code after SIGTERM"
# (Its HTTP answer may be cut when the daemon closes its connections: the exporter is going away.)
wait "$CURL_PID" || true
for i in "${!LAB_PIDS[@]}"; do [[ ${LAB_PIDS[$i]} == "$EXP_PID" ]] && LAB_PIDS[i]=0; done
lab_log "all exporter cases passed"
