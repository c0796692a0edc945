#!/usr/bin/env bash
# walpull bench in both modes: the summary's fields are sane (bytes > 0,
# positions advancing, files written as streamed) and it exits 0. Speed is
# never checked here.
. "$(dirname "$0")/../lib/harness.sh"
major=$1

wp_pg_start pri "$major" --wal-segsize=1
wp_pgpass pri
conn=$(wp_conn_args pri)

json_num() { printf '%s' "$1" | sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p"; }
json_str() { printf '%s' "$1" | sed -n "s/.*\"$2\": \"\([^\"]*\)\".*/\1/p"; }

wp_case "catchup, null sink"
expect_exit 0 "$WALPULL" bench $conn --generate 32MB --json
out=$WP_OUT
bytes=$(json_num "$out" bytes)
[ "${bytes:-0}" -ge $((32 * 1024 * 1024)) ] || fail "catchup streamed $bytes bytes: $out"
start=$(lsn_to_int "$(json_str "$out" start_lsn)")
end=$(lsn_to_int "$(json_str "$out" end_lsn)")
[ "$end" -gt "$start" ] || fail "end position not after start: $out"
expect_eq "$((end - start))" "$bytes" "bytes equal the LSN range"
expect_eq "$(wp_psql pri -c "SELECT count(*) FROM pg_replication_slots")" 0 "temporary slot gone"

wp_case "catchup into a directory: bytes written = bytes streamed, and segments"
sink=$WP_TMP/sink
mkdir "$sink"
expect_exit 0 "$WALPULL" bench $conn --generate 16MB --sink "dir:$sink" --json
out=$WP_OUT
wp_case "O_DIRECT rewrites the last, padded block of a batch once the next one completes it: at most one block per batch more than streamed"
written=$(json_num "$out" bytes_written)
bytes=$(json_num "$out" bytes)
batches=$(json_num "$out" batches)
[ "$written" -ge "$bytes" ] && [ "$written" -le $((bytes + batches * 4096)) ] ||
    fail "bytes written $written for $bytes streamed in $batches batches: $out"
[ "$(json_num "$out" write_calls)" -gt 0 ] || fail "no write calls counted: $out"
wp_case "ext4 and xfs take O_DIRECT: the writes must have used it there"
case $(stat -f -c %T "$sink") in
ext2/ext3 | xfs) [ "$(json_num "$out" direct_write_calls)" -gt 0 ] || fail "no O_DIRECT writes on $(stat -f -c %T "$sink"): $out" ;;
esac
wp_case "and through the page cache when asked: exactly the bytes streamed"
sink2=$WP_TMP/sink2
mkdir "$sink2"
expect_exit 0 "$WALPULL" bench $conn --generate 8MB --sink "dir:$sink2" --no-direct-io --json
expect_eq "$(json_num "$WP_OUT" bytes_written)" "$(json_num "$WP_OUT" bytes)" "bytes written, page cache"
expect_eq "$(json_num "$WP_OUT" direct_write_calls)" 0 "no O_DIRECT writes with --no-direct-io"
wp_case "A filesystem without O_DIRECT (ramfs): the same sink falls back to the page cache by itself"
if wp_as_root; then
    rf=$WP_TMP/ramfs
    mkdir "$rf"
    mount -t ramfs ramfs "$rf"
    wp_on_exit "umount '$rf'"
    expect_exit 0 "$WALPULL" bench $conn --generate 8MB --sink "dir:$rf" --json
    expect_eq "$(json_num "$WP_OUT" direct_write_calls)" 0 "no O_DIRECT writes on ramfs"
    written=$(json_num "$WP_OUT" bytes_written)
    [ "$written" -ge "$(json_num "$WP_OUT" bytes)" ] || fail "bytes missing on ramfs: $WP_OUT"
    [ "$(wp_complete_segments "$rf" | wc -l)" -ge 7 ] || fail "segments missing on ramfs: $(ls "$rf")"
fi
[ "$(json_num "$out" fsync_calls)" -gt 0 ] || fail "no fsync counted: $out"
[ "$(wp_complete_segments "$sink" | wc -l)" -ge 15 ] || fail "segments missing in the sink"

wp_case "live mode with writers, plot and the human-readable table"
expect_exit 0 "$WALPULL" bench $conn --mode live --duration 2 --clients 2 --plot "$WP_TMP/live.svg"
expect_contains "$WP_OUT" "walpull bench: live mode"
expect_contains "$WP_OUT" "lag (bytes)      p50"
mib=$(printf '%s\n' "$WP_OUT" | sed -n 's/^  WAL streamed *\([0-9.]*\) MiB.*/\1/p')
[ "${mib%.*}" -gt 0 ] || fail "live mode streamed nothing: $WP_OUT"
grep -q '<polyline' "$WP_TMP/live.svg" || fail "no chart in the plot file"

wp_case "comparison with the stock tool, where it talks to this server"
if [ "$major" = 15 ]; then
    mkdir "$WP_TMP/cmp"
    expect_exit 0 "$WALPULL" bench $conn --generate 16MB --sink "dir:$WP_TMP/cmp" --compare-with "$WP_CLIENT_BIN/pg_receivewal"
    expect_contains "$WP_OUT" "ratio walpull / $WP_CLIENT_BIN/pg_receivewal: wall"
    expect_exit 0 "$WALPULL" bench $conn --generate 8MB --sink "dir:$WP_TMP/cmp" --compare-with "$WP_CLIENT_BIN/pg_receivewal" --rounds 2 --json
    expect_contains "$WP_OUT" '"rounds": 2'
    [ -z "$(ls "$WP_TMP/cmp")" ] || fail "comparison rounds left files behind: $(ls "$WP_TMP/cmp")"
    expect_eq "$(wp_psql pri -c "SELECT count(*) FROM pg_replication_slots")" 0 "comparison slots dropped"
fi

expect_exit 2 "$WALPULL" bench $conn --rounds 3
expect_contains "$WP_OUT" "option --rounds needs --compare-with"
expect_exit 2 "$WALPULL" bench $conn --mode sideways
expect_contains "$WP_OUT" 'invalid value "sideways" for option --mode: use catchup or live'
