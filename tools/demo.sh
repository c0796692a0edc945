#!/usr/bin/env bash
# The README's first command: set up where anything is missing, start a
# throwaway PostgreSQL primary on 127.0.0.1:54321 with a replication user
# whose password lives in a .pgpass file, and run walpull against it.
#   tools/demo.sh [--keep]    --keep leaves the primary running
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=0
[ "${1:-}" = --keep ] && keep=1
bash "$root/tools/setup.sh"

WP_PORT=54321
. "$root/tests/lib/harness.sh"
step() { printf '\n== %s\n' "$*"; }

step "starting a throwaway PostgreSQL 15 primary on 127.0.0.1:$WP_PORT"
wp_pg_start primary 15
echo "data directory: $primary_DATA"
step "replication user \"$WP_REPL_USER\" created; its password is in $WP_TMP/pgpass"
wp_pgpass primary
cat "$primary_DATA/pg_hba.conf" | grep replication
conn=(-h 127.0.0.1 -p "$WP_PORT" -U "$WP_REPL_USER" -w)

step "walpull identify ${conn[*]}"
"$WALPULL" identify "${conn[@]}"

step "walpull slot create db_rep_slot ${conn[*]}"
"$WALPULL" slot create db_rep_slot "${conn[@]}"
"$WALPULL" slot read db_rep_slot "${conn[@]}"

if [ $keep = 1 ]; then
    trap - EXIT
    step "kept: stop the primary with: runuser -u postgres -- $primary_BIN/pg_ctl -D $primary_DATA stop"
else
    step "stopping the primary and removing $WP_TMP"
fi
