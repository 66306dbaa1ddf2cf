#!/bin/bash
# `rdpdoctor scan` over 508 targets in a network namespace the test creates (docs/scan.md): ten
# xrdp servers on 127.0.0.1-10 port 3389 there (every 127.0.0.0/8 address is local on lo);
# 127.0.0.11-191 port 3389 answered with a TCP reset;
# port 3390 closed everywhere; 127.0.0.192-254 dropped (silent). Every result line is checked:
# count, one per target, verdict and root cause by range; the file descriptors and the resident
# memory of the scan are sampled while it runs and must stay bounded. Exit 0 pass, 1 fail, 77 skip.
source "$(dirname "$0")/lib.sh"
lab_init "$@"
lab_require_root
lab_require_cmd xrdp jq ip iptables openssl faketime
lab_certs
lab_netns_pair

# Ten xrdp servers, on 127.0.0.1-10 port 3389 of the namespace (each address one server: xrdp's
# listen backlog of 2 cannot take many checks at once, and a fleet is many servers).
for i in $(seq 1 10); do
    _lab_xrdp_ini minimal "$LAB/xrdp-ns-$i" "tcp://127.0.0.$i:3389" tls good
    lab_spawn "xrdp-ns-$i" ip netns exec "$NS_SRV" xrdp -n -c "$LAB/xrdp-ns-$i/xrdp.ini"
done
for i in $(seq 1 10); do _lab_wait_port "$NS_SRV" "127.0.0.$i" 3389 5; done
lab_in_srv iptables -A INPUT -p tcp -d 127.0.0.192/26 -j DROP
lab_in_srv iptables -A INPUT -p tcp --dport 3389 -m iprange --dst-range 127.0.0.11-127.0.0.191 \
    -j REJECT --reject-with tcp-reset

MAX=64
lab_spawn scan ip netns exec "$NS_SRV" "$RDPDOCTOR" scan 127.0.0.0/24 --ports 3389,3390 \
    --max-in-flight $MAX --rate 200 --timeout 8 --step-timeout 3 --summary
