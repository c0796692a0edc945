#!/usr/bin/env bash
# Running an archive: one archiver per directory, status with its
# monitoring exit codes, expire in every file form, and what a crash keeps
# when WAL only trickles in.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"
expect_exit 0 "$WALPULL" slot create arch $conn

wp_case "a second archiver on a locked directory is refused, naming the first one's pid"
wp_spawn "$WALPULL" archive -D "$arch" --slot arch -s 1 $conn
apid=${WP_PIDS[-1]}
wait_for 30 wp_query_is pri "SELECT active FROM pg_replication_slots WHERE slot_name = 'arch'" t
expect_exit 1 "$WALPULL" archive -D "$arch" $conn
expect_contains "$WP_OUT" "is in use by another walpull archive (pid $apid)"

wp_case "status: OK while the archiver runs and keeps up (exit 0), with the slot's state"
wp_make_wal pri 6
wait_for 30 wp_walpull_caught_up pri
expect_exit 0 "$WALPULL" status -D "$arch" --slot arch --warn-lag=64MB --crit-lag=1GB $conn
expect_contains "$WP_OUT" "archiver: running (pid $apid)"
expect_contains "$WP_OUT" "slot: active"
expect_exit 0 "$WALPULL" status -D "$arch" --json $conn
expect_contains "$WP_OUT" '"status": "OK"'
expect_contains "$WP_OUT" "\"pid\": $apid"

wp_case "WAL trickling in: a kill -9 keeps everything written more than a status interval before it"
wp_psql pri -c "CREATE TABLE trickle (id int)"
for i in 1 2 3 4 5; do
    wp_psql pri -c "INSERT INTO trickle VALUES ($i)"
    sleep 1
done
before=$(wp_psql pri -c "SELECT pg_current_wal_insert_lsn()")
sleep 2.5
kill -9 "$apid"
wait "$apid" 2>/dev/null || true
expect_exit 0 "$WALPULL" verify -D "$arch" --json
end=$(echo "$WP_OUT" | sed -n 's/.*"end_lsn": "\([0-9A-F/]*\)".*/\1/p')
# The insert position is the next record's (8-byte aligned) start.
[ $(( ($(lsn_to_int "$end") + 7) / 8 * 8 )) -ge "$(lsn_to_int "$before")" ] \
    || fail "the archive ends at $end, before $before (written 2.5 s before the kill, status interval 1 s)"
restart=$(wp_psql pri -c "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'arch'")
[ "$(lsn_to_int "$restart")" -le $(( ($(lsn_to_int "$end") + 7) / 8 * 8 )) ] \
    || fail "the slot's restart_lsn $restart is past what the archive holds ($end)"

wp_case "status: WARNING without an archiver (exit 1), CRITICAL past --crit-lag (exit 2), UNKNOWN without the directory (exit 3)"
expect_exit 1 "$WALPULL" status -D "$arch"
expect_contains "$WP_OUT" "WARNING: no archiver is running"
wp_make_wal pri 2
expect_exit 2 "$WALPULL" status -D "$arch" --crit-lag=1MB $conn
expect_contains "$WP_OUT" "CRITICAL: lag"
expect_exit 3 "$WALPULL" status -D "$WP_TMP/nowhere"
expect_contains "$WP_OUT" "UNKNOWN"

wp_case "expire: dry run, then for real, on all four forms; history files stay"
ex=$WP_TMP/expire
mkdir "$ex"
mapfile -t segs < <(wp_complete_segments "$arch")
cp "$arch/${segs[0]}" "$ex/${segs[0]}"
gzip -c "$arch/${segs[1]}" >"$ex/${segs[1]}.gz"
cp "$arch/${segs[2]}" "$ex/${segs[2]}.partial"
gzip -c "$arch/${segs[3]}" >"$ex/${segs[3]}.gz.partial"
cp "$arch/${segs[4]}" "$ex/${segs[4]}"
printf '1\t0/3000000\tno recovery target specified\n' >"$ex/00000002.history"
expect_exit 0 "$WALPULL" expire -D "$ex" --before "${segs[4]}" --dry-run
expect_contains "$WP_OUT" "would remove 4 files"
[ "$(ls "$ex" | wc -l)" = 6 ] || fail "--dry-run removed something: $(ls "$ex")"
expect_exit 0 "$WALPULL" expire -D "$ex" --before "${segs[4]}"
expect_contains "$WP_OUT" "removed ${segs[1]}.gz"
expect_contains "$WP_OUT" "removed ${segs[3]}.gz.partial"
expect_eq "$(ls "$ex" | LC_ALL=C sort | tr '\n' ' ')" "${segs[4]} 00000002.history " "files left after expire"

wp_case "expire refuses to pass the archiver's durable position, and takes a backup_label"
mapfile -t segs < <(wp_complete_segments "$arch")
printf 'pid=1\ntimeline=1\nwritten_lsn=0/0\ndurable_lsn=0/0\nserver_end_lsn=0/0\nupdated=0\nprogressed=0\n' >"$WP_TMP/state"
cp "$arch/walpull.state" "$WP_TMP/state.real"
cp "$WP_TMP/state" "$arch/walpull.state"
expect_exit 1 "$WALPULL" expire -D "$arch" --before "${segs[2]}"
expect_contains "$WP_OUT" "refusing to remove WAL past the archiver's durable position 0/00000000"
cp "$WP_TMP/state.real" "$arch/walpull.state"
s2=${segs[2]}
printf 'START WAL LOCATION: %X/%X (file %s)\nCHECKPOINT LOCATION: 0/0\n' \
    $((16#${s2:8:8})) $(( 16#${s2:16:8} * segsize )) "$s2" >"$WP_TMP/backup_label"
expect_exit 0 "$WALPULL" expire -D "$arch" --before "$WP_TMP/backup_label"
expect_contains "$WP_OUT" "removed 2 files"
[ "$(wp_complete_segments "$arch" | head -1)" = "$s2" ] || fail "expire by backup_label kept the wrong oldest segment"
expect_exit 0 "$WALPULL" verify -D "$arch"
