#!/usr/bin/env bash
# Barman (Debian 12's 3.4) on top of walpull's drop-in front ends: its
# streaming archiver runs "pg_receivewal" and backup_method = postgres runs
# "pg_basebackup", both found through path_prefix in a directory of
# symlinks to $WALPULL (argv[0] picks the front end). Check, backup, WAL
# archived after the backup, local recovery with every row, clean stop.
# WP_BARMAN_TOOLS=stock links Debian's PostgreSQL 15 tools instead (they
# refuse newer servers, so that mode only passes on 15).
. "$(dirname "$0")/../lib/harness.sh"
major=$1
srv=pg
stock=/usr/lib/postgresql/15/bin

wp_case "barman is installed"
if ! command -v barman >/dev/null; then
    wp_as_root || exit 0
    # No recommends: they would pull in (and try to start) an ssh server.
    install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends barman)
    "${install[@]}" >"$WP_TMP/apt.log" 2>&1 \
        || { apt-get update -q >>"$WP_TMP/apt.log" 2>&1 && "${install[@]}" >>"$WP_TMP/apt.log" 2>&1; } \
        || fail "apt-get install barman: $(tail -5 "$WP_TMP/apt.log")"
fi
# The set-up is no part of that case: a failure there is reported as set-up.
wp_case_close ok

wp_pg_start pri "$major"
# Barman's own SQL connection wants a superuser (or the backup privileges);
# its pg_receivewal and pg_basebackup use the harness's replication-only role.
barman_pw=barman-$RANDOM-$RANDOM
wp_psql pri -c "CREATE ROLE barman LOGIN SUPERUSER PASSWORD '$barman_pw'" \
    -c "CREATE TABLE t (id int PRIMARY KEY, phase text)" \
    -c "INSERT INTO t SELECT g, 'before' FROM generate_series(1, 100) g"
# The rows each recovery must have: phase|count|max(id), phase by phase.
rows_expected=$'before|100|100\nstopped|25|125\nafter|25|150'

# Barman drops privileges to barman_user itself when started as root, so it
# runs as the server's owner: it writes its home and the recovered data
# directory as that user, and the pid we spawn is Barman's own (no runuser).
bdir=$WP_TMP/barman
buser=$(as_pg id -un)
tools=$bdir/tools
as_pg mkdir -p "$bdir/home" "$bdir/lock" "$tools"
if [ "${WP_BARMAN_TOOLS:-}" = stock ]; then
    as_pg ln -s "$stock/pg_receivewal" "$stock/pg_basebackup" "$tools/"
else
    as_pg ln -s "$WALPULL" "$tools/pg_receivewal"
    as_pg ln -s "$WALPULL" "$tools/pg_basebackup"
fi
# libpq (psycopg2 and the tools) finds both passwords here; the file must be
# the barman user's own.
as_pg tee "$bdir/pgpass" >/dev/null <<PASS
127.0.0.1:$pri_PORT:*:barman:$barman_pw
127.0.0.1:$pri_PORT:*:$WP_REPL_USER:$WP_REPL_PASSWORD
PASS
as_pg chmod 600 "$bdir/pgpass"
export PGPASSFILE=$bdir/pgpass
conf=$bdir/barman.conf
# immediate_checkpoint: otherwise the backup waits for a spread checkpoint.
# archiver = off: WAL comes only from the streaming archiver.
cat >"$conf" <<CONF
[barman]
barman_user = $buser
barman_home = $bdir/home
barman_lock_directory = $bdir/lock
log_file = $bdir/barman.log
log_level = DEBUG

[$srv]
description = walpull test server
conninfo = host=127.0.0.1 port=$pri_PORT user=barman dbname=postgres
streaming_conninfo = host=127.0.0.1 port=$pri_PORT user=$WP_REPL_USER
backup_method = postgres
streaming_archiver = on
archiver = off
slot_name = barman
create_slot = auto
immediate_checkpoint = true
path_prefix = $tools
CONF
chmod 644 "$conf"

bar=(barman -c "$conf")

# slot_active [PID]: wait until Barman's slot streams (while PID, the
# receive-wal process if known, lives); shows Barman's log otherwise.
slot_active() {
    local pid=${1:-} i
    for ((i = 0; i < 300; i++)); do
        wp_query_is pri "SELECT active FROM pg_replication_slots WHERE slot_name = 'barman'" t && return 0
        [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    fail "slot barman not active; barman log: $(grep -v DEBUG "$bdir/barman.log" | tail -20)"
}
slot_inactive() { wp_query_is pri "SELECT active FROM pg_replication_slots WHERE slot_name = 'barman'" f; }
no_receivewal() { ! pgrep -f "$tools/pg_receivewal" >/dev/null; }

# barman_nudged PATTERN ARGS...: barman ARGS, which waits (after printing
# PATTERN) for a segment to reach Barman's archive, exits 0. Barman keeps the
# newest complete segment in streaming/ until a .partial follows it, and a
# backup can end right at a segment start: on an idle server either wait
# lasts until the next write (every 15 s) or forever. So write, switch and
# write again once barman waits.
waiting() { grep -q "$pattern" "$out" || ! kill -0 "$pid" 2>/dev/null; }
barman_nudged() {
    local pattern=$1 out=$bdir/nudged.out pid rc=0
    shift
    wp_spawn "${bar[@]}" "$@" >"$out" 2>&1
    pid=${WP_PIDS[-1]}
    wait_for 60 waiting
    wp_psql pri -c "SELECT pg_current_xact_id()" -c "SELECT pg_switch_wal()" \
        -c "SELECT pg_current_xact_id()" >/dev/null
    wait "$pid" || rc=$?
    expect_eq "$rc" 0 "exit code of barman $* (output: $(cat "$out"))"
}
switch_wal_archived() {
    barman_nudged "has been closed" switch-wal --force --archive --archive-timeout 60 "$srv"
}

# check_ok: barman check exits 0 with no FAILED line.
check_ok() {
    expect_exit 0 "${bar[@]}" check "$srv"
    case "$WP_OUT" in *FAILED*) fail "barman check: $WP_OUT" ;; esac
}

