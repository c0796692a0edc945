#!/usr/bin/env bash
# walpull archive killed with SIGKILL mid-segment, then restarted: no gap,
# no byte difference. SIGINT: clean exit 0, .partial kept, final status.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"
wp_case "A slot nobody streams from keeps the primary's own segments to compare"
expect_exit 0 "$WALPULL" slot create keep $conn

wp_spawn "$WALPULL" archive -D "$arch" --slot s --create-slot -s 1 $conn
pid=${WP_PIDS[-1]}
wp_make_wal pri 2
wp_case "Half a segment more, without a switch: the next segment is partial"
wp_psql pri -c "INSERT INTO wal_filler SELECT g, repeat('y', 1000) FROM generate_series(1, 400) g"
wait_for 30 wp_walpull_written pri
partial=$(ls "$arch" | grep '\.partial$' || true)
[ -n "$partial" ] || fail "no .partial file while streaming: $(ls "$arch")"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true

wp_make_wal pri 2
endpos=$(wp_segment_floor_lsn pri $segsize)
expect_exit 0 "$WALPULL" archive -D "$arch" --slot s --endpos "$endpos" --no-loop -v $conn
expect_contains "$WP_OUT" "from the archive directory"
wp_case "Restarted at the start of the partial segment"
next=$(printf '%s' "$WP_OUT" | sed -n 's/.*starting log streaming at \([0-9A-F/]*\).*/\1/p')
expect_eq "$(wp_segname 1 "$(lsn_to_int "$next")" $segsize).partial" "$partial" "resume point"
n=$(wp_check_segments "$arch" "$pri_DATA/pg_wal" 1)
[ "$n" -ge 4 ] || fail "expected at least 4 segments, got $n"
[ -f "$arch/${partial%.partial}" ] || fail "the partial segment was not completed"
[ ! -f "$arch/$partial" ] || fail "the .partial file is still there after completion"

wp_case "SIGINT: finish, fsync, final status, exit 0, keep the .partial"
wp_spawn "$WALPULL" archive -D "$arch" --slot s -s 1 $conn
pid=${WP_PIDS[-1]}
wp_psql pri -c "INSERT INTO wal_filler SELECT g, repeat('z', 1000) FROM generate_series(1, 300) g"
wait_for 30 wp_walpull_written pri
target=$(wp_psql pri -c "SELECT pg_current_wal_lsn()")
kill -INT "$pid"
expect_wait_exit 0 "$pid" "exit code after SIGINT"
ls "$arch" | grep -q '\.partial$' || fail "no .partial kept after SIGINT"
wp_case "The final status reported the fsync'd position, beyond the last segment"
expect_eq "$(wp_psql pri -c "SELECT restart_lsn >= '$target' FROM pg_replication_slots WHERE slot_name = 's'")" t "slot position after SIGINT"
