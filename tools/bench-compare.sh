#!/usr/bin/env bash
# walpull against the stock tools, in the same run, on this machine:
#   1. WAL catch-up: `walpull archive` (O_DIRECT with the COPY read
#      straight into the segment files, the default; the same through
#      libpq, --no-zero-copy; and --no-direct-io) and `pg_receivewal` each
#      stream the same WAL range
#      (retained by a slot of their own) to --endpos, alternating which
#      goes first, REPS times, with the server's files cold (read from
#      disk) and then warm (in its page cache); then one traced run each
#      for syscall and byte counts; then --synchronous, alternating.
#   2. Seeding: `walpull -D` (from the socket, the default; through
#      libpq, --no-zero-copy; --no-direct-io) and `pg_basebackup -D -Fp
#      -X stream` of the same pgbench database, alternating, REPS times,
#      cold and warm.
#   3. The same measurements with walpull alone against OTHER_MAJOR.
# Prints medians and paired ratios (walpull / stock tool) as Markdown.
#   REPS=3 WAL_MB=2048 SCALE=30 OTHER_MAJOR=17 tools/bench-compare.sh
#   4. The disk alone (tools/write-paths.c), in the same run.
# SECTIONS picks parts (default catchup traced sync seed disk other); the
# long ones run only when named: syncfs (syncfs or an fsync per file, with
# another program's dirty data), scale (SCALE_GB=16 of catch-up, 16 and
# 64 MB segments), live (LIVE_CLIENTS=8 writers, 60 s and LIVE_SECS=600),
# seedscale (a pgbench SEED_SCALE=680 database, ~10 GB). DEST=DIR writes
# the copies there instead of beside the servers.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${REPS:-3}
WAL_MB=${WAL_MB:-2048}
SCALE=${SCALE:-30}
OTHER_MAJOR=${OTHER_MAJOR:-17}
SECTIONS=${SECTIONS:-catchup traced sync seed disk other}
has() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }
bash "$root/tools/setup.sh" >/dev/null
for tool in time strace; do
    dpkg-query -W -f='${Status}' "$tool" 2>/dev/null | grep -q 'ok installed' ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
done
. "$root/tests/lib/harness.sh"
BIN15=/usr/lib/postgresql/15/bin
results=$WP_TMP/results
: >"$results"

# OUT: where every tool writes its copies. By default beside the servers,
# on the disk they read from; DEST=DIR puts them on another file system
# (the servers still read their files from theirs).
OUT=${DEST:-$WP_TMP}

# Start each timed run from the same state: nothing dirty (so earlier
# writes are not charged to it), and either nothing cached (WARM unset: the
# server reads its files from disk for every tool alike) or every file of
# server WARM read into the page cache first (a busy primary's WAL and hot
# tables are there).
WARM=
settle() {
    sync
    if [ -n "$WARM" ]; then
        find "$(eval echo "\$${WARM}_DATA")" -type f -exec cat {} + >/dev/null 2>&1 || true
    elif [ -w /proc/sys/vm/drop_caches ]; then
        echo 3 >/proc/sys/vm/drop_caches
    fi
}

# timed LABEL REP CMD...: run CMD from a settled state, record wall, user,
# sys, max RSS.
timed() {
    local label=$1 rep=$2
    shift 2
    [ -n "${NO_SETTLE:-}" ] || settle
    /usr/bin/time -f "%e %U %S %M" -o "$WP_TMP/t" "$@" >/dev/null 2>"$WP_TMP/err" ||
        { cat "$WP_TMP/err" >&2; fail "$label failed"; }
    echo "$label $rep $(cat "$WP_TMP/t")" >>"$results"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v l="$1" -v c="$2" '$1 == l {print $c}' "$results"; }
cpu_med() { awk -v l="$1" '$1 == l {print $4 + $5}' "$results" | median; } # LABEL: median user + sys
# paired LABEL_A LABEL_B COLUMN_EXPR: median over reps of A/B
paired() {
    awk -v a="$1" -v b="$2" -v c="$3" '
        function v(l, r) { return c == "cpu" ? u[l, r] + s[l, r] : w[l, r] }
        { w[$1, $2] = $3; u[$1, $2] = $4; s[$1, $2] = $5; reps[$2] = 1 }
        END { for (r in reps) if (v(b, r) > 0) print v(a, r) / v(b, r) }' "$results" | median
}

