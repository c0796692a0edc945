#!/usr/bin/env bash
# The archiver's reconnect policy against a real server: a wrong port at
# the start stops at once (or waits, with --wait-for-server); once
# streaming has worked, a primary restart whose only WAL sender another
# client takes first is waited out, and the archive continues with no gap.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"

wp_case "a port nobody listens on, at the start: exit 1 at once, with the hint"
t0=$SECONDS
expect_exit 1 timeout 30 "$WALPULL" archive -D "$arch" -h 127.0.0.1 -p "$(wp_free_port)" -U "$WP_REPL_USER" -w
expect_contains "$WP_OUT" "could not connect to the server"
expect_contains "$WP_OUT" "--wait-for-server"
[ $((SECONDS - t0)) -lt 10 ] || fail "took $((SECONDS - t0)) s to give up"

wp_case "a host that does not resolve, or a wrong password, at the start: exit 1 at once, with the hint"
t0=$SECONDS
expect_exit 1 timeout 30 "$WALPULL" archive -D "$arch" -h nosuch.invalid -U "$WP_REPL_USER" -w
expect_contains "$WP_OUT" "nosuch.invalid"
echo "127.0.0.1:${pri_PORT}:*:$WP_REPL_USER:wrong" >"$WP_TMP/badpass"
chmod 600 "$WP_TMP/badpass"
PGPASSFILE=$WP_TMP/badpass expect_exit 1 timeout 30 "$WALPULL" archive -D "$arch" $conn
expect_contains "$WP_OUT" "password authentication failed"
expect_contains "$WP_OUT" "PGPASSFILE"
[ $((SECONDS - t0)) -lt 20 ] || fail "took $((SECONDS - t0)) s to give up"

wp_case "--wait-for-server: waits for a server that comes up later, then streams"
wp_pg_ctl pri stop fast
log=$WP_TMP/wait.log
wp_spawn "$WALPULL" archive -D "$arch" --slot arch --create-slot --if-not-exists --wait-for-server -s 1 -v $conn 2>"$log"
apid=${WP_PIDS[-1]}
sleep 3
kill -0 "$apid" || fail "walpull gave up: $(cat "$log")"
wp_pg_ctl pri start
wait_for 60 wp_query_is pri "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walpull'" 1
expect_contains "$(cat "$log")" "retrying in"

wp_case "the only WAL sender taken by another client after a restart: retried until free, no gap"
wp_psql pri -c "ALTER SYSTEM SET max_wal_senders = 1" >/dev/null
wp_make_wal pri 2
wait_for 30 wp_walpull_caught_up pri
kill -STOP "$apid"
wp_pg_ctl pri restart fast
other=$WP_TMP/other
mkdir "$other"
wp_spawn "$WALPULL" archive -D "$other" $conn
opid=${WP_PIDS[-1]}
wait_for 30 wp_query_is pri "SELECT count(*) FROM pg_stat_replication" 1
kill -CONT "$apid"
wait_for 30 grep -q "max_wal_senders" "$log"
sleep 2
kill -0 "$apid" || fail "walpull stopped on a taken WAL sender: $(tail -5 "$log")"
kill -INT "$opid"
wait "$opid" || true
wp_make_wal pri 2
wait_for 60 wp_walpull_caught_up pri
kill -INT "$apid"
expect_wait_exit 0 "$apid" "archiver exit on SIGINT"
expect_exit 0 "$WALPULL" verify -D "$arch"
expect_contains "$WP_OUT" "no problems found"

wp_case "a full disk once streaming worked: retried, and resumed with no gap once space comes back"
if wp_as_root; then
    full=$WP_TMP/full
    mkdir "$full"
    mount -t tmpfs -o size=3M tmpfs "$full"
    wp_on_exit "umount '$full'"
    wp_psql pri -c "ALTER SYSTEM SET max_wal_senders = 10" >/dev/null
    wp_pg_ctl pri restart fast
    flog=$WP_TMP/full.log
    wp_spawn "$WALPULL" archive -D "$full" --slot fs --create-slot -s 1 $conn 2>"$flog"
    fpid=${WP_PIDS[-1]}
    wait_for 30 wp_query_is pri "SELECT active FROM pg_replication_slots WHERE slot_name = 'fs'" t
    wp_make_wal pri 5
    wait_for 60 grep -q "No space left on device" "$flog"
    sleep 2
    kill -0 "$fpid" || fail "the archiver stopped on a full disk: $(tail -3 "$flog")"
    expect_contains "$(cat "$flog")" "retrying in"
    mount -o remount,size=64M "$full"
    wait_for 90 wp_walpull_caught_up pri
    kill -INT "$fpid"
    expect_wait_exit 0 "$fpid" "archiver exit on SIGINT after the disk filled and emptied"
    expect_exit 0 "$WALPULL" verify -D "$full"
    expect_contains "$WP_OUT" "no problems found"
fi

wp_case "failover to a standby that was behind the archive: a clear error and what to do"
wp_pg_standby lag pri
wp_pgpass lag
wp_pg_ctl lag stop fast
fo=$WP_TMP/failover
mkdir "$fo"
expect_exit 0 "$WALPULL" slot create fo $conn
wp_make_wal pri 3
endpos=$(wp_segment_floor_lsn pri $segsize)
expect_exit 0 "$WALPULL" archive -D "$fo" --slot fo --endpos "$endpos" --no-loop $conn
# The primary is gone; the standby, behind the archive, is promoted.
wp_pg_ctl pri stop fast
wp_pg_ctl lag start
wp_pg_ctl lag promote
wait_for 30 wp_query_is lag "SELECT pg_is_in_recovery()" f
# shellcheck disable=SC2046 # the connection arguments are words
expect_exit 1 "$WALPULL" archive -D "$fo" --no-loop $(wp_conn_args lag)
case "$WP_OUT" in
*"not in this server's history"* | *"ahead of the WAL flush position"*) ;;
*) fail "not the server's refusal of a history it never had: $WP_OUT" ;;
esac
expect_contains "$WP_OUT" "into a new directory"
