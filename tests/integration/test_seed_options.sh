#!/usr/bin/env bash
# walpull seed: -X fetch and pg_verifybackup, a user tablespace mapped with
# -T, progress output, and a backup under write load.
. "$(dirname "$0")/../lib/harness.sh"
major=$1

wp_pg_start pri "$major"
wp_pgpass pri
chown postgres "$PGPASSFILE"
conn=$(wp_conn_args pri)

wp_case "A user tablespace with a table in it"
ts=$WP_TMP/ts_primary
mkdir "$ts"
chown postgres: "$ts"
wp_psql pri -c "CREATE TABLESPACE extra LOCATION '$ts'" \
    -c "CREATE TABLE in_ts TABLESPACE extra AS SELECT g AS id FROM generate_series(1, 5000) g"

wp_case "Without -T the tablespace would land on the primary's own directory"
expect_exit 1 "$WALPULL" -D "$WP_TMP/r0" -c fast $conn
expect_contains "$WP_OUT" "directory \"$ts\" exists but is not empty"
expect_contains "$WP_OUT" "-T $ts=NEWDIR"
[ ! -e "$WP_TMP/r0" ] || fail "a refused seed left its directory behind"
wp_case "--no-clean keeps what was made, and says so"
expect_exit 1 "$WALPULL" -D "$WP_TMP/r0" -c fast --no-clean $conn
expect_contains "$WP_OUT" "data directory \"$WP_TMP/r0\" not removed at user's request"
[ -f "$WP_TMP/r0/PG_VERSION" ] || [ -d "$WP_TMP/r0" ] || fail "--no-clean removed the directory"
rm -rf "$WP_TMP/r0"

wp_case "-X fetch, with the tablespace mapped, and progress to a non-terminal"
r1=$WP_TMP/r1
expect_exit 0 "$WALPULL" -D "$r1" -X fetch -T "$ts=$WP_TMP/ts_r1" -c fast -P $conn
expect_contains "$WP_OUT" "walpull: progress: "
last=$(printf '%s\n' "$WP_OUT" | grep 'walpull: progress: ' | tail -1)
expect_contains "$last" "(100%)"
[[ "$last" =~ walpull:\ progress:\ [0-9]+/[0-9]+\ kB\ \(100%\),\ [0-9.]+\ MiB/s ]] || fail "progress line format: $last"
ls "$r1/pg_wal" | grep -qE '^[0-9A-F]{24}$' || fail "-X fetch brought no WAL"
link=$(readlink "$r1/pg_tblspc/$(wp_psql pri -c "SELECT oid FROM pg_tablespace WHERE spcname = 'extra'")")
expect_eq "$link" "$WP_TMP/ts_r1" "tablespace symlink"
[ -n "$(ls "$WP_TMP/ts_r1")" ] || fail "nothing extracted into the mapped tablespace"
if [ "$major" = 15 ]; then
    "$WP_CLIENT_BIN/pg_verifybackup" -q "$r1" || fail "pg_verifybackup failed on a -X fetch backup"
fi
wp_case "Started (not as a standby): it reads the tablespace's table"
chown -R postgres: "$WP_TMP/ts_r1"
wp_start_seeded r1 "$r1" pri
expect_eq "$(wp_psql r1 -c "SELECT count(*) FROM in_ts")" 5000 "rows in the mapped tablespace"
wp_pg_ctl r1 stop fast

wp_case "A backup taken under write load: the replica matches after catch-up"
"$WP_CLIENT_BIN/pgbench" -q -i -s 3 -h "$pri_SOCK" -p "$pri_PORT" -U postgres postgres >/dev/null 2>&1
"$WP_CLIENT_BIN/pgbench" -T 6 -c 2 -h "$pri_SOCK" -p "$pri_PORT" -U postgres postgres >"$WP_TMP/pgbench.log" 2>&1 &
bench=$!
WP_PIDS+=("$bench")
sleep 1
r2=$WP_TMP/r2
expect_exit 0 "$WALPULL" -D "$r2" -R -T "$ts=$WP_TMP/ts_r2" -c fast $conn
wait "$bench" || fail "pgbench failed: $(cat "$WP_TMP/pgbench.log")"
chown -R postgres: "$WP_TMP/ts_r2"
wp_start_seeded r2 "$r2" pri
wait_for 60 wp_caught_up r2 pri
q="SELECT (SELECT count(*) FROM pgbench_history) || '/' || (SELECT sum(abalance) FROM pgbench_accounts)"
primary=$(wp_psql pri -c "$q")
expect_eq "$(wp_psql r2 -c "$q")" "$primary" "pgbench rows on the replica"
[ "${primary%%/*}" -gt 0 ] || fail "pgbench wrote nothing during the backup"

