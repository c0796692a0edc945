#!/usr/bin/env bash
# Point-in-time recovery from a walpull seed (-X none) and a walpull
# archive, through walpull restore-wal, for plain and gzip archives: to a
# time in the middle (exactly the rows committed before it), then to the
# end of WAL (every row, including those only in the .partial).
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"

# run_sql SQL...: one statement each, each its own transaction.
insert_rows() {
    local table=$1 from=$2 to=$3 i sql=""
    for ((i = from; i <= to; i++)); do sql+="INSERT INTO $table (id) VALUES ($i);"; done
    wp_psql pri -c "$sql" >/dev/null
}

# recover NAME BASE ARCHIVE [TARGET_TIME]: a copy of the base backup
# recovered from the archive (to the time, or to the end), promoted.
recover() {
    local name=$1 base=$2 a=$3 target=${4:-}
    local dir=$WP_TMP/$name
    cp -a "$base" "$dir"
    {
        echo "restore_command = '$WALPULL restore-wal -D $a %f %p'"
        echo "recovery_target_action = 'promote'"
        [ -n "$target" ] && echo "recovery_target_time = '$target'"
    } >>"$dir/postgresql.conf"
    touch "$dir/recovery.signal"
    wp_start_seeded "$name" "$dir" pri
    # Read-only queries are served while WAL is still being replayed: the
    # rows are counted once recovery has ended and the server promoted.
    wait_for 120 wp_query_is "$name" "SELECT pg_is_in_recovery()" f
}

pitr() {
    local mode=$1
    local a=$WP_TMP/arch-$mode table=t_$mode
    local -a compress=()
    [ "$mode" = gzip ] && compress=(--compress gzip)
    mkdir "$a"
    wp_psql pri -c "CREATE TABLE $table (id int, at timestamptz DEFAULT clock_timestamp())"
    expect_exit 0 "$WALPULL" slot create "arch_$mode" $conn
    wp_spawn "$WALPULL" archive -D "$a" --slot "arch_$mode" -s 1 "${compress[@]}" $conn
    local apid=${WP_PIDS[-1]}
    expect_exit 0 "$WALPULL" seed -D "$WP_TMP/base-$mode" -X none -c fast $conn
    insert_rows "$table" 1 50
    sleep 1
    local mid
    mid=$(wp_psql pri -c "SELECT clock_timestamp()")
    sleep 1
    insert_rows "$table" 51 100
    wp_psql pri -c "SELECT pg_switch_wal()" >/dev/null
    # The last rows stay in the current segment: only the .partial has them.
    insert_rows "$table" 101 130
    wait_for 30 wp_walpull_caught_up pri
    kill -INT "$apid"
    expect_wait_exit 0 "$apid" "archiver exit on SIGINT"
    ls "$a" | grep -q 'partial$' || fail "no partial segment in the $mode archive: $(ls "$a")"
    chmod -R a+rX "$a"

    wp_case "$mode archive: recovery to a time in the middle has exactly the rows committed before it"
    recover "mid_$mode" "$WP_TMP/base-$mode" "$a" "$mid"
    expect_eq "$(wp_psql "mid_$mode" -c "SELECT count(*), max(id) FROM $table")" "50|50" "rows recovered to $mid"
    wp_pg_ctl "mid_$mode" stop

    wp_case "$mode archive: recovery to the end of WAL has every row, those in the partial segment too"
    recover "end_$mode" "$WP_TMP/base-$mode" "$a"
    expect_eq "$(wp_psql "end_$mode" -c "SELECT count(*), max(id) FROM $table")" "130|130" "rows recovered to the end"
    grep -q "restored log file\|redo done" "$WP_TMP/end_$mode.log" || fail "no recovery in the server log"
    wp_pg_ctl "end_$mode" stop
}

pitr plain
pitr gzip
