#!/bin/bash
# Probe latency: `rdpdoctor exporter` /probe against Debian's prometheus-blackbox-exporter
# (module tcp_connect) on the same xrdp server (127.0.0.1, TLS, a port of its own). Each exporter
# runs on 127.0.0.1 with a config of its own; N sequential probes each way (curl's time_total for
# GET /probe), medians and 90th percentiles, plus the probe duration each exporter reports.
# Root (xrdp). Results in bench/out/exporter-*; the table in bench/out/exporter-summary.txt.
# Usage: bench/exporter.sh [path/to/rdpdoctor]    Knobs: N=20 (probes per module).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/release/rdpdoctor}")
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 3; }
out=$PWD/bench/out
mkdir -p "$out"
N=${N:-20}
export LAB_QUIET=1
source tests/integration/lib.sh
lab_init "$bin"
lab_require_root
lab_require_cmd xrdp curl prometheus-blackbox-exporter
lab_xrdp tls good
target=127.0.0.1:$XRDP_PORT

# rdpdoctor: the default module (full check, side ports) and one without side ports.
cat >"$LAB/rdp.json" <<'EOF'
{"modules": {"default": {"timeout": 10, "step_timeout": 3},
             "lan": {"timeout": 5, "step_timeout": 1, "side_ports": false}}}
EOF
rport=$(lab_port)
lab_spawn rdpdoctor-exporter "$bin" exporter --listen "127.0.0.1:$rport" --config "$LAB/rdp.json"
lab_wait_port 127.0.0.1 "$rport" 5

# blackbox_exporter: its own config, tcp_connect only.
cat >"$LAB/blackbox.yml" <<'EOF'
modules:
  tcp_connect:
    prober: tcp
    timeout: 5s
EOF
bport=$(lab_port)
lab_spawn blackbox prometheus-blackbox-exporter --config.file="$LAB/blackbox.yml" \
    --web.listen-address="127.0.0.1:$bport" --log.level=warn
lab_wait_port 127.0.0.1 "$bport" 5

# probe NAME URL METRIC : N probes, one line per probe: curl's seconds and the exporter's duration.
probe() {
    local name=$1 url=$2 metric=$3 i t
    : >"$out/exporter-$name.txt"
    curl -sf -o /dev/null "$url" # warm-up, not counted
    for ((i = 0; i < N; i++)); do
        t=$(curl -sf -o "$LAB/body" -w '%{time_total}' "$url")
        echo "$t $(awk -v m="$metric" '$1 == m {print $2}' "$LAB/body")" >>"$out/exporter-$name.txt"
    done
    cp "$LAB/body" "$out/exporter-$name.last"
}
# pct FILE COL P : the P-th percentile (nearest rank) of column COL, in ms.
pct() {
    awk -v c="$2" '{print $c}' "$1" | sort -g |
        awk -v p="$3" '{v[NR] = $1} END {i = int((NR * p + 99) / 100); if (i < 1) i = 1; printf "%.1f", v[i] * 1000}'
}

probe rdp-default "http://127.0.0.1:$rport/probe?target=$target&module=default" rdp_probe_duration_seconds
probe rdp-lan "http://127.0.0.1:$rport/probe?target=$target&module=lan" rdp_probe_duration_seconds
probe blackbox "http://127.0.0.1:$bport/probe?target=$target&module=tcp_connect" probe_duration_seconds

summary=$out/exporter-summary.txt
{
    printf '%s, %s cores, load %s; %d sequential probes each, xrdp %s\n' "$(date -u +%F)" "$(nproc)" \
        "$(cut -d' ' -f1-3 /proc/loadavg)" "$N" "$(xrdp -v 2>/dev/null | awk '/xrdp/ {print $2; exit}')"
    echo
    echo "| probe | curl /probe median | p90 | exporter's own duration median | success |"
    echo "|---|---|---|---|---|"
    for p in rdp-default:"rdpdoctor \`module=default\` (full check)" rdp-lan:"rdpdoctor \`module=lan\` (no side ports)" \
        blackbox:"blackbox_exporter \`tcp_connect\`"; do
        f=$out/exporter-${p%%:*}.txt
        ok=$(grep -E '^(rdp_)?probe_success ' "$out/exporter-${p%%:*}.last" | awk '{print $2}')
        printf '| %s | %s ms | %s ms | %s ms | %s |\n' "${p#*:}" "$(pct "$f" 1 50)" "$(pct "$f" 1 90)" \
            "$(pct "$f" 2 50)" "$ok"
    done
} | tee "$summary"
