# shellcheck shell=bash
# Test harness: real PostgreSQL servers on 127.0.0.1, started as the
# unprivileged postgres user when run as root, always torn down on exit.
# Source it from a test script; see tests/README.md.
set -euo pipefail

WP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WALPULL=${WALPULL:-$WP_ROOT/build/walpull}
WP_REPL_USER=replication_user
WP_REPL_PASSWORD=${WP_REPL_PASSWORD:-repl-$RANDOM-$RANDOM}
WP_SERVERS=()
WP_PIDS=()
WP_CLEANUP=()

WP_TMP=$(mktemp -d /tmp/walpull-test.XXXXXX)
chmod 755 "$WP_TMP"
[ "$(id -u)" = 0 ] && chown postgres: "$WP_TMP"

# Run a command as the server's owner.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Where a major's server binaries are; fails if not installed.
wp_bindir() {
    local major=$1 dir
    if [ "$major" = 15 ]; then dir=/usr/lib/postgresql/15/bin; else dir=$WP_ROOT/.pg/$major/bin; fi
    [ -x "$dir/postgres" ] || { echo "PostgreSQL $major is not installed (run tools/setup.sh)" >&2; return 1; }
    echo "$dir"
}

# Client tools (psql, pg_waldump, pgbench...) come from Debian's 15.
WP_CLIENT_BIN=/usr/lib/postgresql/15/bin

# A free TCP port on 127.0.0.1 in the high range, outside the kernel's
# ephemeral range: a port some client socket holds as its local end takes
# no connections, so it looks free, yet a server cannot bind it.
wp_free_port() {
    local p lo=32768 hi=60999
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    while :; do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 45535))
        [ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# wp_pg_start NAME MAJOR [initdb options...]: initdb, configure and start a
# primary on a free port (or $WP_PORT). Sets NAME_PORT, NAME_DATA, NAME_BIN, NAME_SOCK.
wp_pg_start() {
    local name=$1 major=$2
    shift 2
    local bin data port sock
    bin=$(wp_bindir "$major")
    data=$WP_TMP/$name
    sock=$WP_TMP/sock-$name
    port=${WP_PORT:-$(wp_free_port)}
    as_pg mkdir -p "$sock"
    as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C -N "$@" \
        >"$WP_TMP/$name-initdb.log" 2>&1 || { cat "$WP_TMP/$name-initdb.log" >&2; return 1; }
    wp_pg_configure "$data" "$port" "$sock"
    printf -v "${name}_PORT" %s "$port"
    printf -v "${name}_DATA" %s "$data"
    printf -v "${name}_BIN" %s "$bin"
    printf -v "${name}_SOCK" %s "$sock"
    wp_pg_ctl "$name" start
    wp_psql "$name" -c "CREATE ROLE $WP_REPL_USER LOGIN REPLICATION PASSWORD '$WP_REPL_PASSWORD'" >/dev/null
}

# Settings and pg_hba lines for a test server: TCP on 127.0.0.1 only,
# SCRAM for everything over TCP, trust only for the owner's socket.
wp_pg_configure() {
    local data=$1 port=$2 sock=$3
    as_pg tee -a "$data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
password_encryption = 'scram-sha-256'
fsync = off
shared_buffers = 32MB
wal_keep_size = 0
logging_collector = off
CONF
    as_pg tee "$data/pg_hba.conf" >/dev/null <<HBA
local all postgres trust
host replication all 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
HBA
}

# wp_pg_ctl NAME start|stop [mode]|restart [mode]|promote
wp_pg_ctl() {
    local name=$1 action=$2 mode=${3:-fast}
    local bin data
    bin=$(eval echo "\$${name}_BIN")
    data=$(eval echo "\$${name}_DATA")
    case "$action" in
    start)
        as_pg "$bin/pg_ctl" -D "$data" -l "$WP_TMP/$name.log" -w -t 60 start >/dev/null \
            || { cat "$WP_TMP/$name.log" >&2; return 1; }
        local known=0 s
        for s in "${WP_SERVERS[@]}"; do [ "$s" = "$name" ] && known=1; done
        [ $known = 1 ] || WP_SERVERS+=("$name")
        ;;
    stop) as_pg "$bin/pg_ctl" -D "$data" -m "$mode" -w -t 60 stop >/dev/null ;;
    restart) as_pg "$bin/pg_ctl" -D "$data" -l "$WP_TMP/$name.log" -m "$mode" -w -t 60 restart >/dev/null ;;
    promote) as_pg "$bin/pg_ctl" -D "$data" -w -t 60 promote >/dev/null ;;
    esac
}