gen_wal() { # NAME MB
    wp_psql "$1" -c "SELECT count(pg_logical_emit_message(false, 'bench', repeat('x', 1048576))) FROM generate_series(1, $2)" >/dev/null
}

# catchup_round NAME REP SUFFIX with_stock [extra archive args]: each
# tool streams the same WAL range through a slot of its own; the order
# alternates between rounds. Labels end in SUFFIX.
catchup_round() {
    local name=$1 rep=$2 sfx=$3 stock=$4 conn end
    shift 4
    conn=$(wp_conn_args "$name")
    "$WALPULL" slot create "wa_$rep" $conn >/dev/null
    "$WALPULL" slot create "wn_$rep" $conn >/dev/null
    "$WALPULL" slot create "wu_$rep" $conn >/dev/null
    "$WALPULL" slot create "wb_$rep" $conn >/dev/null
    "$WALPULL" slot create "wl_$rep" $conn >/dev/null
    [ "$stock" = 1 ] && "$WALPULL" slot create "rw_$rep" $conn >/dev/null
    gen_wal "$name" "$WAL_MB"
    end=$(wp_psql "$name" -c "SELECT pg_current_wal_lsn()")
    # Whatever ran first after the WAL was generated was ~35 % slower,
    # whichever tool it was: an untimed pass over the range goes first.
    settle
    "$WALPULL" bench --slot "wu_$rep" --sink null $conn >/dev/null
    mkdir -p "$OUT/a_$rep" "$OUT/r_$rep" "$OUT/b_$rep" "$OUT/l_$rep"
    local order=(w l r b n)
    [ $((rep % 2)) = 0 ] && order=(r b l w n)
    for who in "${order[@]}"; do
        if [ "$who" = w ]; then
            timed "walpull$sfx" "$rep" "$WALPULL" archive -D "$OUT/a_$rep" --slot "wa_$rep" --endpos "$end" --no-loop "$@" $conn
        elif [ "$who" = l ]; then
            timed "walpull_libpq$sfx" "$rep" "$WALPULL" archive --no-zero-copy -D "$OUT/l_$rep" --slot "wl_$rep" --endpos "$end" --no-loop "$@" $conn
        elif [ "$who" = b ]; then
            timed "walpull_buffered$sfx" "$rep" "$WALPULL" archive --no-direct-io -D "$OUT/b_$rep" --slot "wb_$rep" --endpos "$end" --no-loop "$@" $conn
        elif [ "$who" = r ] && [ "$stock" = 1 ]; then
            timed "pg_receivewal$sfx" "$rep" "$BIN15/pg_receivewal" -D "$OUT/r_$rep" --slot "rw_$rep" --endpos "$end" --no-loop "$@" $conn
        elif [ "$who" = n ] && [ $# = 0 ]; then
            # The ceiling: the same range into the counting null sink.
            timed "walpull_null$sfx" "$rep" "$WALPULL" bench --slot "wn_$rep" --sink null $conn
        fi
    done
    rm -rf "$OUT/a_$rep" "$OUT/r_$rep" "$OUT/b_$rep" "$OUT/l_$rep"
    "$WALPULL" slot drop "wb_$rep" $conn >/dev/null
    "$WALPULL" slot drop "wl_$rep" $conn >/dev/null
    "$WALPULL" slot drop "wa_$rep" $conn >/dev/null
    "$WALPULL" slot drop "wn_$rep" $conn >/dev/null
    "$WALPULL" slot drop "wu_$rep" $conn >/dev/null
    [ "$stock" = 1 ] && "$WALPULL" slot drop "rw_$rep" $conn >/dev/null
    return 0
}

# strace: write-type and sync calls, and bytes written (from a full trace
# of the writing calls; an io_submit of a write counts as one call, its
# bytes from the iocbs' aio_nbytes).
traced() { # LABEL CMD...
    local label=$1
    shift
    strace -f -qq -o "$WP_TMP/trace" -e trace=write,pwrite64,writev,pwritev,pwritev2,io_submit,fsync,fdatasync,fallocate,sync_file_range "$@" >/dev/null 2>&1
    awk -v l="$label" '
        /(write|pwrite64|writev|pwritev|pwritev2)\(/ && !/^[0-9]+ +write\([12],/ { n++; if (match($0, /= [0-9]+$/)) b += substr($0, RSTART + 2) }
        /io_submit\(.*IOCB_CMD_PWRITE/ { n++; s = $0
            while (match(s, /aio_nbytes=[0-9]+/)) { b += substr(s, RSTART + 11, RLENGTH - 11); s = substr(s, RSTART + RLENGTH) } }
        /fsync\(|fdatasync\(/ { f++ }
        END { printf "%s %d %d %.0f\n", l, n, f, b }' "$WP_TMP/trace" >>"$WP_TMP/syscalls"
}

wp_pg_start p15 15
wp_pgpass p15
conn=$(wp_conn_args p15)
: >"$WP_TMP/syscalls"
dbsize=
if has catchup; then
echo "== PostgreSQL 15: catch-up of ${WAL_MB} MiB, $REPS rounds" >&2
for rep in $(seq 1 "$REPS"); do catchup_round p15 "$rep" "" 1; done
echo "== PostgreSQL 15: the same, the server's WAL in its page cache" >&2
WARM=p15
for rep in $(seq 1 "$REPS"); do catchup_round p15 "$rep" _warm 1; done
WARM=
fi
if has traced; then
echo "== traced round (syscalls, bytes written)" >&2
"$WALPULL" slot create tw $conn >/dev/null
"$WALPULL" slot create tr $conn >/dev/null
gen_wal p15 1024
end=$(wp_psql p15 -c "SELECT pg_current_wal_lsn()")
mkdir -p "$OUT/ta" "$OUT/tr"
settle
traced walpull "$WALPULL" archive -D "$OUT/ta" --slot tw --endpos "$end" --no-loop $conn
settle
traced pg_receivewal "$BIN15/pg_receivewal" -D "$OUT/tr" --slot tr --endpos "$end" --no-loop $conn
rm -rf "$OUT/ta" "$OUT/tr"
"$WALPULL" slot drop tw $conn >/dev/null
"$WALPULL" slot drop tr $conn >/dev/null
fi
if has sync; then
echo "== --synchronous, $REPS rounds of 512 MiB" >&2
WAL_MB_SAVED=$WAL_MB
WAL_MB=512
for rep in $(seq 1 "$REPS"); do catchup_round p15 "$rep" --synchronous 1 --synchronous; done
WAL_MB=$WAL_MB_SAVED
fi

pgbench_db() { # NAME SCALE: a pgbench database (once), its size in dbsize
    [ -n "$dbsize" ] && return 0
    "$BIN15/pgbench" -q -i -s "$2" -h "$(eval echo "\$${1}_SOCK")" -p "$(eval echo "\$${1}_PORT")" -U postgres postgres >/dev/null 2>&1
    dbsize=$(wp_psql "$1" -c "SELECT pg_size_pretty(sum(pg_database_size(oid))) FROM pg_database")
}
if has seed; then
echo "== PostgreSQL 15: seeding a pgbench scale $SCALE database, $REPS rounds" >&2
pgbench_db p15 "$SCALE"
# seed_rounds SUFFIX: REPS alternating rounds. The copies are removed only
# after the last round: ext4 makes every file creation scan past inodes
# deleted in the last minutes (recently_deleted, seen at 65 % of a seed's
# CPU in perf), which would charge one run for the previous run's cleanup.
seed_rounds() {
    local sfx=$1 rep who
    for rep in $(seq 1 "$REPS"); do
        local order=(w l b p n)
        [ $((rep % 2)) = 0 ] && order=(p b l w n)
        # Untimed first, as in the catch-up rounds: whichever run came
        # first in a round was up to 50 % slower, whichever tool it was.
        settle
        "$BIN15/pg_basebackup" -D - -Ft -c fast -X none $conn >/dev/null
        for who in "${order[@]}"; do
            case $who in
            w) timed "seed_walpull$sfx" "$rep" "$WALPULL" -D "$OUT/sw$sfx$rep" -c fast -X stream $conn ;;
            l) timed "seed_walpull_libpq$sfx" "$rep" "$WALPULL" --no-zero-copy -D "$OUT/sl$sfx$rep" -c fast -X stream $conn ;;
            b) timed "seed_walpull_buffered$sfx" "$rep" "$WALPULL" --no-direct-io -D "$OUT/sn$sfx$rep" -c fast -X stream $conn ;;
            p) timed "seed_pg_basebackup$sfx" "$rep" "$BIN15/pg_basebackup" -D "$OUT/sb$sfx$rep" -Fp -c fast -X stream $conn ;;
            # The ceiling: the server reads and sends, nothing is written.
            n) timed "seed_tar_to_null$sfx" "$rep" "$BIN15/pg_basebackup" -D - -Ft -c fast -X none $conn ;;
            esac
        done
    done
    rm -rf "$OUT"/sw* "$OUT"/sl* "$OUT"/sn* "$OUT"/sb*
}
seed_rounds ""
echo "== the same, the server's files in its page cache" >&2
WARM=p15
seed_rounds _warm
WARM=
fi
if has syncfs; then
# How to make a seeded copy durable: syncfs flushes every dirty page of the
# file system, other programs' too; an fsync of each file and directory
# flushes only the copy's. Each round: DIRTY_MB of another program's
# unsynced data (or none), a seed without sync, then one method, timed.
echo "== syncfs or an fsync per file, with and without other dirty data, $REPS rounds" >&2
pgbench_db p15 "$SCALE"
cc -O2 -o "$WP_TMP/sync-paths" "$root/tools/sync-paths.c"
DIRTY_MB=${DIRTY_MB:-1536}
: >"$WP_TMP/syncs"
dirty_start() { # MB: a settled state, then MB of unsynced data (none for 0)
    settle
    [ "$1" = 0 ] || dd if=/dev/zero of="$OUT/dirty" bs=1M count="$1" status=none
}
for rep in $(seq 1 "$REPS"); do
    methods=(syncfs fsync)
    [ $((rep % 2)) = 0 ] && methods=(fsync syncfs)
    for dirty in 0 "$DIRTY_MB"; do
        for m in "${methods[@]}"; do
            dirty_start "$dirty"
            t0=$(date +%s.%N)
            "$WALPULL" basebackup -D "$OUT/dur_$rep$m$dirty" -N -c fast -X stream $conn
            t1=$(date +%s.%N)
            read -r _ files dirs secs < <("$WP_TMP/sync-paths" "$OUT/dur_$rep$m$dirty" "$m")
            echo "$m $dirty $rep $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}') $secs $files $dirs" >>"$WP_TMP/syncs"
            rm -f "$OUT/dirty"
        done
        # The whole seed: as shipped (auto), with each method forced, and
        # pg_basebackup.
        tools=(auto fsync syncfs stock)
        [ $((rep % 2)) = 0 ] && tools=(stock syncfs fsync auto)
        for t in "${tools[@]}"; do
            dirty_start "$dirty"
            # Timed from here: the other program's data still dirty.
            case $t in
            stock) NO_SETTLE=1 timed "durable_pg_basebackup_$dirty" "$rep" "$BIN15/pg_basebackup" -D "$OUT/dur_s$rep$dirty" -Fp -c fast -X stream $conn ;;
            *) NO_SETTLE=1 timed "durable_walpull_${t}_$dirty" "$rep" "$WALPULL" -D "$OUT/dur_$t$rep$dirty" -c fast -X stream --sync-method "$t" $conn ;;
            esac
            rm -f "$OUT/dirty"
        done
    done
