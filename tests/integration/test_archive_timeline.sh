#!/usr/bin/env bash
# walpull archive from a cascading standby that is then promoted: the
# archive gains the .history file and continues on the new timeline with
# no gap; the old timeline's last segment stays .partial. walpull verify
# accepts the archive across the switch, and a base backup taken before it
# recovers through restore-wal to the end of the new timeline.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
segsize=$((1024 * 1024))

wp_pg_start pri "$major" --wal-segsize=1
wp_make_wal pri 1
wp_pg_standby sb pri
wp_pgpass sb
conn=$(wp_conn_args sb)
arch=$WP_TMP/archive
mkdir "$arch"
expect_exit 0 "$WALPULL" slot create keep $conn
log=$WP_TMP/walpull.log

wp_spawn "$WALPULL" archive -D "$arch" --slot s --create-slot -s 1 --verify -v $conn 2>"$log"
pid=${WP_PIDS[-1]}
wait_for 30 wp_query_is sb "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 's' AND active" 1
# A second archiver, without --verify: the COPY read straight into the
# segment files, across the same switch.
zc=$WP_TMP/archive_zc
mkdir "$zc"
wp_spawn env PGAPPNAME=walpull_zc "$WALPULL" archive -D "$zc" --slot z --create-slot -s 1 -vv $conn 2>"$WP_TMP/zc.log"
zpid=${WP_PIDS[-1]}
wait_for 30 wp_query_is sb "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'z' AND active" 1
# A base backup of the standby, its WAL left to the archive.
expect_exit 0 "$WALPULL" seed -D "$WP_TMP/base" -X none -c fast $conn
wp_psql pri -c "CREATE TABLE rows_seen (id int)"
wp_psql pri -c "INSERT INTO rows_seen SELECT generate_series(1, 100)"
wp_make_wal pri 2
wp_psql pri -c "INSERT INTO wal_filler SELECT g, 'half' FROM generate_series(1, 3000) g"
sync_lsn=$(wp_psql pri -c "SELECT pg_current_wal_lsn()")
wait_for 60 wp_query_is sb "SELECT pg_last_wal_replay_lsn() >= '$sync_lsn'" t
wait_for 30 wp_walpull_written sb

wp_pg_ctl sb promote
wait_for 30 wp_query_is sb "SELECT pg_is_in_recovery()" f
wp_make_wal sb 2
wp_psql sb -c "INSERT INTO rows_seen SELECT generate_series(101, 150)"
wait_for 60 test -f "$arch/00000002.history"
wait_for 60 wp_walpull_caught_up sb
kill -INT "$pid"
wait "$pid" || fail "walpull failed: $(cat "$log")"
expect_contains "$(cat "$log")" "switched from timeline 1 to timeline 2"
zc_caught_up() {
    local cur
    cur=$(wp_psql sb -c "SELECT pg_current_wal_lsn()")
    wp_query_is sb "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walpull_zc' AND flush_lsn >= '$cur'" 1
}
wait_for 60 zc_caught_up
kill -INT "$zpid"
wait "$zpid" || fail "walpull (straight into the files) failed: $(cat "$WP_TMP/zc.log")"

cmp "$arch/00000002.history" "$sb_DATA/pg_wal/00000002.history" || fail "history file differs"
switch=$(awk -F'\t' '$1 == 1 {print $2}' "$arch/00000002.history")
[ -n "$switch" ] || fail "no switch point in the history file"
sw=$(lsn_to_int "$switch")
off=$((sw % segsize))
old=$(wp_segname 1 "$sw" $segsize)
new=$(wp_segname 2 "$sw" $segsize)

wp_case "Timeline 1: complete segments up to the switch, then the switch segment as .partial, identical to the server's up to the switch point"
n1=$(wp_check_segments "$arch" "$sb_DATA/pg_wal" 1)
[ "$n1" -ge 2 ] || fail "expected timeline 1 segments, got $n1"
[ -f "$arch/$old.partial" ] || fail "no $old.partial: $(ls "$arch")"
[ ! -f "$arch/$old" ] || fail "$old was completed on the old timeline"
last1=$(wp_complete_segments "$arch" | grep '^00000001' | tail -1)
expect_eq "$last1" "$(wp_segname 1 $((sw - off - 1)) $segsize)" "last complete segment of timeline 1"
cmp -n "$off" "$arch/$old.partial" "$pri_DATA/pg_wal/$old" || fail "$old.partial differs before the switch point"

wp_case "Timeline 2 starts at the switch point's segment, which is whole (the old timeline's bytes up to the switch point, then the new timeline's), as recovery needs it: identical to the server's own file"
[ -f "$arch/$new" ] || fail "no complete $new: $(ls "$arch")"
expect_eq "$(wp_complete_segments "$arch" | grep '^00000002' | head -1)" "$new" "first segment of timeline 2"
cmp -n "$off" "$arch/$new" "$arch/$old.partial" || fail "$new does not begin with the old timeline's bytes"
n2=$(wp_check_segments "$arch" "$sb_DATA/pg_wal" 2)
[ "$n2" -ge 2 ] || fail "expected timeline 2 segments, got $n2"

wp_case "Straight into the segment files (no --verify), the same switch: the same files, byte for byte"
expect_contains "$(cat "$WP_TMP/zc.log")" "straight into the segment files"
expect_contains "$(cat "$WP_TMP/zc.log")" "switched from timeline 1 to timeline 2"
for f in 00000002.history "$old.partial" "$new"; do
    [ -f "$zc/$f" ] || fail "no $f in the second archive: $(ls "$zc")"
done
same=0
# Complete segments and the old timeline's .partial; the newest .partial
# may hold more or less of the idle server's last records.
for f in $(ls "$zc" | grep -E '^[0-9A-F]{24}$|\.history$') "$old.partial"; do
    [ -f "$arch/$f" ] || continue
    cmp "$zc/$f" "$arch/$f" || fail "$f differs between the two receive paths"
    same=$((same + 1))
done
[ "$same" -ge 5 ] || fail "only $same files in common"

wp_case "verify accepts the archive across the switch; recovery from a base backup before it follows the new timeline to its end"
expect_exit 0 "$WALPULL" verify -D "$arch"
expect_contains "$WP_OUT" "on 2 timelines, 1 history file"
expect_contains "$WP_OUT" "no problems found"
chmod -R a+rX "$arch"
rec=$WP_TMP/rec
cp -a "$WP_TMP/base" "$rec"
rm -f "$rec/standby.signal"
{
    echo "restore_command = '$WALPULL restore-wal -D $arch %f %p'"
    echo "recovery_target_timeline = 'latest'"
    echo "hot_standby = on"
    echo "primary_conninfo = ''"
} >>"$rec/postgresql.conf"
touch "$rec/recovery.signal"
wp_start_seeded rec "$rec" sb
wait_for 60 wp_query_is rec "SELECT pg_is_in_recovery()" f
expect_eq "$(wp_psql rec -c "SELECT count(*), max(id) FROM rows_seen")" "150|150" "rows after recovery across the switch"
expect_eq "$(wp_psql rec -c "SELECT timeline_id > 2 FROM pg_control_checkpoint()")" "t" "recovery ended on a timeline after 2"
