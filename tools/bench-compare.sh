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
#   2. Seeding: `walpull -D` and `pg_basebackup -D -Fp -X stream` of the
#      same pgbench database, alternating, REPS times, cold and warm.
#   3. The same measurements with walpull alone against OTHER_MAJOR.
# Prints medians and paired ratios (walpull / stock tool) as Markdown.
#   REPS=3 WAL_MB=2048 SCALE=30 OTHER_MAJOR=17 tools/bench-compare.sh
# SECTIONS picks parts (default all): catchup traced sync seed other.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPS=${REPS:-3}
WAL_MB=${WAL_MB:-2048}
SCALE=${SCALE:-30}
OTHER_MAJOR=${OTHER_MAJOR:-17}
SECTIONS=${SECTIONS:-catchup traced sync seed other}
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
    settle
    /usr/bin/time -f "%e %U %S %M" -o "$WP_TMP/t" "$@" >/dev/null 2>"$WP_TMP/err" ||
        { cat "$WP_TMP/err" >&2; fail "$label failed"; }
    echo "$label $rep $(cat "$WP_TMP/t")" >>"$results"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v l="$1" -v c="$2" '$1 == l {print $c}' "$results"; }
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
    mkdir -p "$WP_TMP/a_$rep" "$WP_TMP/r_$rep" "$WP_TMP/b_$rep" "$WP_TMP/l_$rep"
    local order=(w l r b n)
    [ $((rep % 2)) = 0 ] && order=(r b l w n)
    for who in "${order[@]}"; do
        if [ "$who" = w ]; then
            timed "walpull$sfx" "$rep" "$WALPULL" archive -D "$WP_TMP/a_$rep" --slot "wa_$rep" --endpos "$end" --no-loop "$@" $conn
        elif [ "$who" = l ]; then
            timed "walpull_libpq$sfx" "$rep" "$WALPULL" archive --no-zero-copy -D "$WP_TMP/l_$rep" --slot "wl_$rep" --endpos "$end" --no-loop "$@" $conn
        elif [ "$who" = b ]; then
            timed "walpull_buffered$sfx" "$rep" "$WALPULL" archive --no-direct-io -D "$WP_TMP/b_$rep" --slot "wb_$rep" --endpos "$end" --no-loop "$@" $conn
        elif [ "$who" = r ] && [ "$stock" = 1 ]; then
            timed "pg_receivewal$sfx" "$rep" "$BIN15/pg_receivewal" -D "$WP_TMP/r_$rep" --slot "rw_$rep" --endpos "$end" --no-loop "$@" $conn
        elif [ "$who" = n ] && [ $# = 0 ]; then
            # The ceiling: the same range into the counting null sink.
            timed "walpull_null$sfx" "$rep" "$WALPULL" bench --slot "wn_$rep" --sink null $conn
        fi
    done
    rm -rf "$WP_TMP/a_$rep" "$WP_TMP/r_$rep" "$WP_TMP/b_$rep" "$WP_TMP/l_$rep"
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
mkdir -p "$WP_TMP/ta" "$WP_TMP/tr"
settle
traced walpull "$WALPULL" archive -D "$WP_TMP/ta" --slot tw --endpos "$end" --no-loop $conn
settle
traced pg_receivewal "$BIN15/pg_receivewal" -D "$WP_TMP/tr" --slot tr --endpos "$end" --no-loop $conn
rm -rf "$WP_TMP/ta" "$WP_TMP/tr"
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

if has seed; then
echo "== PostgreSQL 15: seeding a pgbench scale $SCALE database, $REPS rounds" >&2
"$BIN15/pgbench" -q -i -s "$SCALE" -h "$p15_SOCK" -p "$p15_PORT" -U postgres postgres >/dev/null 2>&1
dbsize=$(wp_psql p15 -c "SELECT pg_size_pretty(sum(pg_database_size(oid))) FROM pg_database")
# seed_rounds SUFFIX: REPS alternating rounds. The copies are removed only
# after the last round: ext4 makes every file creation scan past inodes
# deleted in the last minutes (recently_deleted, seen at 65 % of a seed's
# CPU in perf), which would charge one run for the previous run's cleanup.
seed_rounds() {
    local sfx=$1 rep who
    for rep in $(seq 1 "$REPS"); do
        local order=(w b p n)
        [ $((rep % 2)) = 0 ] && order=(p b w n)
        # Untimed first, as in the catch-up rounds: whichever run came
        # first in a round was up to 50 % slower, whichever tool it was.
        settle
        "$BIN15/pg_basebackup" -D - -Ft -c fast -X none $conn >/dev/null
        for who in "${order[@]}"; do
            case $who in
            w) timed "seed_walpull$sfx" "$rep" "$WALPULL" -D "$WP_TMP/sw$sfx$rep" -c fast -X stream $conn ;;
            b) timed "seed_walpull_buffered$sfx" "$rep" "$WALPULL" --no-direct-io -D "$WP_TMP/sn$sfx$rep" -c fast -X stream $conn ;;
            p) timed "seed_pg_basebackup$sfx" "$rep" "$BIN15/pg_basebackup" -D "$WP_TMP/sb$sfx$rep" -Fp -c fast -X stream $conn ;;
            # The ceiling: the server reads and sends, nothing is written.
            n) timed "seed_tar_to_null$sfx" "$rep" "$BIN15/pg_basebackup" -D - -Ft -c fast -X none $conn ;;
            esac
        done
    done
    rm -rf "$WP_TMP"/sw* "$WP_TMP"/sn* "$WP_TMP"/sb*
}
seed_rounds ""
echo "== the same, the server's files in its page cache" >&2
WARM=p15
seed_rounds _warm
WARM=
fi
wp_pg_ctl p15 stop fast

