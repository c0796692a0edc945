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
pristine=$WP_TMP/pristine
cp -a "$arch" "$pristine"
# fresh NAME: a new copy of the intact archive; sets d.
fresh() { d=$WP_TMP/$1; rm -rf "$d"; cp -a "$pristine" "$d"; }

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

wp_case "a stale partial segment with later segments after it is refused, not padded and served"
fresh stale
head -c 300000 "$d/${segs[2]}" >"$d/${segs[2]}.partial"
rm "$d/${segs[2]}"
expect_exit 255 "$WALPULL" restore-wal -D "$d" "${segs[2]}" "$restore_dir/h"
expect_contains "$WP_OUT" "only the partial"
expect_exit 1 "$WALPULL" verify -D "$d" --quick
expect_contains "$WP_OUT" "only a partial segment, yet later segments"

wp_case "both partial forms of a segment: refused; verify says so"
fresh both
last=${segs[-1]}
cp "$d/$last" "$d/$last.partial"
gzip -c "$d/$last" >"$d/$last.gz.partial"
rm "$d/$last"
expect_exit 255 "$WALPULL" restore-wal -D "$d" "$last" "$restore_dir/i"
expect_contains "$WP_OUT" "which holds the newer WAL is unknown"
expect_exit 1 "$WALPULL" verify -D "$d" --quick
expect_contains "$WP_OUT" "which holds the newer WAL is unknown"

wp_case "an unreadable listing never turns a hole into the end: refused"
fresh stray
rm "$d/${segs[2]}"
mkdir "$d/0000000100000000000000F0.partial"
expect_exit 255 "$WALPULL" restore-wal -D "$d" "${segs[2]}" "$restore_dir/j"
expect_contains "$WP_OUT" "is not a regular file"

wp_case "a segment missing on a timeline that a later timeline's history says went on past it: a gap"
fresh fork
s3=${segs[3]}
rm "$d/$s3"
# Timeline 2 begins in the last segment; timeline 1 went on until then.
for s in "${segs[@]:4}"; do mv "$d/$s" "$d/00000002${s:8}"; done
sw=$(( (16#${segs[4]:16:8}) * segsize + 1000 ))
printf '1\t%X/%X\tno recovery target specified\n' 0 "$sw" >"$d/00000002.history"
expect_exit 255 "$WALPULL" restore-wal -D "$d" "$s3" "$restore_dir/k"
expect_contains "$WP_OUT" "history says its timeline went on past it"

wp_case "the segment size comes from the segments' headers: one truncated file cannot make expire remove more"
fresh size
truncate -s 262144 "$d/${segs[-1]}"
expect_exit 0 "$WALPULL" expire -D "$d" --before "${segs[1]}" --dry-run
expect_contains "$WP_OUT" "would remove 1 file"

wp_case "damage in the newest complete segment is found by verify too"
fresh newest
# Inside the first record that begins in the segment (after the long page
# header and whatever continues from the segment before), where both
# verify and restore-wal read.
first=$(python3 -c '
import struct, sys
h = open(sys.argv[1], "rb").read(40)
rem = struct.unpack_from("<I", h, 16)[0]
print(40 + ((rem + 7) & ~7) + 30)' "$d/${segs[-1]}")
[ "$first" -lt 8000 ] || fail "the newest segment begins with a long continuation ($first)"
printf '\xff\xff\xff\xff' | dd of="$d/${segs[-1]}" bs=1 seek="$first" conv=notrunc 2>/dev/null
expect_exit 1 "$WALPULL" verify -D "$d"
expect_contains "$WP_OUT" "${segs[-1]}"
expect_exit 255 "$WALPULL" restore-wal -D "$d" "${segs[-1]}" "$restore_dir/l"

wp_case "a partial segment with no WAL in it yet is the end of the WAL (exit 1), not damage"
fresh young
nxt=$(printf '%s%08X' "${segs[-1]:0:16}" $(( 16#${segs[-1]:16:8} + 1 )))
: >"$d/$nxt.partial"
expect_exit 1 "$WALPULL" restore-wal -D "$d" "$nxt" "$restore_dir/m"
rm "$d/$nxt.partial"
truncate -s "$segsize" "$d/$nxt.partial"
expect_exit 1 "$WALPULL" restore-wal -D "$d" "$nxt" "$restore_dir/m"
rm "$d/$nxt.partial"
printf '' | gzip -c | head -c 10 >"$d/$nxt.gz.partial"
expect_exit 1 "$WALPULL" restore-wal -D "$d" "$nxt" "$restore_dir/m"

wp_case "gzip cut just before its trailer, or two segments in one .gz: refused and found"
fresh gzcut
gzip -c "$d/${segs[1]}" >"$d/${segs[1]}.gz"
size=$(stat -c %s "$d/${segs[1]}.gz")
truncate -s $((size - 8)) "$d/${segs[1]}.gz"
rm "$d/${segs[1]}"
expect_exit 255 "$WALPULL" restore-wal -D "$d" "${segs[1]}" "$restore_dir/n"
expect_contains "$WP_OUT" "trailer"
fresh gzcat
gzip -c "$d/${segs[1]}" >"$d/one.gz"
cat "$d/one.gz" "$d/one.gz" >"$d/${segs[1]}.gz"
rm "$d/one.gz" "$d/${segs[1]}"
expect_exit 1 "$WALPULL" verify -D "$d"
expect_contains "$WP_OUT" "holds more than a"
expect_exit 255 "$WALPULL" restore-wal -D "$d" "${segs[1]}" "$restore_dir/o"

wp_case "a segment of another database system is refused"
fresh other
printf '\x01\x02\x03\x04' | dd of="$d/${segs[3]}" bs=1 seek=24 conv=notrunc 2>/dev/null
expect_exit 255 "$WALPULL" restore-wal -D "$d" "${segs[3]}" "$restore_dir/p"
expect_contains "$WP_OUT" "is of database system"

wp_case "status: an archiver silent past --crit-lag, or a state file past the files, is CRITICAL"
fresh stale_state
now=$(date +%s)
printf 'pid=1\ntimeline=1\nwritten_lsn=0/0\ndurable_lsn=0/0\nserver_end_lsn=0/0\nupdated=%d\nprogressed=%d\n' \
    $((now - 120)) $((now - 120)) >"$d/walpull.state"
expect_exit 2 "$WALPULL" status -D "$d" --crit-lag 60s
expect_contains "$WP_OUT" "CRITICAL: lag"
printf 'pid=1\ntimeline=1\nwritten_lsn=FF/0\ndurable_lsn=FF/0\nserver_end_lsn=FF/0\nupdated=%d\nprogressed=%d\n' \
    "$now" "$now" >"$d/walpull.state"
expect_exit 2 "$WALPULL" status -D "$d"
expect_contains "$WP_OUT" "past the archive's newest segment"