done
rm -rf "$OUT"/dur_*
fi
wp_pg_ctl p15 stop fast

if has disk; then
# What the disk takes alone, in the same run: tools/write-paths.c writes
# 2 GiB of 16 MB segments in 8 MB writes, O_DIRECT and through the page
# cache, from a settled state.
echo "== the disk alone (tools/write-paths.c), $REPS rounds" >&2
cc -O2 -o "$WP_TMP/write-paths" "$root/tools/write-paths.c"
mkdir -p "$OUT/wpaths"
for rep in $(seq 1 "$REPS"); do
    for path in direct buffered; do
        settle
        "$WP_TMP/write-paths" "$OUT/wpaths" "$path" 8 |
            sed -n "s/.* = \([0-9]*\) MiB\/s, CPU .* = \([0-9.]*\) s\/GiB/disk_$path $rep \1 \2/p" >>"$WP_TMP/disk"
    done
done
fi

if has scale; then
# Catch-up at scale: SCALE_GB of WAL with 16 MB and with 64 MB segments,
# one cold run each of walpull, pg_receivewal and the null sink, on a
# server of its own per segment size (removed after, for the disk's sake).
SCALE_GB=${SCALE_GB:-16}
for seg in 16 64; do
    echo "== catch-up of $SCALE_GB GiB, $seg MB segments" >&2
    name=ps$seg
    wp_pg_start "$name" 15 --wal-segsize="$seg"
    wp_pgpass "$name"
    sc=$(wp_conn_args "$name")
    for who in w r n; do "$WALPULL" slot create "s${who}_$seg" $sc >/dev/null; done
    gen_wal "$name" $((SCALE_GB * 1024))
    end=$(wp_psql "$name" -c "SELECT pg_current_wal_lsn()")
    order=(w r n)
    [ "$seg" = 64 ] && order=(r w n)
    for who in "${order[@]}"; do
        mkdir -p "$OUT/scale"
        case $who in
        w) timed "scale${seg}_walpull" 1 "$WALPULL" archive -D "$OUT/scale" --slot "sw_$seg" --endpos "$end" --no-loop $sc ;;
        r) timed "scale${seg}_pg_receivewal" 1 "$BIN15/pg_receivewal" -D "$OUT/scale" --slot "sr_$seg" --endpos "$end" --no-loop $sc ;;
        n) timed "scale${seg}_null" 1 "$WALPULL" bench --slot "sn_$seg" --sink null $sc ;;
        esac
        rm -rf "$OUT/scale"
        "$WALPULL" slot drop "s${who}_$seg" $sc >/dev/null
    done
    wp_pg_ctl "$name" stop fast
    rm -rf "$(eval echo "\$${name}_DATA")"
