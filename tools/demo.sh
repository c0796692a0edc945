#!/usr/bin/env bash
# The README's first command: the classic primary + replica set-up, with
# walpull doing the seeding. Runs the set-up itself where anything is
# missing, so it works alone on a fresh machine.
#   tools/demo.sh [--keep]    --keep leaves both servers running
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=0
[ "${1:-}" = --keep ] && keep=1
bash "$root/tools/setup.sh"

WP_PORT=54321
. "$root/tests/lib/harness.sh"
step() { printf '\n== %s\n' "$*"; }

for p in 54321 54322; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        echo "demo: port $p on 127.0.0.1 is in use; stop what listens there first" >&2
        exit 1
    fi
done

step "1. a throwaway PostgreSQL 15 primary on 127.0.0.1:54321 (wal_level=replica)"
wp_pg_start primary 15
echo "data directory: $primary_DATA"

step "2. replication user \"$WP_REPL_USER\" (LOGIN REPLICATION, SCRAM password), password kept in .pgpass"
wp_pgpass primary
chown postgres "$PGPASSFILE" # the replica's walreceiver reads it too
echo "PGPASSFILE=$PGPASSFILE"
sed "s/:[^:]*$/:********/" "$PGPASSFILE"

step "3. pg_hba.conf on the primary lets it connect for replication with that password"
grep -v '^#' "$primary_DATA/pg_hba.conf" | grep .

step "4. physical replication slot db_rep_slot"
conn=(-h 127.0.0.1 -p 54321 -U "$WP_REPL_USER" -w)
echo "+ walpull slot create db_rep_slot ${conn[*]}"
"$WALPULL" slot create db_rep_slot "${conn[@]}"

replica=$WP_TMP/replica
step "5. seed the replica with walpull"
echo "+ walpull --slot db_rep_slot ${conn[*]} -D $replica -R -P"
"$WALPULL" --slot db_rep_slot "${conn[@]}" -D "$replica" -R -P
echo "standby configuration written:"
grep -A2 'walpull' "$replica/postgresql.auto.conf" | sed 's/^/    /'
ls "$replica/standby.signal"

step "6. start the replica on 127.0.0.1:54322"
WP_PORT=54322
wp_start_seeded replica "$replica" primary
echo "replica in recovery: $(wp_psql replica -c 'SELECT pg_is_in_recovery()')"

step "7. create a table and insert a row on the primary"
wp_psql primary -c "CREATE TABLE demo (id int PRIMARY KEY, note text)" \
    -c "INSERT INTO demo VALUES (1, 'written on the primary at ' || now())"
echo "primary: $(wp_psql primary -c 'SELECT * FROM demo')"

step "8. read it back from the replica"
wait_for 30 wp_caught_up replica primary
echo "replica: $(wp_psql replica -c 'SELECT * FROM demo')"

step "9. the primary's pg_stat_replication row for the replica"
wp_psql primary -P pager=off -A -F ' | ' -c "\\x on" \
    -c "SELECT application_name, client_addr, state, sync_state, sent_lsn, replay_lsn FROM pg_stat_replication"
wp_psql primary -c "SELECT slot_name, active, restart_lsn FROM pg_replication_slots"

if [ $keep = 1 ]; then
    trap - EXIT
    step "kept. Stop them with:"
    echo "  runuser -u postgres -- $replica_BIN/pg_ctl -D $replica stop"
    echo "  runuser -u postgres -- $primary_BIN/pg_ctl -D $primary_DATA stop"
    echo "  rm -rf $WP_TMP"
else
    step "done: stopping both servers and removing $WP_TMP (use --keep to keep them)"
fi
