#!/usr/bin/env bash
# A damaged archive: walpull verify finds each kind of damage at the right
# place, and walpull restore-wal refuses it with the status that makes the
# server stop recovery (above 125), never "not found" (which ends it).
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"
expect_exit 0 "$WALPULL" slot create keep $conn
wp_make_wal pri 6
endpos=$(wp_segment_floor_lsn pri $segsize)
expect_exit 0 "$WALPULL" archive -D "$arch" --slot keep --endpos "$endpos" --no-loop $conn
gz=$WP_TMP/gz
mkdir "$gz"
for s in $(wp_complete_segments "$arch"); do gzip -c "$arch/$s" >"$gz/$s.gz"; done
mapfile -t segs < <(wp_complete_segments "$arch")
[ ${#segs[@]} -ge 5 ] || fail "expected at least 5 segments, got ${#segs[@]}"
restore_dir=$WP_TMP/restore
mkdir "$restore_dir"

wp_case "an intact archive: verify finds no problem and checks every record; restore-wal serves each form"
expect_exit 0 "$WALPULL" verify -D "$arch" --json
expect_contains "$WP_OUT" '"ok": true'
expect_contains "$WP_OUT" "\"server_major\": $major"
records=$(echo "$WP_OUT" | sed -n 's/.*"records": \([0-9]*\).*/\1/p')
[ "${records:-0}" -gt 1000 ] || fail "too few records checked: $WP_OUT"
expect_exit 0 "$WALPULL" verify -D "$gz"
expect_contains "$WP_OUT" "no problems found"
expect_exit 0 "$WALPULL" restore-wal -D "$gz" "${segs[1]}" "$restore_dir/a"
cmp "$restore_dir/a" "$arch/${segs[1]}" || fail "restored .gz differs from the segment"
expect_exit 1 "$WALPULL" restore-wal -D "$arch" 0000000100000000000000FF "$restore_dir/b"
expect_exit 1 "$WALPULL" restore-wal -D "$arch" 00000002.history "$restore_dir/b"
[ ! -e "$restore_dir/b" ] || fail "a file was left for a name not in the archive"

wp_case "a truncated .gz: verify names it, restore-wal refuses it (exit 255)"
truncate -s 2000 "$gz/${segs[2]}.gz"
expect_exit 1 "$WALPULL" verify -D "$gz"
expect_contains "$WP_OUT" "${segs[2]}.gz"
expect_contains "$WP_OUT" "corrupt compressed file"
expect_exit 255 "$WALPULL" restore-wal -D "$gz" "${segs[2]}" "$restore_dir/c"
expect_contains "$WP_OUT" "corrupt compressed file"
[ -z "$(ls "$restore_dir" | grep -v '^a$')" ] || fail "restore-wal left a file behind: $(ls "$restore_dir")"

wp_case "a flipped byte: verify reports the record that holds it, restore-wal refuses the segment"
victim=${segs[3]}
cp "$arch/$victim" "$WP_TMP/victim.orig"
offset=600000
printf '\x5a' | dd of="$arch/$victim" bs=1 seek=$offset conv=notrunc 2>/dev/null
cmp -s "$arch/$victim" "$WP_TMP/victim.orig" && printf '\xa5' | dd of="$arch/$victim" bs=1 seek=$offset conv=notrunc 2>/dev/null
expect_exit 1 "$WALPULL" verify -D "$arch" --json
lsn=$(echo "$WP_OUT" | sed -n 's/.*"file": "'"$victim"'", "lsn": "\([0-9A-F/]*\)".*/\1/p')
[ -n "$lsn" ] || fail "verify did not name $victim: $WP_OUT"
segstart=$(( (16#${victim:8:8} * 0x100000000 / segsize + 16#${victim:16:8}) * segsize ))
at=$(lsn_to_int "$lsn")
[ "$at" -ge "$segstart" ] && [ "$at" -le $((segstart + offset)) ] \
    || fail "reported $lsn, not a record start at or before the flipped byte (segment start $segstart + $offset)"
expect_exit 255 "$WALPULL" restore-wal -D "$arch" "$victim" "$restore_dir/d"
expect_contains "$WP_OUT" "is damaged at"
cp "$WP_TMP/victim.orig" "$arch/$victim"
expect_exit 0 "$WALPULL" verify -D "$arch"

wp_case "a deleted middle segment: verify and status report the gap, restore-wal refuses to call it the end"
rm "$arch/${segs[2]}"
expect_exit 1 "$WALPULL" verify -D "$arch"
expect_contains "$WP_OUT" "gap on timeline 1: 1 segment(s) missing"
expect_exit 2 "$WALPULL" status -D "$arch"
expect_contains "$WP_OUT" "CRITICAL"
expect_contains "$WP_OUT" "gap on timeline 1"
expect_exit 255 "$WALPULL" restore-wal -D "$arch" "${segs[2]}" "$restore_dir/e"
expect_contains "$WP_OUT" "is missing from the archive"

wp_case "a timeline without its history file, and a wrong-size segment"
last=${segs[-1]}
cp "$arch/$last" "$arch/00000002${last:8}"
truncate -s 1000000 "$arch/${segs[0]}"
expect_exit 1 "$WALPULL" verify -D "$arch" --quick
expect_contains "$WP_OUT" "timeline 2 has segments but no history file"
expect_contains "$WP_OUT" "has 1000000 bytes"
expect_exit 255 "$WALPULL" restore-wal -D "$arch" "${segs[0]}" "$restore_dir/f"

wp_case "a FIFO named like a segment is refused, never opened"
mkfifo "$gz/${segs[0]}.partial"
mkdir "$WP_TMP/fifo"
mkfifo "$WP_TMP/fifo/${segs[0]}"
expect_exit 255 timeout 10 "$WALPULL" restore-wal -D "$WP_TMP/fifo" "${segs[0]}" "$restore_dir/g"
expect_contains "$WP_OUT" "is not a regular file"
expect_exit 1 timeout 10 "$WALPULL" verify -D "$WP_TMP/fifo"
expect_contains "$WP_OUT" "is not a regular file"