SCAN_PID=$LAB_LAST_PID
# lab_spawn writes stdout and stderr to one log: JSON lines and the summary, told apart by their
# first byte.
peak_fd=0 peak_rss=0 samples=0
deadline=$(($(lab_ms) + 90000))
while _lab_alive "$SCAN_PID"; do
    # The process may end between two reads: a failed read is a zero sample, not a failure.
    n=$(find "/proc/$SCAN_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) || n=0
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$SCAN_PID/status" 2>/dev/null) || rss=0
    ((n > peak_fd)) && peak_fd=$n
    ((${rss:-0} > peak_rss)) && peak_rss=${rss:-0}
    samples=$((samples + 1))
    (($(lab_ms) < deadline)) || lab_fail "scan still running after 90 s"
    sleep 0.05
done
wait "$SCAN_PID" && rc=0 || rc=$?
for i in "${!LAB_PIDS[@]}"; do [[ ${LAB_PIDS[$i]} == "$SCAN_PID" ]] && LAB_PIDS[i]=0; done
log=$LAB/logs/scan.log
grep '^{' "$log" >"$LAB/scan.jsonl" || true
grep -v '^{' "$log" >"$LAB/scan.summary" || true
lab_log "scan: exit $rc, $samples samples, peak $peak_fd fds, peak RSS $peak_rss kB"
cat "$LAB/scan.summary" >&2

assert_eq 2 "$rc" "exit code: the worst verdict (critical)"
assert_eq 508 "$(wc -l <"$LAB/scan.jsonl")" "one line per target"
jq -e . "$LAB/scan.jsonl" >/dev/null || lab_fail "a line is not JSON"
assert_eq 508 "$(jq -r '"\(.target.host):\(.target.port)"' "$LAB/scan.jsonl" | sort -u | wc -l)" "every target exactly once"
assert_eq 0 "$(jq -c 'select(.command != "check" or .schema_version != 2)' "$LAB/scan.jsonl" | wc -l)" "check documents"

# Per range: "verdict.status root_cause", counted.
jq -r '(.target.host | split(".")[3] | tonumber) as $o
       | (if .target.port == 3390 and $o < 192 then "closed"
          elif $o <= 10 then "xrdp" elif $o < 192 then "reset" else "dropped" end)
       + " " + .verdict.status + " " + (.verdict.root_cause // "none")
       + " " + (.verdict.exit_code | tostring)' "$LAB/scan.jsonl" | sort | uniq -c |
    awk '{print $2, $3, $4, $5, $1}' >"$LAB/ranges.txt"
cat "$LAB/ranges.txt" >&2
assert_eq "closed critical tcp-refused 2 191" "$(grep '^closed ' "$LAB/ranges.txt")" "port 3390, 127.0.0.1-191"
assert_eq "reset critical tcp-refused 2 181" "$(grep '^reset ' "$LAB/ranges.txt")" "port 3389 reset, 127.0.0.11-191"
# 127.0.0.1 is in the certificate's SAN; 127.0.0.2-10 are not (a warning that ranks first).
assert_eq "xrdp warning cert-name-mismatch 1 9
xrdp warning nla-not-enforced 1 1" "$(grep '^xrdp ' "$LAB/ranges.txt")" "xrdp, 127.0.0.1-10"
dropped=$(grep '^dropped ' "$LAB/ranges.txt")
[[ $dropped == "dropped critical host-down 2 126" || $dropped == "dropped critical tcp-filtered 2 126" ]] ||
    lab_fail "dropped range (126 targets, silent): $dropped"
# The server lines carry their facts: TLS and the certificate.
assert_eq 10 "$(jq -r 'select(.facts.certificate.subject == "CN=rdp-lab.local") | .target.host' "$LAB/scan.jsonl" | wc -l)" \
    "certificate facts on every server line"

# Summary (stderr): counts by verdict and by finding id.
assert_contains "$LAB/scan.summary" "scan: 508 targets in"
grep -Eq '^  critical +498$' "$LAB/scan.summary" || lab_fail "summary: critical 498"
grep -Eq '^  warning +10$' "$LAB/scan.summary" || lab_fail "summary: warning 10"
grep -Eq '^  tcp-refused +372  critical$' "$LAB/scan.summary" || lab_fail "summary: tcp-refused 372"
grep -Eq '^  >= 365 days +10$|^  90-364 days +10$' "$LAB/scan.summary" || lab_fail "summary: 10 certificates"

# Bounded: descriptors at most the budget of a check of one address (rd_check_max_conns: 16) per
# check in flight plus the 64 reserved; memory sane.
((peak_fd > 0 && peak_fd <= MAX * 16 + 64)) || lab_fail "peak fds $peak_fd beyond $((MAX * 16 + 64))"
# A sanitizer build carries shadow memory and quarantine: the memory bound is for a real build.
if grep -q __asan_init "$RDPDOCTOR"; then
    lab_log "peak RSS $peak_rss kB under AddressSanitizer (not bounded here)"
else
    ((peak_rss < 64 * 1024)) || lab_fail "peak RSS $peak_rss kB (64 MB at most for $MAX in flight)"
fi

# The descriptor budget: under an open-file limit of 144, 80 descriptors are left for checks, and a
# check of one address holds at most 16 (rd_check_max_conns): N is lowered to 5, not to 2 as with a
# flat 32 per check. A name's bound (30) fits too, beside the others'. Every target still answered.
rc=0
( ulimit -n 144 && exec ip netns exec "$NS_SRV" "$RDPDOCTOR" scan --quiet --max-in-flight 1000 --rate 0 \
    --step-timeout 1 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 127.0.0.20 localhost ) >"$LAB/fd.jsonl" 2>"$LAB/fd.err" || rc=$?
assert_contains "$LAB/fd.err" "--max-in-flight 1000 lowered to 5 (open-file limit)"
assert_eq 6 "$(wc -l <"$LAB/fd.jsonl")" "every target under a small open-file limit"
assert_eq 0 "$(jq -c 'select(.facts.probes[]?.connect.error == "EMFILE")' "$LAB/fd.jsonl" | wc -l)" "no EMFILE"

# Usage errors: one line, exit 64.
for args in "10.0.0.0/8" "127.0.0.1/33" "bad..host" "--ports 0 127.0.0.1" "--max-in-flight 0 127.0.0.1" \
    "--file $LAB/missing.txt" "--user x 127.0.0.1" ""; do
    rc=0
    # shellcheck disable=SC2086
    "$RDPDOCTOR" scan $args >"$LAB/u.out" 2>"$LAB/u.err" </dev/null || rc=$?
    assert_eq 64 "$rc" "usage: scan $args"
    [[ ! -s $LAB/u.out && $(wc -l <"$LAB/u.err") == 1 ]] || lab_fail "usage: scan $args: not one line on stderr"
done
printf '127.0.0.1\n# comment\n\n   bad_host..x  \n' >"$LAB/bad.txt"
rc=0
"$RDPDOCTOR" scan --file "$LAB/bad.txt" >"$LAB/u.out" 2>"$LAB/u.err" || rc=$?
assert_eq 64 "$rc" "usage: bad line in a file"
assert_contains "$LAB/u.err" "line 4: 'bad_host..x' is not a target"
lab_log "all scan cases passed"