# wp_psql NAME [psql args...]: as the superuser over the server's socket.
wp_psql() {
    local name=$1
    shift
    PGOPTIONS="-c client_min_messages=warning" "$WP_CLIENT_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$(eval echo "\$${name}_SOCK")" \
        -p "$(eval echo "\$${name}_PORT")" -U postgres -d postgres "$@"
}

# Write a .pgpass for the replication user on NAME's port and export
# PGPASSFILE to it; the walpull under test finds the password there.
wp_pgpass() {
    local name=$1
    local f=$WP_TMP/pgpass
    echo "127.0.0.1:$(eval echo "\$${name}_PORT"):*:$WP_REPL_USER:$WP_REPL_PASSWORD" >>"$f"
    chmod 600 "$f"
    export PGPASSFILE=$f
}

# Connection arguments for walpull against NAME.
wp_conn_args() {
    echo "-h 127.0.0.1 -p $(eval echo "\$${1}_PORT") -U $WP_REPL_USER -w"
}

# Start a background command and remember it for the teardown.
wp_spawn() {
    "$@" &
    WP_PIDS+=($!)
}

# Run a command at teardown (before the servers stop).
wp_on_exit() { WP_CLEANUP+=("$*"); }

# --- TAP: each case prints its own result line ---------------------------
# wp_case TITLE starts a case; the previous one passed if the script got
# here. A failure (any non-zero exit) marks the open case "not ok"; the
# plan line comes last, so a case that never ran is never counted.
WP_CASE_N=0
WP_CASE_TITLE=
wp_case() {
    wp_case_close ok
    WP_CASE_N=$((WP_CASE_N + 1))
    WP_CASE_TITLE=$1
}
WP_CASE_SKIP=
wp_case_close() {
    [ -n "$WP_CASE_TITLE" ] || return 0
    echo "$1 $WP_CASE_N - $WP_CASE_TITLE${WP_CASE_SKIP:+ # SKIP $WP_CASE_SKIP}"
    WP_CASE_TITLE=
    WP_CASE_SKIP=
}

# wp_as_root: true when running as root (mounts, unwritable directories);
# otherwise the open case is reported as skipped, never as passed.
wp_as_root() {
    [ "$(id -u)" = 0 ] && return 0
    WP_CASE_SKIP="needs root"
    return 1
}

wp_teardown() {
    local rc=$? s p c
    if [ "$rc" = 0 ]; then
        wp_case_close ok
    else
        [ -n "$WP_CASE_TITLE" ] || wp_case "set-up"
        wp_case_close "not ok"
    fi
    echo "1..$WP_CASE_N"
    for c in "${WP_CLEANUP[@]}"; do eval "$c" 2>/dev/null || true; done
    for p in "${WP_PIDS[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
    for s in "${WP_SERVERS[@]}"; do
        local bin data
        bin=$(eval echo "\$${s}_BIN")
        data=$(eval echo "\$${s}_DATA")
        [ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    if [ $rc != 0 ] && [ -n "${WP_KEEP_TMP:-}" ]; then
        echo "kept $WP_TMP" >&2
    else
        rm -rf "$WP_TMP"
    fi
    exit $rc
}
trap wp_teardown EXIT
trap 'exit 130' INT TERM

# --- assertions: each prints what differed and fails the test ------------
fail() {
    echo "FAIL: $*" >&2
    printf 'FAIL: %s\n' "$*" | head -c 4000 | sed 's/^/# /'
    exit 1
}

expect_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"; }

expect_contains() {
    case "$1" in *"$2"*) ;; *) fail "${3:-output}: expected to contain '$2', got: $1" ;; esac
}

