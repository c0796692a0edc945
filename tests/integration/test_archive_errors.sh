#!/usr/bin/env bash
# walpull archive's bad-input cases: each gives a clear one-line error and
# exit code 1, and loses nothing.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"

wp_case "Usage errors exit 2"
expect_exit 2 "$WALPULL" archive $conn
expect_contains "$WP_OUT" "no target directory specified (-D)"
expect_exit 2 "$WALPULL" archive -D "$arch" --compress lz9 $conn
expect_contains "$WP_OUT" 'invalid value "lz9" for option --compress: use none or gzip[:LEVEL]'
expect_exit 2 "$WALPULL" archive -D "$arch" --endpos nonsense $conn
expect_contains "$WP_OUT" 'invalid value "nonsense" for option --endpos'

wp_case "Directory missing"
expect_exit 1 "$WALPULL" archive -D "$WP_TMP/nope" --no-loop $conn
expect_contains "$WP_OUT" "could not open directory \"$WP_TMP/nope\": No such file or directory"
expect_contains "$WP_OUT" "hint: Create the directory first"

wp_case "Directory not writable (as an unprivileged user: root writes anywhere)"
if wp_as_root; then
    ro=$WP_TMP/readonly
    mkdir "$ro"
    chmod 755 "$ro"
    expect_exit 1 runuser -u postgres -- env PGPASSWORD="$WP_REPL_PASSWORD" "$WALPULL" archive -D "$ro" --no-loop $conn
    expect_contains "$WP_OUT" "directory \"$ro\" is not writable: Permission denied"
fi

wp_case "Slot missing without --create-slot; --create-slot on an existing slot"
expect_exit 1 "$WALPULL" archive -D "$arch" --slot nosuch --no-loop $conn
expect_contains "$WP_OUT" 'replication slot "nosuch" does not exist'
expect_contains "$WP_OUT" "--create-slot"
expect_exit 0 "$WALPULL" slot create s $conn
expect_exit 1 "$WALPULL" archive -D "$arch" --slot s --create-slot --no-loop $conn
expect_contains "$WP_OUT" 'replication slot "s" already exists'

wp_case "A FIFO named like the next .partial: refused, never opened for writing (no hang)"
fifo=$WP_TMP/fifo
mkdir "$fifo"
next=$(wp_psql pri -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
mkfifo "$fifo/$next.partial"
expect_exit 1 timeout 60 "$WALPULL" archive -D "$fifo" --no-loop $conn
expect_contains "$WP_OUT" "is not a regular file"

wp_case "--drop-slot drops the slot and stops"
expect_exit 0 "$WALPULL" slot create dropme $conn
expect_exit 0 "$WALPULL" archive --slot dropme --drop-slot -v $conn
expect_contains "$WP_OUT" 'dropped replication slot "dropme"'
expect_eq "$(wp_psql pri -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dropme'")" 0 "slot after --drop-slot"
expect_exit 2 "$WALPULL" archive --drop-slot $conn
expect_contains "$WP_OUT" "option --drop-slot needs --slot"

wp_case "Slot already active"
wp_spawn "$WALPULL" archive -D "$arch" --slot s $conn
wait_for 30 wp_query_is pri "SELECT active FROM pg_replication_slots WHERE slot_name = 's'" t
other=$WP_TMP/other
mkdir "$other"
expect_exit 1 "$WALPULL" archive -D "$other" --slot s $conn
expect_contains "$WP_OUT" 'replication slot "s" is active for PID'
expect_contains "$WP_OUT" "different slot"
pid=${WP_PIDS[-1]}
kill -INT "$pid"
wait "$pid" || fail "walpull did not exit 0 on SIGINT"

wp_case "A directory holding another system's WAL, or another segment size"
wp_pg_start pri2 "$major" --wal-segsize=1
wp_pg_start big "$major"
wp_pgpass pri2
wp_pgpass big
# shellcheck disable=SC2046 # the connection arguments are words
expect_exit 1 "$WALPULL" archive -D "$arch" --no-loop $(wp_conn_args pri2)
expect_contains "$WP_OUT" "belongs to database system"
expect_contains "$WP_OUT" "separate archive directory"
wp_make_wal pri 1
endpos=$(wp_segment_floor_lsn pri $segsize)
expect_exit 0 "$WALPULL" archive -D "$arch" --slot s --endpos "$endpos" --no-loop $conn
# shellcheck disable=SC2046 # the connection arguments are words
expect_exit 1 "$WALPULL" archive -D "$arch" --no-loop $(wp_conn_args big)
expect_contains "$WP_OUT" "has 1048576 bytes, but the server's WAL segment size is 16777216"

wp_case "Slot invalidated: its WAL was removed (max_slot_wal_keep_size)"
wp_psql pri -c "ALTER SYSTEM SET max_slot_wal_keep_size = '2MB'" -c "SELECT pg_reload_conf()" >/dev/null
expect_exit 0 "$WALPULL" slot create lost $conn
for _ in 1 2 3; do wp_make_wal pri 2; done
wp_psql pri -c "CHECKPOINT" >/dev/null
expect_eq "$(wp_psql pri -c "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'lost'")" lost "slot state"
lostdir=$WP_TMP/lost
mkdir "$lostdir"
expect_exit 1 timeout 60 "$WALPULL" archive -D "$lostdir" --slot lost --no-loop $conn
expect_contains "$WP_OUT" 'replication slot "lost"'
[[ "$WP_OUT" =~ (invalidated|has been removed|no reserved WAL) ]] || fail "unclear message for an invalidated slot: $WP_OUT"
wp_psql pri -c "ALTER SYSTEM RESET max_slot_wal_keep_size" -c "SELECT pg_reload_conf()" >/dev/null

wp_case "Disk full: report, keep what is durable, never report more"
if wp_as_root; then
    full=$WP_TMP/full
    mkdir "$full"
    mount -t tmpfs -o size=3M tmpfs "$full"
    wp_on_exit "umount '$full'"
    expect_exit 0 "$WALPULL" slot create fs $conn
    wp_make_wal pri 5
    endpos=$(wp_segment_floor_lsn pri $segsize)
    expect_exit 1 "$WALPULL" archive -D "$full" --slot fs --endpos "$endpos" --no-loop $conn
    expect_contains "$WP_OUT" "No space left on device"
    segs=$(wp_complete_segments "$full")
    [ -n "$segs" ] || fail "nothing kept on a full disk"
    # (the primary's copies may be gone: the slot "s" moved on; compare
    # with the slot that keeps them when they are there)
    last=$(echo "$segs" | tail -1)
    end_last=$(( (16#${last:8:8} * 4096 + 16#${last:16:8} + 1) * segsize ))
    restart=$(lsn_to_int "$(wp_psql pri -c "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'fs'")")
    [ "$restart" -le "$end_last" ] || fail "flush reported beyond the durable segments ($restart > $end_last)"
fi
