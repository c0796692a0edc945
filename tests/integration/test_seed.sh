#!/usr/bin/env bash
# walpull seed: the main job end to end. A replica seeded with a slot and a
# SCRAM password from .pgpass starts, streams through the slot, and shows a
# row inserted on the primary afterwards.
. "$(dirname "$0")/../lib/harness.sh"
major=$1

wp_pg_start pri "$major"
wp_pgpass pri
wp_case "The standby reads the same .pgpass (primary_conninfo names it)"
chown postgres "$PGPASSFILE"
wp_psql pri -c "CREATE TABLE before_seed AS SELECT g AS id FROM generate_series(1, 1000) g"
rep=$WP_TMP/replica

expect_exit 0 "$WALPULL" --slot db_rep_slot --create-slot -h 127.0.0.1 -p "$pri_PORT" -U "$WP_REPL_USER" -w -D "$rep" -R -c fast -v
expect_contains "$WP_OUT" "created replication slot \"db_rep_slot\""
[ -f "$rep/standby.signal" ] || fail "no standby.signal"
[ -f "$rep/backup_manifest" ] || fail "no backup_manifest"
[ ! -e "$rep/backup_manifest.tmp" ] || fail "temporary manifest left behind"
expect_eq "$(stat -c %a "$rep")" 700 "mode of the data directory"
conf=$(cat "$rep/postgresql.auto.conf")
expect_contains "$conf" "primary_slot_name = 'db_rep_slot'"
expect_contains "$conf" "primary_conninfo = '"
expect_contains "$conf" "user=replication_user "
case "$conf" in *"password="*) fail "a password was written without being given explicitly" ;; esac
ls "$rep/pg_wal" | grep -qE '^[0-9A-F]{24}$' || fail "no WAL streamed into pg_wal"

if [ "$major" = 15 ]; then
    "$WP_CLIENT_BIN/pg_verifybackup" -q "$rep" || fail "pg_verifybackup failed"
fi

wp_case "Start it as a standby"
wp_start_seeded rep "$rep" pri
expect_eq "$(wp_psql rep -c "SELECT pg_is_in_recovery()")" t "replica in recovery"
expect_eq "$(wp_psql rep -c "SELECT count(*) FROM before_seed")" 1000 "rows seeded"
wp_psql pri -c "CREATE TABLE after_seed (v text)" -c "INSERT INTO after_seed VALUES ('hello from the primary')"
wait_for 30 wp_caught_up rep pri
expect_eq "$(wp_psql rep -c "SELECT v FROM after_seed")" "hello from the primary" "row replicated"
expect_eq "$(wp_psql pri -c "SELECT active FROM pg_replication_slots WHERE slot_name = 'db_rep_slot'")" t "slot in use by the replica"
expect_eq "$(wp_psql pri -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" 1 "streaming replica"
