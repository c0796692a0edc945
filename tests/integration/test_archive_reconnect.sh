#!/usr/bin/env bash
# walpull archive across primary restarts (fast and immediate): reconnects
# and continues with no gap; with --no-loop it exits non-zero instead.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"
wp_case "A slot nobody streams from keeps the primary's own segments to compare"
expect_exit 0 "$WALPULL" slot create keep $conn
log=$WP_TMP/walpull.log

wp_spawn "$WALPULL" archive -D "$arch" --slot s --create-slot -s 1 -v $conn 2>"$log"
pid=${WP_PIDS[-1]}
wp_make_wal pri 1
wait_for 30 wp_walpull_caught_up pri

wp_pg_ctl pri restart fast
wp_make_wal pri 1
wait_for 60 wp_walpull_caught_up pri

wp_pg_ctl pri restart immediate
wp_make_wal pri 1
wait_for 60 wp_walpull_caught_up pri
kill -INT "$pid"
wait "$pid" || fail "walpull exited non-zero after SIGINT: $(cat "$log")"
expect_contains "$(cat "$log")" "retrying in"
n=$(wp_check_segments "$arch" "$pri_DATA/pg_wal" 1)
[ "$n" -ge 3 ] || fail "expected at least 3 segments, got $n"

wp_case "--no-loop: a lost connection ends walpull with a clear message"
wp_spawn "$WALPULL" archive -D "$arch" --slot s --no-loop $conn 2>"$log"
pid=${WP_PIDS[-1]}
# Streaming has begun once walpull has reported (its first status update
# goes out as COPY begins): only then is a lost connection worth retrying.
wait_for 30 wp_query_is pri "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walpull' AND write_lsn IS NOT NULL" 1
wp_pg_ctl pri stop fast
expect_wait_exit 1 "$pid" "exit code with --no-loop after the primary stopped"
msg=$(cat "$log")
expect_contains "$msg" "walpull: error:"
expect_contains "$msg" "Without --no-loop walpull reconnects"
