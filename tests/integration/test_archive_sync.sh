#!/usr/bin/env bash
# walpull archive --synchronous as a synchronous standby: a commit returns
# while walpull runs and waits while it is stopped.
. "$(dirname "$0")/../lib/harness.sh"
major=$1

wp_pg_start pri "$major" --wal-segsize=1
wp_pgpass pri
conn=$(wp_conn_args pri)
arch=$WP_TMP/archive
mkdir "$arch"
wp_case "The connection string's application_name is what the server sees"
wp_psql pri -c "ALTER SYSTEM SET synchronous_standby_names = 'archiver_one'" -c "SELECT pg_reload_conf()" >/dev/null
wp_psql pri -c "SET synchronous_commit = local; CREATE TABLE t (v int)"

start_walpull() {
    wp_spawn "$WALPULL" archive -D "$arch" --synchronous -d "application_name=archiver_one" $conn
    pid=${WP_PIDS[-1]}
    wait_for 30 wp_query_is pri "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'archiver_one'" sync
}

start_walpull
for i in 1 2 3; do
    timeout 20 env PGOPTIONS= "$WP_CLIENT_BIN/psql" -X -q -h "$pri_SOCK" -p "$pri_PORT" -U postgres -d postgres \
        -c "INSERT INTO t VALUES ($i)" || fail "commit $i did not return while walpull runs"
done
wp_case "The commit is durable in the archive: the flush position covers it"
lsn=$(wp_psql pri -c "SELECT pg_current_wal_lsn()")
expect_eq "$(wp_psql pri -c "SELECT flush_lsn >= '$lsn' FROM pg_stat_replication WHERE application_name = 'archiver_one'")" t "flush position after commit"

kill -INT "$pid"
wait "$pid" || fail "walpull did not exit 0 on SIGINT"
PGOPTIONS='' "$WP_CLIENT_BIN/psql" -X -q -h "$pri_SOCK" -p "$pri_PORT" -U postgres -d postgres -c "INSERT INTO t VALUES (99)" &
waiter=$!
WP_PIDS+=("$waiter")
sleep 3
kill -0 "$waiter" 2>/dev/null || fail "a commit returned while no synchronous standby ran"
start_walpull
wait_for 30 bash -c "! kill -0 $waiter 2>/dev/null"
wait "$waiter" || fail "the waiting commit failed"
expect_eq "$(wp_psql pri -c "SELECT count(*) FROM t WHERE v = 99")" 1 "the waiting commit"