done
fi

if has live; then
# Live mode: walpull follows WAL written by LIVE_CLIENTS client
# connections, for LIVE_SHORT (a minute) and LIVE_SECS (ten minutes) into
# the null sink, and for LIVE_SHORT into a directory (ten minutes of WAL at
# this rate would not fit on the disk).
LIVE_SECS=${LIVE_SECS:-600}
LIVE_CLIENTS=${LIVE_CLIENTS:-8}
LIVE_SHORT=${LIVE_SHORT:-60}
echo "== live mode, $LIVE_CLIENTS clients: $LIVE_SHORT s, $LIVE_SHORT s into a directory, $LIVE_SECS s" >&2
wp_pg_start pl 15
wp_pgpass pl
lc=$(wp_conn_args pl)
wp_psql pl -c "GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO $WP_REPL_USER" >/dev/null
live_run() { # LABEL ARGS...
    local label=$1
    shift
    settle
    echo "$label $("$WALPULL" bench --mode live --clients "$LIVE_CLIENTS" --json "$@" $lc)" >>"$WP_TMP/live"
}
live_run "live_${LIVE_SHORT}_null" --duration "$LIVE_SHORT"
mkdir -p "$OUT/livedir"
live_run "live_${LIVE_SHORT}_dir" --duration "$LIVE_SHORT" --sink "dir:$OUT/livedir"
rm -rf "$OUT/livedir"
live_run "live_${LIVE_SECS}_null" --duration "$LIVE_SECS"
wp_pg_ctl pl stop fast
fi