# Every file and directory of the copy is fsync'd (or fdatasync'd) under
# the name it had then; nothing else on the file system is flushed. A
# name with the held-back or .tmp/.partial suffix counts for the final one.
# Under strace, LeakSanitizer (the ASan gate's build) cannot stop the
# process to look for leaks: it is switched off for these runs only.
traced() { # TRACE_FILE SYSCALLS CMD...
    local out=$1 calls=$2
    shift 2
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        strace -f -y -qq -e trace="$calls" -o "$out" "$@"
}
synced_names() { # TRACE DIR: the paths under DIR fsync'd, as they are named now
    # Two threads: a call may show as "<unfinished ...>", resumed later.
    sed -n 's/^[0-9]* *\(fsync\|fdatasync\)([0-9]*<\([^>]*\)>.*/\2/p' "$1" |
        sed -e 's/\.walpull-incomplete$//' -e 's/\.tmp$//' -e 's/\.partial$//' |
        grep -F "$2" | sort -u
}
wp_case "--sync-method fsync: an fsync for every file and directory, no syncfs"
r3=$WP_TMP/r3
expect_exit 0 traced "$WP_TMP/trace3" fsync,fdatasync,syncfs \
    "$WALPULL" -D "$r3" -T "$ts=$WP_TMP/ts_r3" -c fast --sync-method fsync $conn
! grep -q 'syncfs(' "$WP_TMP/trace3" || fail "syncfs was called: $(grep 'syncfs(' "$WP_TMP/trace3")"
synced_names "$WP_TMP/trace3" "$WP_TMP/" >"$WP_TMP/synced3"
find "$r3" "$WP_TMP/ts_r3" \( -type f -o -type d \) | sort >"$WP_TMP/all3"
missing=$(comm -23 "$WP_TMP/all3" "$WP_TMP/synced3")
[ -z "$missing" ] || fail "not fsync'd: $(echo "$missing" | head -5)"
[ "$(wc -l <"$WP_TMP/all3")" -gt 900 ] || fail "too few files to mean anything: $(wc -l <"$WP_TMP/all3")"
# The new data directory's own entry: its parent was fsync'd too.
grep -qE "^[0-9]+ +fsync\([0-9]+<$WP_TMP>\)" "$WP_TMP/trace3" || fail "the parent of the new directory was not fsync'd"
if [ "$major" = 15 ]; then
    "$WP_CLIENT_BIN/pg_verifybackup" -q "$r3" || fail "pg_verifybackup failed after the fsync path"
fi
wp_case "--sync-method syncfs: one syncfs per file system instead"
expect_exit 0 traced "$WP_TMP/trace4" fsync,syncfs \
    "$WALPULL" -D "$WP_TMP/r4" -T "$ts=$WP_TMP/ts_r4" -c fast --sync-method syncfs $conn
expect_eq "$(grep -c 'syncfs(' "$WP_TMP/trace4")" 2 "syncfs calls (the copy and its tablespace)"
expect_exit 2 "$WALPULL" -D "$WP_TMP/r5" --sync-method sometimes $conn
expect_contains "$WP_OUT" "invalid value \"sometimes\" for option --sync-method: use auto, fsync or syncfs"

# auto: syncfs unless the page cache holds more dirty data than 256 kB per
# file of the copy (64 MB at least); then an fsync per file. Checked
# against the figures walpull logs, after a sync and with 600 MB of
# another program's unsynced data.
auto_case() { # NAME: seed, then check the choice against the logged figures
    expect_exit 0 traced "$WP_TMP/trace_$1" syncfs \
        "$WALPULL" -D "$WP_TMP/$1" -T "$ts=$WP_TMP/ts_$1" -c fast -vv $conn
    local line mb files allowed want
    line=$(grep -o 'syncing: [0-9]* MB dirty in the page cache, [0-9]* files: .*' <<<"$WP_OUT")
    [ -n "$line" ] || fail "no choice logged: $WP_OUT"
    read -r mb files <<<"$(sed 's/syncing: \([0-9]*\) MB dirty in the page cache, \([0-9]*\) files.*/\1 \2/' <<<"$line")"
    allowed=$((files * 256 / 1024))
    [ "$allowed" -ge 64 ] || allowed=64
    if [ "$mb" -le "$allowed" ]; then want=syncfs; else want="an fsync per file"; fi
    expect_contains "$line" ": $want"
    if [ "$want" = syncfs ]; then
        [ "$(grep -c 'syncfs(' "$WP_TMP/trace_$1")" -ge 1 ] || fail "auto chose syncfs but none was called"
    else
        ! grep -q 'syncfs(' "$WP_TMP/trace_$1" || fail "auto chose fsync but syncfs was called"
    fi
    echo "$want"
}
wp_case "--sync-method auto (the default) after a sync: the choice its figures call for"
# Usually syncfs; a test running beside this one may have left data dirty.
sync
auto_case r6 >/dev/null
wp_case "--sync-method auto with 600 MB of another program's unsynced data: an fsync per file"
dd if=/dev/zero of="$WP_TMP/dirty" bs=1M count=600 status=none
expect_eq "$(auto_case r7)" "an fsync per file" "auto with dirty data"
rm -f "$WP_TMP/dirty"