# Barman takes the first pg_receivewal/pg_basebackup in path_prefix:$PATH
# whose --version exits 0 and skips the others silently: a front end that
# fails there would leave Debian's /usr/bin wrappers doing the work.
wp_case "Barman picks both tools from path_prefix"
expect_exit 0 "${bar[@]}" show-server "$srv"
expect_eq "$(sed -n 's/^\t*pg_\(receivexlog\|basebackup\)_path: //p' <<<"$WP_OUT")" \
    "$(printf '%s\n' "$tools/pg_basebackup" "$tools/pg_receivewal")" "tool paths in barman show-server"

# Barman parses "NAME (PostgreSQL) X.Y ..." from --version and wants X >= the
# server's major.
wp_case "Barman accepts both tools' versions for a PostgreSQL $major server"
expect_eq "$(grep -E '^\s*pg_(receivexlog|basebackup)_compatible:' <<<"$WP_OUT" | tr -d '\t')" \
    "$(printf 'pg_basebackup_compatible: True\npg_receivexlog_compatible: True')" \
    "Barman's verdict on $(grep -E '^\s*pg_(receivexlog|basebackup)_version:' <<<"$WP_OUT" | tr -d '\t' | paste -sd ' ')"

# Started in the background by a script, Barman (and so pg_receivewal) gets
# SIGINT ignored; --stop's SIGINT is then only forwarded, and Barman waits for
# pg_receivewal and reports its exit code.
wp_case "barman receive-wal & creates the slot and streams through it"
wp_spawn "${bar[@]}" receive-wal "$srv" >"$bdir/receive-wal.out" 2>&1
rpid=${WP_PIDS[-1]}
# If a case fails: SIGINT to Barman, which forwards it to pg_receivewal.
wp_on_exit "barman -c $conf receive-wal --stop $srv >/dev/null"
slot_active "$rpid"

wp_case "switch-wal --force --archive: the closed segment reaches Barman's archive"
switch_wal_archived

# pg_receivewal reports its start position as flushed as soon as it streams:
# a physical slot has no restart_lsn until a first report, and barman check
# fails the slot meanwhile ("not initialised").
wp_case "the slot has a restart_lsn once a segment is archived"
expect_eq "$(wp_psql pri -c "SELECT restart_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = 'barman'")" t \
    "slot barman has a restart_lsn"

wp_case "barman check: every check OK"
check_ok

wp_case "barman backup (postgres method) is DONE"
barman_nudged "Waiting for the WAL file" backup --wait --wait-timeout 60 "$srv"
expect_exit 0 "${bar[@]}" show-backup "$srv" latest
expect_eq "$(sed -n 's/^ *Status *: *//p' <<<"$WP_OUT")" DONE "backup status"

wp_case "receive-wal --stop: pg_receivewal exits 0 on the SIGINT Barman forwards"
expect_exit 0 "${bar[@]}" receive-wal --stop "$srv"
expect_wait_exit 0 "$rpid" "barman receive-wal exit code"
if grep -q terminated "$bdir/receive-wal.out"; then fail "receive-wal: $(cat "$bdir/receive-wal.out")"; fi
wait_for 30 slot_inactive

# Written while nothing streams: only the slot keeps this WAL.
wp_psql pri -c "INSERT INTO t SELECT g, 'stopped' FROM generate_series(101, 125) g"

# barman cron starts receive-wal as its own session with SIGINT at its
# default, as from the cron daemon: --stop's SIGINT then ends Barman at once
# and pg_receivewal, forwarded the signal, exits with nobody reading its
# output.
wp_case "barman cron restarts receive-wal, which resumes from its directory"
expect_exit 0 env --default-signal=INT "${bar[@]}" cron
slot_active
check_ok

wp_case "WAL written after the restart is archived"
wp_psql pri -c "INSERT INTO t SELECT g, 'after' FROM generate_series(126, 150) g"
switch_wal_archived

wp_case "barman recover: the recovered server has every row, before and after the backup"
rec=$WP_TMP/rec
expect_exit 0 "${bar[@]}" recover "$srv" latest "$rec"
# The backup carries pri's port and socket: wp_start_seeded appends its own.
wp_start_seeded rec "$rec" pri
wait_for 60 wp_query_is rec "SELECT pg_is_in_recovery()" f
expect_eq "$(wp_psql rec -c "SELECT phase, count(*), max(id) FROM t GROUP BY phase ORDER BY min(id)")" \
    "$rows_expected" "rows in the recovered server"
wp_pg_ctl rec stop

wp_case "receive-wal --stop ends the archiver barman cron started"
expect_exit 0 "${bar[@]}" receive-wal --stop "$srv"
wait_for 30 no_receivewal
wait_for 30 slot_inactive
if grep -q "pg_receivewal terminated" "$bdir/barman.log"; then
    fail "$(grep "pg_receivewal terminated" "$bdir/barman.log")"
fi

wp_case "nothing but WAL in the streaming directory (Barman moves anything else to errors/)"
expect_eq "$(ls -A "$bdir/home/$srv/errors")" "" "files Barman found unexpected"