if has seedscale; then
# Seeding a large database: pgbench at SEED_SCALE (680: about 10 GB),
# one cold round each of walpull and pg_basebackup, and the ceiling.
SEED_SCALE=${SEED_SCALE:-680}
echo "== seeding a pgbench scale $SEED_SCALE database" >&2
wp_pg_start pb 15
wp_pgpass pb
bc=$(wp_conn_args pb)
"$BIN15/pgbench" -q -i -I dtGvp -s "$SEED_SCALE" -h "$pb_SOCK" -p "$pb_PORT" -U postgres postgres >/dev/null 2>&1
bigsize=$(wp_psql pb -c "SELECT sum(pg_database_size(oid))::bigint / 1048576 FROM pg_database")
settle
"$BIN15/pg_basebackup" -D - -Ft -c fast -X none $bc >/dev/null
timed seedbig_walpull 1 "$WALPULL" -D "$OUT/bigw" -c fast -X stream $bc
rm -rf "$OUT/bigw"
timed seedbig_pg_basebackup 1 "$BIN15/pg_basebackup" -D "$OUT/bigb" -Fp -c fast -X stream $bc
rm -rf "$OUT/bigb"
timed seedbig_tar_to_null 1 "$BIN15/pg_basebackup" -D - -Ft -c fast -X none $bc
wp_pg_ctl pb stop fast
rm -rf "$pb_DATA"
fi