if has other; then
echo "== PostgreSQL $OTHER_MAJOR: walpull alone" >&2
wp_pg_start px "$OTHER_MAJOR"
wp_pgpass px
for rep in $(seq 1 "$REPS"); do catchup_round px "$rep" "_$OTHER_MAJOR" 0; done
"$BIN15/pgbench" -q -i -s "$SCALE" -h "$px_SOCK" -p "$px_PORT" -U postgres postgres >/dev/null 2>&1
for rep in $(seq 1 "$REPS"); do
    # shellcheck disable=SC2046 # the connection arguments are words
    timed "seed_walpull_$OTHER_MAJOR" "$rep" "$WALPULL" -D "$WP_TMP/sw$rep" -c fast -X stream $(wp_conn_args px)
done
rm -rf "$WP_TMP"/sw*
fi

# ---- report --------------------------------------------------------------
row() { # LABEL MB
    local l=$1 mb=$2 w c rss
    [ -n "$(col "$l" 3)" ] || return 0
    w=$(col "$l" 3 | median)
    c=$(awk -v l="$l" '$1 == l {print $4 + $5}' "$results" | median)
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
for l in seed_walpull seed_walpull_buffered seed_pg_basebackup seed_tar_to_null seed_walpull_warm \
    seed_walpull_buffered_warm seed_pg_basebackup_warm seed_tar_to_null_warm "seed_walpull_$OTHER_MAJOR"; do
    [ -n "$(col "$l" 3)" ] || continue
    printf '| %s | %.2f | %.2f |\n' "$l" "$(col "$l" 3 | median)" "$(awk -v l="$l" '$1 == l {print $4 + $5}' "$results" | median)"
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
    "$WALPULL" bench --slot cpb --sink "dir:$WP_TMP/cpb" --json "$@" $conn | sed -n 's/.*"copies_per_byte": \([0-9.]*\).*/\1/p'
}
if has catchup; then
    wp_pg_ctl p15 start
    for variant in direct libpq; do
        "$WALPULL" slot create cpb $conn >/dev/null
        gen_wal p15 64
        rm -rf "$WP_TMP/cpb" && mkdir "$WP_TMP/cpb"
        if [ "$variant" = direct ]; then echo "- straight into the files: $(cpb)"; else echo "- through libpq: $(cpb --no-zero-copy)"; fi
        "$WALPULL" slot drop cpb $conn >/dev/null
    done
fi
echo
echo "Raw: label round wall user sys maxrss_kib"
sed 's/^/    /' "$results"
