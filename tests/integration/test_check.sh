#!/usr/bin/env bash
# walpull check against real servers provoked into each failure: the right
# line fails with the right fix and exit 1; a healthy setup exits 0.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"
expect_exit 0 "$WALPULL" slot create s $conn

# fails WHAT FIX CHECK-ARGS...: exit 1, the line for WHAT fails, the fix is there.
fails() {
    local what=$1 fix=$2
    shift 2
    expect_exit 1 "$WALPULL" check "$@"
    echo "$WP_OUT" | grep -qE "^fail  $what" || fail "no failing '$what' line: $WP_OUT"
    expect_contains "$WP_OUT" "$fix"
}

wp_case "a healthy setup: every line passes, exit 0 (text and JSON)"
expect_exit 0 "$WALPULL" check --slot s -D "$arch" $conn
for w in "replication connection" wal_level "WAL senders" "replication slot" "free space" directory; do
    echo "$WP_OUT" | grep -qE "^pass  $w" || fail "no passing '$w' line: $WP_OUT"
done
expect_exit 0 "$WALPULL" check --slot s -D "$arch" --json $conn
echo "$WP_OUT" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["ok"] and all(c["result"]=="pass" for c in o["checks"]), o' \
    || fail "JSON: $WP_OUT"

wp_case "the slot: missing, active (a warning naming the pid)"
fails "replication slot" "walpull slot create nosuch" --slot nosuch $conn
wp_spawn "$WALPULL" archive -D "$arch" --slot s $conn
wait_for 30 wp_query_is pri "SELECT active FROM pg_replication_slots WHERE slot_name = 's'" t
expect_exit 0 "$WALPULL" check --slot s $conn
expect_contains "$WP_OUT" "is active, held by the server's process"
kill -INT "${WP_PIDS[-1]}"
wait "${WP_PIDS[-1]}" || true

wp_case "the slot: invalidated (max_slot_wal_keep_size removed its WAL)"
expect_exit 0 "$WALPULL" slot create gone $conn
wp_psql pri -c "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null
for _ in 1 2 3; do wp_make_wal pri 2; done
wp_psql pri -c CHECKPOINT >/dev/null
wait_for 30 wp_query_is pri "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'gone'" lost
fails "replication slot" "is invalidated" --slot gone $conn
expect_exit 0 "$WALPULL" slot drop gone $conn
wp_psql pri -c "ALTER SYSTEM RESET max_slot_wal_keep_size" -c "SELECT pg_reload_conf()" >/dev/null

wp_case "the directory: not empty for a seed, not writable, too small"
mkdir "$WP_TMP/full_dir" && touch "$WP_TMP/full_dir/x"
fails directory "Seed into a new or empty directory" -D "$WP_TMP/full_dir" --for seed $conn
if wp_as_root; then
    mkdir "$WP_TMP/ro" && chmod 755 "$WP_TMP/ro"
    expect_exit 1 runuser -u postgres -- env PGPASSFILE="$PGPASSFILE" "$WALPULL" check -D "$WP_TMP/ro" $conn
    expect_contains "$WP_OUT" "is not writable"
    small=$WP_TMP/small
    mkdir "$small"
    mount -t tmpfs -o size=1M tmpfs "$small"
    wp_on_exit "umount '$small'"
    fails "free space" "Free space" -D "$small" --for seed $conn
fi

wp_case "a wrong password: where the password was looked for"
echo "127.0.0.1:${pri_PORT}:*:$WP_REPL_USER:wrong" >"$WP_TMP/badpass"
chmod 600 "$WP_TMP/badpass"
PGPASSFILE=$WP_TMP/badpass fails "replication connection" "$WP_TMP/badpass (PGPASSFILE)" $conn

wp_case "a role without REPLICATION: the ALTER ROLE"
wp_psql pri -c "CREATE ROLE norepl LOGIN PASSWORD 'pw'"
echo "127.0.0.1:${pri_PORT}:*:norepl:pw" >>"$PGPASSFILE"
fails "replication connection" "ALTER ROLE" -h 127.0.0.1 -p "$pri_PORT" -U norepl -w

wp_case "no free WAL sender for a seed"
wp_psql pri -c "ALTER SYSTEM SET max_wal_senders = 1" >/dev/null
wp_pg_ctl pri restart fast
fails "WAL senders" "Raise max_wal_senders" --for seed $conn

wp_case "wal_level = minimal and max_wal_senders = 0: both named, with the order to fix them"
# (a server with a replication slot will not start with wal_level = minimal)
expect_exit 0 "$WALPULL" slot drop s $conn
wp_psql pri -c "ALTER SYSTEM SET wal_level = minimal" -c "ALTER SYSTEM SET max_wal_senders = 0" >/dev/null
wp_pg_ctl pri restart fast
fails wal_level "Set wal_level = replica" $conn
echo "$WP_OUT" | grep -qE "^fail  WAL senders" || fail "max_wal_senders = 0 not named: $WP_OUT"
expect_contains "$WP_OUT" "it needs wal_level = replica"
wp_psql pri -c "ALTER SYSTEM RESET wal_level" -c "ALTER SYSTEM RESET max_wal_senders" >/dev/null
wp_pg_ctl pri restart fast

wp_case "no pg_hba.conf line for replication: the line to add"
as_pg sed -i 's/^host replication all.*$//' "$pri_DATA/pg_hba.conf"
wp_psql pri -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
fails "replication connection" 'Add "host replication replication_user 127.0.0.1/32 scram-sha-256"' $conn