if has other; then
echo "== PostgreSQL $OTHER_MAJOR: walpull alone" >&2
wp_pg_start px "$OTHER_MAJOR"
wp_pgpass px
for rep in $(seq 1 "$REPS"); do catchup_round px "$rep" "_$OTHER_MAJOR" 0; done
"$BIN15/pgbench" -q -i -s "$SCALE" -h "$px_SOCK" -p "$px_PORT" -U postgres postgres >/dev/null 2>&1
for rep in $(seq 1 "$REPS"); do
    # shellcheck disable=SC2046 # the connection arguments are words
    timed "seed_walpull_$OTHER_MAJOR" "$rep" "$WALPULL" -D "$OUT/sw$rep" -c fast -X stream $(wp_conn_args px)
done
rm -rf "$OUT"/sw*
fi

# ---- report --------------------------------------------------------------
row() { # LABEL MB
    local l=$1 mb=$2 w c rss
    [ -n "$(col "$l" 3)" ] || return 0
    w=$(col "$l" 3 | median)
    c=$(cpu_med "$l")
    rss=$(col "$l" 6 | median)
    awk -v l="$l" -v w="$w" -v c="$c" -v mb="$mb" -v rss="$rss" 'BEGIN {
        printf "| %s | %.2f | %.0f | %.2f | %.2f | %.0f |\n", l, w, mb / w, c, c / (mb / 1024), rss }'
}
echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); medians of $REPS rounds."
echo
echo "| run | wall s | MiB/s | CPU s | CPU s/GiB | peak RSS KiB |"
echo "|---|---|---|---|---|---|"
for w in "" _warm; do
    row "walpull$w" "$WAL_MB"
    row "walpull_libpq$w" "$WAL_MB"
    row "walpull_buffered$w" "$WAL_MB"
    row "pg_receivewal$w" "$WAL_MB"
    row "walpull_null$w" "$WAL_MB"
done
row "walpull--synchronous" 512
row "walpull_libpq--synchronous" 512
row "walpull_buffered--synchronous" 512
row "pg_receivewal--synchronous" 512
row "walpull_$OTHER_MAJOR" "$WAL_MB"
row "walpull_null_$OTHER_MAJOR" "$WAL_MB"
echo
echo "Seeding ($dbsize in all databases):"
echo
echo "| run | wall s | CPU s |"
echo "|---|---|---|"
for l in seed_walpull seed_walpull_libpq seed_walpull_buffered seed_pg_basebackup seed_tar_to_null \
    seed_walpull_warm seed_walpull_libpq_warm seed_walpull_buffered_warm seed_pg_basebackup_warm \
    seed_tar_to_null_warm "seed_walpull_$OTHER_MAJOR"; do
    [ -n "$(col "$l" 3)" ] || continue
    printf '| %s | %.2f | %.2f |\n' "$l" "$(col "$l" 3 | median)" "$(cpu_med "$l")"
