#!/usr/bin/env bash
# walpull archive as a long-running service: one-line, timestamped log
# lines (or JSON), a log file reopened on SIGHUP (which never kills), a
# line per finished segment at -v, a metrics file in the Prometheus text
# format that moves as WAL flows, and group-readable files in a 0750
# directory.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"
chmod 750 "$arch"

# Prometheus text format, strictly: HELP and TYPE before each sample,
# names and numbers only.
check_metrics() {
    python3 - "$1" <<'PY'
import re, sys
seen_type = {}
names = set()
for n, line in enumerate(open(sys.argv[1]).read().splitlines(), 1):
    m = re.fullmatch(r"# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)", line)
    if m:
        if m.group(1) == "TYPE":
            assert m.group(3) in ("gauge", "counter"), line
            seen_type[m.group(2)] = m.group(3)
        continue
    m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*) (-?[0-9]+(\.[0-9]+)?)", line)
    assert m, "line %d is not a sample: %r" % (n, line)
    assert m.group(1) in seen_type, "no TYPE for " + m.group(1)
    assert m.group(1) not in names, "sample twice: " + m.group(1)
    names.add(m.group(1))
    if seen_type[m.group(1)] == "counter":
        assert m.group(1).endswith("_total"), m.group(1)
assert "walpull_received_bytes_total" in names and "walpull_lag_bytes" in names
PY
}
metric() { sed -n "s/^$1 //p" "$2"; }

wp_case "a log file with one timestamped line per message, a line per finished segment at -v, metrics that parse"
log=$WP_TMP/walpull.log
metrics=$WP_TMP/walpull.prom
wp_spawn "$WALPULL" archive -D "$arch" --slot arch --create-slot -s 1 -v --log-file "$log" --metrics-file "$metrics" $conn
apid=${WP_PIDS[-1]}
wp_make_wal pri 3
wait_for 30 wp_walpull_caught_up pri
wait_for 10 grep -q "finished segment" "$log"
grep -qvE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ UTC walpull: (info|warning|error|debug|hint): ' "$log" \
    && fail "a log line without a timestamp or in pieces: $(grep -vE '^[0-9]{4}-' "$log" | head -3)"
wait_for 10 test -s "$metrics"
check_metrics "$metrics" || fail "the metrics file does not parse: $(cat "$metrics")"
before=$(metric walpull_received_bytes_total "$metrics")
expect_eq "$(metric walpull_up "$metrics")" 1 "walpull_up"

wp_case "metrics move as WAL flows"
wp_make_wal pri 2
wait_for 30 wp_walpull_caught_up pri
sleep 1.5
check_metrics "$metrics" || fail "the metrics file does not parse after more WAL"
after=$(metric walpull_received_bytes_total "$metrics")
[ "$after" -gt "$before" ] || fail "walpull_received_bytes_total did not move: $before -> $after"
[ "$(metric walpull_segments_total "$metrics")" -ge 2 ] || fail "segments_total: $(cat "$metrics")"

wp_case "SIGHUP reopens a rotated log file and never stops the archiver"
mv "$log" "$log.1"
kill -HUP "$apid"
wp_make_wal pri 1
wait_for 30 test -s "$log"
kill -0 "$apid" || fail "SIGHUP stopped the archiver"
wait_for 10 grep -q "log file reopened" "$log"

wp_case "files in a 0750 directory are group-readable (a restore as another user of the group)"
seg=$(wp_complete_segments "$arch" | head -1)
expect_eq "$(stat -c %a "$arch/$seg")" 640 "mode of $seg"
kill -INT "$apid"
expect_wait_exit 0 "$apid" "archiver exit on SIGINT"

wp_case "JSON log lines: one object each; libpq's multi-line messages arrive as one line"
expect_exit 1 "$WALPULL" archive -D "$arch" --log-format=json -h 127.0.0.1 -p "$(wp_free_port)" -U x -w
echo "$WP_OUT" | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert lines, "no output"
for l in lines:
    o = json.loads(l)
    assert o["level"] and o["message"] and o["time"], l
    assert "\n" not in o["message"] and "\t" not in o["message"], l
' || fail "not one JSON object per line: $WP_OUT"
expect_exit 1 "$WALPULL" archive -D "$arch" -h 127.0.0.1 -p "$(wp_free_port)" -U x -w
expect_eq "$(echo "$WP_OUT" | wc -l)" 2 "lines for a refused connection (error and hint)"
