#!/usr/bin/env bash
# walpull seed failures: a clear error, exit 1, and nothing left behind.
. "$(dirname "$0")/../lib/harness.sh"
major=$1

wp_pg_start pri "$major"
wp_pgpass pri
conn=$(wp_conn_args pri)

wp_case "Non-empty directory: refused, and left as it was"
full=$WP_TMP/full
mkdir "$full"
echo keep >"$full/precious"
expect_exit 1 "$WALPULL" -D "$full" $conn
expect_contains "$WP_OUT" "directory \"$full\" exists but is not empty"
expect_eq "$(cat "$full/precious")" keep "file in a refused directory"

wp_case "Slot missing without --create-slot"
expect_exit 1 "$WALPULL" -D "$WP_TMP/r1" --slot nosuch $conn
expect_contains "$WP_OUT" 'replication slot "nosuch" does not exist'
expect_contains "$WP_OUT" "--create-slot"
[ ! -e "$WP_TMP/r1" ] || fail "directory left behind after a missing slot"

wp_case "Wrong password"
echo "127.0.0.1:${pri_PORT}:*:$WP_REPL_USER:wrong" >"$WP_TMP/badpass"
chmod 600 "$WP_TMP/badpass"
expect_exit 1 env PGPASSFILE="$WP_TMP/badpass" "$WALPULL" -D "$WP_TMP/r2" $conn
expect_contains "$WP_OUT" "password authentication failed"
[ ! -e "$WP_TMP/r2" ] || fail "directory left behind after a wrong password"

wp_case "Usage errors"
expect_exit 2 "$WALPULL" -D "$WP_TMP/r3" -X sideways $conn
expect_contains "$WP_OUT" 'invalid value "sideways" for option -X: use stream, fetch or none'
expect_exit 2 "$WALPULL" -D "$WP_TMP/r3" -T relative=/x $conn
expect_contains "$WP_OUT" "must be absolute paths"

wp_case "A seed killed with SIGKILL half-way can never be started: pg_control comes last"
wp_psql pri -c "CREATE TABLE bulk AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 100000) g"
half=$WP_TMP/half
"$WALPULL" -D "$half" -r 1M -c fast $conn >"$WP_TMP/half.log" 2>&1 &
pid=$!
WP_PIDS+=("$pid")
wait_for 30 test -d "$half/base"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
[ -f "$half/PG_VERSION" ] || fail "nothing was extracted before the kill"
[ ! -e "$half/global/pg_control" ] || fail "a half-finished seed has global/pg_control"
chown -R postgres: "$half"
if as_pg "$pri_BIN/pg_ctl" -D "$half" -l "$WP_TMP/half-start.log" -w -t 30 \
    -o "-p $(wp_free_port) -c listen_addresses=''" start >/dev/null 2>&1; then
    as_pg "$pri_BIN/pg_ctl" -D "$half" -m immediate stop >/dev/null 2>&1 || true
    fail "the server started on a half-finished seed"
fi
expect_contains "$(cat "$WP_TMP/half-start.log")" "pg_control"

wp_case "Primary stopped in the middle of a (rate-limited) backup, into an empty directory that existed before: its contents go, the directory stays"
mid=$WP_TMP/mid
mkdir "$mid"
"$WALPULL" -D "$mid" --slot s --create-slot -r 1M -c fast $conn >"$WP_TMP/mid.log" 2>&1 &
pid=$!
WP_PIDS+=("$pid")
wait_for 30 test -d "$mid/base"
wp_pg_ctl pri stop immediate
expect_wait_exit 1 "$pid" "exit code when the primary stops mid-backup"
msg=$(cat "$WP_TMP/mid.log")
expect_contains "$msg" "walpull: error:"
expect_contains "$msg" "removing contents of data directory \"$mid\""
expect_contains "$msg" 'replication slot "s" created for this seed is still on the server'
expect_contains "$msg" "walpull slot drop s"
[ -d "$mid" ] || fail "the pre-existing directory was removed"
expect_eq "$(ls -A "$mid")" "" "contents left after a failed backup"