done
echo
echo "Paired ratios, walpull / stock tool (median over rounds):"
echo
echo "| comparison | wall | CPU |"
echo "|---|---|---|"
ratio() { # TITLE LABEL_A LABEL_B
    [ -n "$(col "$2" 3)" ] && [ -n "$(col "$3" 3)" ] || return 0
    printf '| %s | %.2f | %.2f |\n' "$1" "$(paired "$2" "$3" wall)" "$(paired "$2" "$3" cpu)"
}
ratio "archive catch-up vs pg_receivewal, cold" walpull pg_receivewal
ratio "archive catch-up: no copy vs through libpq, cold" walpull walpull_libpq
ratio "archive catch-up: no copy vs through libpq, warm" walpull_warm walpull_libpq_warm
ratio "archive catch-up vs the null sink, cold" walpull walpull_null
ratio "archive catch-up vs the null sink, warm" walpull_warm walpull_null_warm
ratio "archive catch-up vs pg_receivewal, warm" walpull_warm pg_receivewal_warm
ratio "archive --no-direct-io vs pg_receivewal, cold" walpull_buffered pg_receivewal
ratio "archive --no-direct-io vs pg_receivewal, warm" walpull_buffered_warm pg_receivewal_warm
ratio "--synchronous vs pg_receivewal --synchronous" walpull--synchronous pg_receivewal--synchronous
ratio "--synchronous: no copy vs through libpq" walpull--synchronous walpull_libpq--synchronous
ratio "seed vs pg_basebackup -Fp -X stream, cold" seed_walpull seed_pg_basebackup
ratio "seed vs pg_basebackup -Fp -X stream, warm" seed_walpull_warm seed_pg_basebackup_warm
ratio "seed from the socket vs through libpq (--no-zero-copy), cold" seed_walpull seed_walpull_libpq
ratio "seed from the socket vs through libpq (--no-zero-copy), warm" seed_walpull_warm seed_walpull_libpq_warm
ratio "seed --no-direct-io vs pg_basebackup, cold" seed_walpull_buffered seed_pg_basebackup
ratio "seed --no-direct-io vs pg_basebackup, warm" seed_walpull_buffered_warm seed_pg_basebackup_warm
echo
echo "Traced catch-up of 1024 MiB (strace; counts, not times):"
echo
echo "| tool | write-type calls | fsync/fdatasync | bytes written |"
echo "|---|---|---|---|"
awk '{printf "| %s | %d | %d | %.0f MiB |\n", $1, $2, $3, $4 / 1048576}' "$WP_TMP/syscalls"
echo
echo "Payload bytes copied in user space per byte streamed (walpull bench, dir sink):"
echo
cpb() { # ARGS...: the copies_per_byte walpull bench reports
    "$WALPULL" bench --slot cpb --sink "dir:$OUT/cpb" --json "$@" $conn | sed -n 's/.*"copies_per_byte": \([0-9.]*\).*/\1/p'
}
if has catchup; then
    wp_pg_ctl p15 start
    for variant in direct libpq; do
        "$WALPULL" slot create cpb $conn >/dev/null
        gen_wal p15 64
        rm -rf "$OUT/cpb" && mkdir "$OUT/cpb"
        if [ "$variant" = direct ]; then echo "- straight into the files: $(cpb)"; else echo "- through libpq: $(cpb --no-zero-copy)"; fi
        "$WALPULL" slot drop cpb $conn >/dev/null
    done
fi
if [ -s "$WP_TMP/disk" ]; then
    echo
    echo "The disk alone (tools/write-paths.c, 2 GiB of 16 MB segments in 8 MB writes; medians):"
    echo
    echo "| path | MiB/s | CPU s/GiB |"
    echo "|---|---|---|"
    for path in direct buffered; do
        printf '| %s | %s | %s |\n' "$path" "$(awk -v l="disk_$path" '$1 == l {print $3}' "$WP_TMP/disk" | median)" \
            "$(awk -v l="disk_$path" '$1 == l {print $4}' "$WP_TMP/disk" | median)"
    done
