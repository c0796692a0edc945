#!/usr/bin/env bash
# walpull archive: segments byte-identical to the primary's own, valid for
# pg_waldump, flush reported exactly, slot advanced, gzip round trip.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"

wp_case "The slot keeps the primary's own segments for the comparison"
expect_exit 0 "$WALPULL" slot create keep $conn
start_seg=$(wp_psql pri -c "SELECT pg_walfile_name(restart_lsn) FROM pg_replication_slots WHERE slot_name='keep'")
wp_make_wal pri 3
endpos=$(wp_segment_floor_lsn pri $segsize)

expect_exit 0 "$WALPULL" archive -D "$arch" --slot keep --endpos "$endpos" --no-loop -v $conn
expect_contains "$WP_OUT" "from the replication slot"
expect_contains "$WP_OUT" "reached the end position"

segs=$(wp_complete_segments "$arch")
[ -n "$segs" ] || fail "no complete segment in the archive"
expect_eq "$(echo "$segs" | head -1)" "$start_seg" "first archived segment"
n=0
for s in $segs; do
    cmp "$arch/$s" "$pri_DATA/pg_wal/$s" || fail "segment $s differs from the primary's"
    n=$((n + 1))
done
[ $n -ge 3 ] || fail "expected at least 3 segments, got $n"
expect_eq "$(ls "$arch" | grep -c partial || true)" "0" "partial files after a stop at a boundary"
last=$(echo "$segs" | tail -1)
wp_case "The end position is the end of the last segment"
expect_eq "$(wp_segname 1 $(( $(lsn_to_int "$endpos") - 1 )) $segsize)" "$last" "last segment"

wp_case "What was reported as flushed is what the slot now holds"
expect_eq "$(wp_psql pri -c "SELECT restart_lsn = '$endpos' FROM pg_replication_slots WHERE slot_name='keep'")" t "slot restart_lsn after --endpos"

if [ "$major" = 15 ]; then
    "$WP_CLIENT_BIN/pg_waldump" -p "$arch" "$(echo "$segs" | head -1)" "$last" >/dev/null \
        || fail "pg_waldump rejects the archived segments"
fi

wp_case "Resume: a second run with a later end position continues after the last complete segment, without re-streaming it"
wp_make_wal pri 2
endpos2=$(wp_segment_floor_lsn pri $segsize)
expect_exit 0 "$WALPULL" archive -D "$arch" --slot keep --endpos "$endpos2" --no-loop -v $conn
expect_contains "$WP_OUT" "from the archive directory"
next=$(printf '%s' "$WP_OUT" | sed -n 's/.*starting log streaming at \([0-9A-F/]*\).*/\1/p')
expect_eq "$(lsn_to_int "$next")" "$(lsn_to_int "$endpos")" "resume position"
for s in $(wp_complete_segments "$arch"); do
    cmp "$arch/$s" "$pri_DATA/pg_wal/$s" || fail "segment $s differs after resume"
done

wp_case "gzip: valid .gz files whose content is the segment"
gz=$WP_TMP/gz
mkdir "$gz"
expect_exit 0 "$WALPULL" slot create keep2 $conn
wp_make_wal pri 2
endpos3=$(wp_segment_floor_lsn pri $segsize)
expect_exit 0 "$WALPULL" archive -D "$gz" --slot keep2 --compress gzip:3 --endpos "$endpos3" --no-loop $conn
files=$(ls "$gz" | grep -E '^[0-9A-F]{24}\.gz$' || true)
[ -n "$files" ] || fail "no .gz segment written: $(ls "$gz")"
for f in $files; do
    gzip -t "$gz/$f" || fail "$f is not valid gzip"
    gzip -dc "$gz/$f" | cmp - "$pri_DATA/pg_wal/${f%.gz}" || fail "$f does not decompress to the segment"
done

wp_case "gzip resume: a held .gz.partial is rewritten from the segment start and becomes the complete .gz"
last=$(printf '%s\n' $files | tail -n 1)
gzip -dc "$gz/$last" | head -c 1048576 | gzip -c >"$gz/$last.partial"
rm "$gz/$last"
expect_exit 0 "$WALPULL" archive -D "$gz" --compress gzip:3 --endpos "$endpos3" --no-loop $conn
[ -f "$gz/$last" ] || fail "$last was not completed: $(ls "$gz")"
gzip -dc "$gz/$last" | cmp - "$pri_DATA/pg_wal/${last%.gz}" || fail "$last does not decompress to the segment"
leftover=$(ls "$gz" | grep -E 'partial' || true)
expect_eq "$leftover" "" "partial files left behind"
