#!/usr/bin/env bash
# What the archive's checks cost, on this machine, against a PostgreSQL 15
# primary with 16 MB segments:
#   1. walpull verify over an archive of WAL_MB of ordinary row WAL (many
#      small records), with the files cold (caches dropped) and warm;
#   2. archive catch-up with and without --verify, alternating, REPS times;
#   3. archive catch-up with a status interval of 1 s against the default
#      10 s (the interval is also how often unflushed WAL is made durable),
#      alternating, REPS times.
# Prints Markdown tables.
#   REPS=3 WAL_MB=2200 tools/bench-archive.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${REPS:-3}
WAL_MB=${WAL_MB:-2200}
bash "$root/tools/setup.sh" >/dev/null
dpkg-query -W -f='${Status}' time 2>/dev/null | grep -q 'ok installed' ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
. "$root/tests/lib/harness.sh"
results=$WP_TMP/results
: >"$results"

drop_caches() {
    sync
    [ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches
    return 0
}

# timed LABEL REP CMD...: wall, user, sys of CMD, from a settled state.
timed() {
    local label=$1 rep=$2
    shift 2
    drop_caches
    /usr/bin/time -f "%e %U %S" -o "$WP_TMP/t" "$@" >"$WP_TMP/out" 2>"$WP_TMP/err" ||
        { cat "$WP_TMP/err" >&2; fail "$label failed"; }
    echo "$label $rep $(cat "$WP_TMP/t")" >>"$results"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v l="$1" -v c="$2" '$1 == l {print $c}' "$results"; }

wp_pg_start pri 15
wp_pgpass pri
conn=$(wp_conn_args pri)
wp_psql pri -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET max_replication_slots = 64" >/dev/null
wp_pg_ctl pri restart
# One slot per timed catch-up run keeps the same WAL for each.
runs=()
for ((rep = 1; rep <= REPS; rep++)); do
    for kind in plain verify s1 s10; do runs+=("${kind}_$rep"); done
done
for r in "${runs[@]}"; do "$WALPULL" slot create "b_$r" $conn >/dev/null; done
echo "generating about $WAL_MB MB of row WAL" >&2
wp_psql pri -c "CREATE TABLE filler (id int, pad text)"
rows=$((WAL_MB * 1024 * 1024 / 300))
wp_psql pri -c "INSERT INTO filler SELECT g, repeat('x', 200) FROM generate_series(1, $rows) g" >/dev/null
wp_psql pri -c "SELECT pg_switch_wal()" >/dev/null
end=$(wp_segment_floor_lsn pri $((16 * 1024 * 1024)))

catchup() { # LABEL REP SLOT extra...
    local label=$1 rep=$2 slot=$3 dir=$WP_TMP/a
    shift 3
    rm -rf "$dir"
    mkdir "$dir"
    timed "$label" "$rep" "$WALPULL" archive -D "$dir" --slot "$slot" --endpos "$end" --no-loop "$@" $conn
}

for ((rep = 1; rep <= REPS; rep++)); do
    if [ $((rep % 2)) = 1 ]; then
        catchup plain "$rep" "b_plain_$rep"
        catchup verify "$rep" "b_verify_$rep" --verify
        catchup s10 "$rep" "b_s10_$rep" -s 10
        catchup s1 "$rep" "b_s1_$rep" -s 1
    else
        catchup verify "$rep" "b_verify_$rep" --verify
        catchup plain "$rep" "b_plain_$rep"
        catchup s1 "$rep" "b_s1_$rep" -s 1
        catchup s10 "$rep" "b_s10_$rep" -s 10
    fi
done
# The last archive (complete segments up to end) is the one verified.
bytes=$(du -sb "$WP_TMP/a" | cut -f1)
for ((rep = 1; rep <= REPS; rep++)); do
    timed verify_cold "$rep" "$WALPULL" verify -D "$WP_TMP/a" --json
    cp "$WP_TMP/out" "$WP_TMP/verify.json"
    "$WALPULL" verify -D "$WP_TMP/a" >/dev/null # warm the cache
    sync
    /usr/bin/time -f "%e %U %S" -o "$WP_TMP/t" "$WALPULL" verify -D "$WP_TMP/a" >/dev/null
    echo "verify_warm $rep $(cat "$WP_TMP/t")" >>"$results"
done

records=$(sed -n 's/.*"records": \([0-9]*\).*/\1/p' "$WP_TMP/verify.json")
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.0f", b / 1e6}')
echo
echo "WAL: $mb MB in $(ls "$WP_TMP/a" | grep -c '^[0-9A-F]\{24\}$') segments, $records records; $REPS runs each, medians"
echo
echo "| run | wall s | user s | sys s | MB/s |"
echo "|---|---|---|---|---|"
for l in verify_cold verify_warm plain verify s10 s1; do
    w=$(col $l 3 | median) u=$(col $l 4 | median) s=$(col $l 5 | median)
    echo "| $l | $w | $u | $s | $(awk -v b="$bytes" -v w="$w" 'BEGIN {printf "%.0f", b / 1e6 / w}') |"
done
echo
echo "archive --verify / plain, wall: $(awk '$1=="verify"{v[$2]=$3} $1=="plain"{p[$2]=$3} END{for(r in v) print v[r]/p[r]}' "$results" | median)"
echo "archive -s 1 / -s 10, wall: $(awk '$1=="s1"{v[$2]=$3} $1=="s10"{p[$2]=$3} END{for(r in v) print v[r]/p[r]}' "$results" | median)"