fi
if [ -n "$(col scale16_walpull 3)$(col scale64_walpull 3)" ]; then
    echo
    echo "Catch-up of ${SCALE_GB:-16} GiB, cold, one run each:"
    echo
    echo "| run | wall s | MiB/s | CPU s | CPU s/GiB | peak RSS KiB |"
    echo "|---|---|---|---|---|---|"
    for seg in 16 64; do
        for t in walpull pg_receivewal null; do row "scale${seg}_$t" $((${SCALE_GB:-16} * 1024)); done
    done
    echo
    echo "| comparison | wall | CPU |"
    echo "|---|---|---|"
    for seg in 16 64; do
        ratio "$seg MB segments: walpull vs pg_receivewal" "scale${seg}_walpull" "scale${seg}_pg_receivewal"
        ratio "$seg MB segments: walpull vs the null sink" "scale${seg}_walpull" "scale${seg}_null"
    done
fi
if [ -s "$WP_TMP/live" ]; then
    echo
    echo "Live mode, ${LIVE_CLIENTS:-8} clients writing:"
    echo
    echo "| run | GiB | MiB/s | CPU s/GiB | peak RSS KiB | lag p50 / p99 ms | lag p99 MiB |"
    echo "|---|---|---|---|---|---|---|"
    while read -r label json; do
        printf '%s\n' "$json" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print("| %s | %.1f | %.0f | %.3f | %d | %.2f / %.2f | %.1f |" % (sys.argv[1], j["bytes"] / 2**30, j["mib_per_s"],
      j["cpu_s_per_gib"], j["peak_rss_kib"], j["lag_ms"]["p50"], j["lag_ms"]["p99"], j["lag_bytes"]["p99"] / 2**20))' "$label"
    done <"$WP_TMP/live"
fi
if [ -n "$(col seedbig_walpull 3)" ]; then
    echo
    echo "Seeding a pgbench scale ${SEED_SCALE:-680} database ($bigsize MiB), cold, one run each:"
    echo
    echo "| run | wall s | MiB/s | CPU s | peak RSS KiB |"
    echo "|---|---|---|---|---|"
    for l in seedbig_walpull seedbig_pg_basebackup seedbig_tar_to_null; do
        awk -v l="$l" -v mb="$bigsize" '$1 == l {printf "| %s | %.2f | %.0f | %.2f | %d |\n", l, $3, mb / $3, $4 + $5, $6}' "$results"
    done
fi
if [ -s "$WP_TMP/syncs" ]; then
    echo
    echo "Making a seeded copy durable (medians; seconds; copy of $dbsize):"
    echo
    echo "| method | other dirty data | seed without sync | sync | files | directories |"
    echo "|---|---|---|---|---|---|"
    for dirty in 0 "${DIRTY_MB:-1536}"; do
        for m in syncfs fsync; do
            awk -v m="$m" -v d="$dirty" '$1 == m && $2 == d' "$WP_TMP/syncs" >"$WP_TMP/sel"
            [ -s "$WP_TMP/sel" ] || continue
            printf '| %s | %s MiB | %.3f | %.3f | %s | %s |\n' "$m" "$dirty" \
                "$(awk '{print $4}' "$WP_TMP/sel" | median)" "$(awk '{print $5}' "$WP_TMP/sel" | median)" \
                "$(awk 'NR == 1 {print $6}' "$WP_TMP/sel")" "$(awk 'NR == 1 {print $7}' "$WP_TMP/sel")"
        done
    done
    echo
    echo "The whole seed (medians):"
    echo
    echo "| run | other dirty data | wall s | CPU s |"
    echo "|---|---|---|---|"
    for dirty in 0 "${DIRTY_MB:-1536}"; do
        for t in walpull_auto walpull_fsync walpull_syncfs pg_basebackup; do
            l=durable_${t}_$dirty
            [ -n "$(col "$l" 3)" ] || continue
            printf '| %s | %s MiB | %.2f | %.2f |\n' "$t" "$dirty" "$(col "$l" 3 | median)" \
                "$(cpu_med "$l")"
        done
    done
    echo
    echo "Raw: method dirty_mib round seed_s sync_s files dirs"
    sed 's/^/    /' "$WP_TMP/syncs"
fi
echo
echo "Raw: label round wall user sys maxrss_kib"
sed 's/^/    /' "$results"