# expect_exit CODE CMD...: run CMD, capture stdout+stderr in WP_OUT.
expect_exit() {
    local want=$1 got=0
    shift
    WP_OUT=$("$@" 2>&1) || got=$?
    [ "$got" = "$want" ] || fail "exit code of '$*': expected $want, got $got; output: $WP_OUT"
}

# expect_wait_exit CODE PID WHAT: wait for a process started with wp_spawn
# and check its exit code.
expect_wait_exit() {
    local got=0
    wait "$2" || got=$?
    expect_eq "$got" "$1" "$3"
}

# wp_query_is NAME SQL VALUE: does SQL on server NAME give VALUE? (for
# wait_for; errors, e.g. while a server starts, count as no)
wp_query_is() {
    [ "$(wp_psql "$1" -c "$2" 2>/dev/null)" = "$3" ]
}

# wp_terminate_sender NAME STATE PID LOG WHAT: once a walsender on server
# NAME is in STATE ('backup', 'streaming') and has run a second, terminate
# it; the walpull run PID (started with wp_spawn, output in LOG) must then
# exit 1 with the server's words.
wp_terminate_sender() {
    local name=$1 state=$2 pid=$3 log=$4 what=$5
    wait_for 30 wp_query_is "$name" "SELECT count(*) > 0 FROM pg_stat_replication WHERE state = '$state'" t
    sleep 1
    wp_psql "$name" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE state = '$state'" >/dev/null
    expect_wait_exit 1 "$pid" "$what"
    expect_contains "$(cat "$log")" "terminating connection due to administrator command"
}

# wp_archive_setup MAJOR: a primary "pri" with 1 MB segments, its .pgpass,
# and an empty archive directory. Sets segsize, conn and arch.
wp_archive_setup() {
    segsize=$((1024 * 1024))
    wp_pg_start pri "$1" --wal-segsize=1
    wp_pgpass pri
    # shellcheck disable=SC2034 # read by the test scripts
    conn=$(wp_conn_args pri)
    arch=$WP_TMP/archive
    mkdir "$arch"
}

# wait_for SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
    local limit=$1 i
    shift
    for ((i = 0; i < limit * 10; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "timed out after ${limit}s waiting for: $*"
}

# --- LSN helpers -----------------------------------------------------------
lsn_to_int() { local hi=${1%/*} lo=${1#*/}; echo $(( (16#$hi << 32) | 16#$lo )); }
int_to_lsn() { printf '%X/%X\n' $(( $1 >> 32 )) $(( $1 & 0xFFFFFFFF )); }

# Current WAL position of NAME rounded down to a segment start (segsize bytes).
wp_segment_floor_lsn() {
    local name=$1 segsize=$2 lsn
    lsn=$(lsn_to_int "$(wp_psql "$name" -c "SELECT pg_current_wal_lsn()")")
    int_to_lsn $(( lsn - lsn % segsize ))
}

# Generate roughly MB megabytes of WAL on NAME and switch to a new segment.
wp_make_wal() {
    local name=$1 mb=$2
    wp_psql "$name" -c "CREATE TABLE IF NOT EXISTS wal_filler (id int, pad text)" \
        -c "INSERT INTO wal_filler SELECT g, repeat('x', 1000) FROM generate_series(1, $((mb * 900))) g" \
        -c "SELECT pg_switch_wal()" >/dev/null
}

# Segment files of DIR that are complete (24 hex digits, no suffix).
wp_complete_segments() { ls "$1" | grep -E '^[0-9A-F]{24}$' || true; }

# Name of the segment holding byte LSNINT (an integer) on timeline TLI.
wp_segname() {
    local tli=$1 lsn=$2 segsize=$3
    local segno=$((lsn / segsize)) per=$((0x100000000 / segsize))
    printf '%08X%08X%08X\n' "$tli" $((segno / per)) $((segno % per))
}

# wp_pg_standby NAME FROM: make NAME a streaming standby of FROM from a
# cold copy of FROM's data directory (FROM is stopped for the copy).
wp_pg_standby() {
    local name=$1 from=$2
    local fdata fbin fport data port sock
    fdata=$(eval echo "\$${from}_DATA")
    fbin=$(eval echo "\$${from}_BIN")
    fport=$(eval echo "\$${from}_PORT")
    data=$WP_TMP/$name
    sock=$WP_TMP/sock-$name
    port=$(wp_free_port)
    wp_pg_ctl "$from" stop fast
    as_pg cp -a "$fdata" "$data"
    wp_pg_ctl "$from" start
    as_pg mkdir -p "$sock"
    as_pg tee -a "$data/postgresql.conf" >/dev/null <<CONF
port = $port
unix_socket_directories = '$sock'
hot_standby = on
primary_conninfo = 'host=127.0.0.1 port=$fport user=$WP_REPL_USER password=$WP_REPL_PASSWORD application_name=$name'
CONF
    as_pg touch "$data/standby.signal"
    printf -v "${name}_PORT" %s "$port"
    printf -v "${name}_DATA" %s "$data"
    printf -v "${name}_BIN" %s "$fbin"
    printf -v "${name}_SOCK" %s "$sock"
    wp_pg_ctl "$name" start
}

# True when walpull (application_name walpull) on NAME has reported a write
# position at least at NAME's current WAL position.
wp_walpull_caught_up() {
    local name=$1 cur
    cur=$(wp_psql "$name" -c "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END")
    [ "$(wp_psql "$name" -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walpull' AND flush_lsn >= '$cur'")" = 1 ]
}

wp_walpull_written() {
    local name=$1 cur
    cur=$(wp_psql "$name" -c "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END")
    [ "$(wp_psql "$name" -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walpull' AND write_lsn >= '$cur'")" = 1 ]
}

# Check that DIR's complete segments of timeline TLI are consecutive (no
# gap) and byte-identical to those in REFDIR; prints how many there were.
# SEGSIZE defaults to 1 MB; the first segment is compared from byte SKIP on
# (a timeline's first segment starts at the switch point).
wp_check_segments() {
    local dir=$1 refdir=$2 tli=$3 per=$((0x100000000 / ${4:-1048576})) skip=${5:-0} prev="" s n=0
    for s in $(wp_complete_segments "$dir" | grep "^$(printf %08X "$tli")"); do
        if [ -n "$prev" ]; then
            local a=$((16#${prev:8:8} * per + 16#${prev:16:8})) b=$((16#${s:8:8} * per + 16#${s:16:8}))
            [ "$b" = $((a + 1)) ] || fail "gap in the archive between $prev and $s"
        fi
        cmp -i "$skip" "$dir/$s" "$refdir/$s" || fail "segment $s differs from the server's"
        skip=0
        prev=$s
        n=$((n + 1))
    done
    echo "$n"
}

# wp_start_seeded NAME DIR FROM: start a walpull-seeded directory as server
# NAME (same major as FROM) on a free port; the files go to postgres.
wp_start_seeded() {
    local name=$1 dir=$2 from=$3 port sock
    chown -R postgres: "$dir"
    port=${WP_PORT:-$(wp_free_port)}
    sock=$WP_TMP/sock-$name
    as_pg mkdir -p "$sock"
    as_pg tee -a "$dir/postgresql.conf" >/dev/null <<CONF
port = $port
unix_socket_directories = '$sock'
CONF
    printf -v "${name}_PORT" %s "$port"
    printf -v "${name}_DATA" %s "$dir"
    printf -v "${name}_BIN" %s "$(eval echo "\$${from}_BIN")"
    printf -v "${name}_SOCK" %s "$sock"
    wp_pg_ctl "$name" start
}

# True when standby NAME has replayed everything primary FROM has written.
wp_caught_up() {
    local name=$1 from=$2 lsn
    lsn=$(wp_psql "$from" -c "SELECT pg_current_wal_lsn()")
    [ "$(wp_psql "$name" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ]
}
