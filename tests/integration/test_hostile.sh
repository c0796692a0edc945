#!/usr/bin/env bash
# A server that lies, stalls or floods (tests/hostile/fake_primary.py, a
# scripted fake primary): every case is refused with a clear one-line
# error and a non-zero exit, or handled, within a bounded time; nothing is
# written outside the target; no damaged file is left under a final name.
# The double speaks the protocol of a PostgreSQL 15 server, so the test
# runs once, whatever major it is given.
. "$(dirname "$0")/../lib/harness.sh"
FAKE=$WP_ROOT/tests/hostile/fake_primary.py
WAIT=20 # seconds any case may take at most

# fake SCENARIO: (re)start the fake primary; sets fport.
fake() {
    [ -n "${fpid:-}" ] && { kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null || true; }
    fport=$(wp_free_port)
    # A log of its own: the child truncates its log only once it runs.
    flog=$WP_TMP/fake-$fport.log
    python3 "$FAKE" "$fport" "$1" >"$flog" 2>&1 &
    fpid=$!
    WP_PIDS+=("$fpid")
    wait_for 10 grep -q ready "$flog"
}

# refused WANT_TEXT CMD...: exit 1 within WAIT seconds, saying WANT_TEXT on
# one line.
refused() {
    local want=$1
    shift
    local t0=$SECONDS
    expect_exit 1 timeout -s KILL "$WAIT" "$@" -h 127.0.0.1 -p "$fport" -U fake -w --receive-timeout 2
    expect_contains "$WP_OUT" "$want"
    [ $((SECONDS - t0)) -lt "$WAIT" ] || fail "took $((SECONDS - t0)) s"
}

wp_case "the double itself: a well-behaved session works"
fake default
expect_exit 0 "$WALPULL" identify -h 127.0.0.1 -p "$fport" -U fake -w
expect_contains "$WP_OUT" "system identifier:    7300000000000000001"

wp_case "IDENTIFY_SYSTEM with a negative, huge, zero or trailing-junk timeline, or a system identifier with quotes"
for sc in tli_negative tli_huge tli_zero tli_junk sysid_quotes; do
    fake "$sc"
    refused "the server sent an invalid IDENTIFY_SYSTEM result" "$WALPULL" identify --json
    case "$WP_OUT" in *'{"systemid"'*) fail "JSON was printed for an invalid identity: $WP_OUT" ;; esac
done

wp_case "a server silent on startup or on IDENTIFY_SYSTEM: bounded"
fake identify_silent
refused "the server sent no answer for 2 s" "$WALPULL" identify
fake startup_silent
refused "could not connect to the server" "$WALPULL" identify

wp_case "a slot whose timeline is garbage"
fake slot_tli_garbage
mkdir "$WP_TMP/a1"
refused 'the server sent an invalid timeline "1z" for slot "s"' "$WALPULL" archive -D "$WP_TMP/a1" --slot s --no-loop

wp_case "silence on START_REPLICATION and after CopyBoth: bounded, nothing claimed"
for sc in start_silent copy_silent; do
    fake "$sc"
    rm -rf "$WP_TMP/a2" && mkdir "$WP_TMP/a2"
    refused "sent no" "$WALPULL" archive -D "$WP_TMP/a2" --no-loop
done

wp_case "a flood of keepalives or of empty XLogData: SIGINT still ends the archiver cleanly"
for sc in keepalive_flood empty_xlogdata_flood; do
    fake "$sc"
    rm -rf "$WP_TMP/a3" && mkdir "$WP_TMP/a3"
    timeout -s KILL "$WAIT" "$WALPULL" archive -D "$WP_TMP/a3" --no-loop -h 127.0.0.1 -p "$fport" -U fake -w \
        >"$WP_TMP/flood.log" 2>&1 &
    apid=$!
    sleep 2
    kill -INT "$apid"
    expect_wait_exit 0 "$apid" "archiver under a $sc, stopped with SIGINT"
done

# stopped SCENARIO RC WHAT ARGS...: walpull ARGS against the double,
# SIGINT after 2 s (it must still be running), then exit RC within
# STOP_WITHIN seconds (3 unless set); its output in $WP_TMP/stop.log.
stopped() {
    local sc=$1 rc=$2 what=$3
    shift 3
    fake "$sc"
    timeout -s KILL "$WAIT" "$WALPULL" "$@" -h 127.0.0.1 -p "$fport" -U fake -w >"$WP_TMP/stop.log" 2>&1 &
    local pid=$! t0
    sleep 2
    kill -0 "$pid" 2>/dev/null || fail "$what: it did not wait for the server: $(cat "$WP_TMP/stop.log")"
    t0=$SECONDS
    kill -INT "$pid"
    expect_wait_exit "$rc" "$pid" "$what, stopped by SIGINT"
    [ $((SECONDS - t0)) -le "${STOP_WITHIN:-3}" ] || fail "$what: SIGINT took $((SECONDS - t0)) s"
}

wp_case "silence on IDENTIFY_SYSTEM or START_REPLICATION, or answers without end, no receive timeout: SIGINT ends the archiver at once, by either path"
for sc in identify_silent start_silent start_flood; do
    for path in direct libpq; do
        rm -rf "$WP_TMP/a6" && mkdir "$WP_TMP/a6"
        opts=(--receive-timeout 0)
        [ "$path" = libpq ] && opts+=(--no-zero-copy)
        stopped "$sc" 0 "$sc, $path" archive -D "$WP_TMP/a6" --no-loop "${opts[@]}"
        [ -z "$(ls "$WP_TMP/a6" | grep -v '^walpull\.')" ] || fail "$sc, $path: files were left: $(ls "$WP_TMP/a6")"
    done
done

wp_case "parameter reports without end in answer to START_REPLICATION: bounded by the receive timeout"
fake start_flood
rm -rf "$WP_TMP/a6" && mkdir "$WP_TMP/a6"
refused "did not finish its answer in 2 s" "$WALPULL" archive -D "$WP_TMP/a6" --no-loop

wp_case "a silent CREATE_REPLICATION_SLOT or DROP_REPLICATION_SLOT, no receive timeout: SIGINT ends them, exit 1, and a slot that may exist is named"
stopped create_silent 1 "--create-slot" receivewal -D "$WP_TMP" --slot s --create-slot --receive-timeout 0
expect_contains "$(cat "$WP_TMP/stop.log")" "stopped while waiting for the server"
# The server may have made it all the same: the operator is told.
expect_contains "$(cat "$WP_TMP/stop.log")" 'may have created slot "s" all the same'
stopped create_silent 1 "seed --create-slot" seed -D "$WP_TMP/s5" --slot s --create-slot -X stream --receive-timeout 0
expect_contains "$(cat "$WP_TMP/stop.log")" 'may have created slot "s" all the same'
[ ! -e "$WP_TMP/s5" ] || fail "the stopped seed left $WP_TMP/s5"
stopped drop_silent 1 "--drop-slot" receivewal --slot s --drop-slot --receive-timeout 0
expect_contains "$(cat "$WP_TMP/stop.log")" "stopped while waiting for the server"

wp_case "a slot without restart_lsn, and pg_replication_slots never answers, no receive timeout: SIGINT ends it"
rm -rf "$WP_TMP/a6" && mkdir "$WP_TMP/a6"
stopped slot_no_lsn 0 "slot without restart_lsn" archive -D "$WP_TMP/a6" --slot s --no-loop --receive-timeout 0

wp_case "a stop, then the server slow to answer the CopyDone: the goodbye waits for it, by either path"
for path in direct libpq; do
    rm -rf "$WP_TMP/a7" && mkdir "$WP_TMP/a7"
    opts=(--receive-timeout 0)
    [ "$path" = libpq ] && opts+=(--no-zero-copy)
    fake bye_slow
    timeout -s KILL "$WAIT" "$WALPULL" archive -D "$WP_TMP/a7" --no-loop -v -h 127.0.0.1 -p "$fport" -U fake -w "${opts[@]}" \
        >"$WP_TMP/bye.log" 2>&1 &
    apid=$!
    sleep 2
    kill -INT "$apid"
    expect_wait_exit 0 "$apid" "$path: a stop with a slow goodbye"
    expect_contains "$(cat "$WP_TMP/bye.log")" "stopped at 0/03002000"
done

wp_case "a stop, then notices without end instead of an answer: the goodbye is bounded by the receive timeout"
rm -rf "$WP_TMP/a7" && mkdir "$WP_TMP/a7"
STOP_WITHIN=5 stopped bye_trickle 0 "a goodbye that never ends" archive -D "$WP_TMP/a7" --no-loop --receive-timeout 2

wp_case "seed: a silent IDENTIFY_SYSTEM, or a WAL stream whose START_REPLICATION is never answered, no receive timeout: SIGINT ends it, nothing left"
stopped identify_silent 1 "seed, IDENTIFY_SYSTEM" seed -D "$WP_TMP/s6" -X none --receive-timeout 0
expect_contains "$(cat "$WP_TMP/stop.log")" "interrupted (SIGINT)"
[ ! -e "$WP_TMP/s6" ] || fail "the stopped seed left $WP_TMP/s6"
stopped start_silent 1 "seed, WAL stream" seed -D "$WP_TMP/s7" -X stream --receive-timeout 0
expect_contains "$(cat "$WP_TMP/stop.log")" "interrupted (SIGINT)"
[ ! -e "$WP_TMP/s7" ] || fail "the stopped seed left $WP_TMP/s7"

wp_case "timeline switches: a start 110 segments past the end, the same timeline, a ladder"
fake tli_jump
rm -rf "$WP_TMP/a4" && mkdir "$WP_TMP/a4"
refused "past the end of timeline 1's WAL" "$WALPULL" archive -D "$WP_TMP/a4" --no-loop
[ ! -e "$WP_TMP/a4/00000002.history" ] || fail "the history of a refused switch was archived"
fake tli_same
refused "server switched to timeline 1, not after 1" "$WALPULL" archive -D "$WP_TMP/a4" --no-loop
fake ladder
rm -rf "$WP_TMP/a5" && mkdir "$WP_TMP/a5"
refused "times within a segment" "$WALPULL" archive -D "$WP_TMP/a5" --no-loop
[ "$(ls "$WP_TMP/a5" | grep -c history)" -le 9 ] || fail "the ladder left $(ls "$WP_TMP/a5" | grep -c history) history files"

wp_case "TIMELINE_HISTORY with the wrong name, garbage, empty, or going backwards: refused, not archived"
for sc in history_wrong_name history_garbage history_empty history_backwards; do
    fake "$sc"
    rm -rf "$WP_TMP/a6" && mkdir "$WP_TMP/a6"
    refused "history file" "$WALPULL" archive -D "$WP_TMP/a6" --no-loop
    [ -z "$(ls "$WP_TMP/a6" | grep history)" ] || fail "$sc: a bad history file was archived: $(ls "$WP_TMP/a6")"
done

# The raw reader (rawcopy.h): what it writes is compared with the bytes the
# double sent and with what the libpq path writes from the same stream.
seg=16777216
start=$((0x3000000))
python3 "$FAKE" pattern "$start" "$seg" >"$WP_TMP/pattern-3"
python3 "$FAKE" pattern $((start + seg)) 300000 >"$WP_TMP/pattern-4"
stream() {
    local dir=$1
    shift
    timeout -s KILL 120 "$WALPULL" archive -D "$dir" --no-loop -h 127.0.0.1 -p "$fport" -U fake -w \
        --receive-timeout 5 "$@"
}

wp_case "odd message sizes, split headers, notices and parameters mid-stream: the bytes sent, by either path"
fake odd_sizes
for path in direct libpq; do
    d=$WP_TMP/odd-$path
    mkdir "$d"
    opts=(--endpos "$(int_to_lsn $((start + seg + 300000)))")
    [ "$path" = libpq ] && opts+=(--no-zero-copy)
    expect_exit 0 stream "$d" "${opts[@]}"
    cmp "$d/000000010000000000000003" "$WP_TMP/pattern-3" || fail "$path: segment 3 is not what was sent"
    cmp -n 300000 "$d/000000010000000000000004.partial" "$WP_TMP/pattern-4" \
        || fail "$path: the partial segment 4 is not what was sent"
done

wp_case "a connection cut inside a message: exit 1, what came before it intact"
fake cut_mid_message
mkdir "$WP_TMP/cut"
expect_exit 1 stream "$WP_TMP/cut"
expect_contains "$WP_OUT" "closed the connection"
cmp -n 200000 "$WP_TMP/cut/000000010000000000000003.partial" "$WP_TMP/pattern-3" \
    || fail "the bytes before the cut are not what was sent"

wp_case "an error in place of the next message: the server's words, exit 1"
fake error_mid_stream
mkdir "$WP_TMP/err"
expect_exit 1 stream "$WP_TMP/err"
expect_contains "$WP_OUT" "terminating connection due to administrator command"

wp_case "FATAL in answer to START_REPLICATION, then the socket closed: the server's words, not a lost connection"
fake start_fatal
mkdir "$WP_TMP/fatal"
expect_exit 1 stream "$WP_TMP/fatal"
expect_contains "$WP_OUT" "terminating connection due to administrator command"
expect_contains "$WP_OUT" "57P01"

# The backup read from the socket (the default) and through libpq.
python3 "$FAKE" pattern "$start" $((3 * 1024 * 1024 + 777)) >"$WP_TMP/bb-big"
backup() {
    local dir=$1
    shift
    timeout -s KILL 120 "$WALPULL" seed -D "$dir" -X none -h 127.0.0.1 -p "$fport" -U fake -w \
        --receive-timeout 5 "$@"
}

wp_case "BASE_BACKUP in odd message sizes and chunks, with notices, parameters and progress between: the files sent, by either path"
fake bb_odd
for path in direct libpq; do
    d=$WP_TMP/bbodd-$path
    opts=(-vv)
    [ "$path" = libpq ] && opts+=(--no-zero-copy)
    expect_exit 0 backup "$d" "${opts[@]}"
    cmp "$d/base/big" "$WP_TMP/bb-big" || fail "$path: the big file is not what was sent"
    expect_eq "$(head -c 700 "$d/base/small" | tr -d s | wc -c)" 0 "$path: the small file"
    expect_eq "$(stat -c %s "$d/base/small")" 700 "$path: the small file's size"
    expect_contains "$WP_OUT" "NOTICE:  nothing to see"
done
expect_contains "$WP_OUT" "read the backup through libpq"
# The direct run's log, read again: its bytes went straight into the file.
expect_exit 0 backup "$WP_TMP/bbodd-again" -vv
expect_contains "$WP_OUT" "read the backup from the socket"
straight=$(sed -n 's/.*socket: \([0-9]*\) bytes straight.*/\1/p' <<<"$WP_OUT")
[ "${straight:-0}" -gt 3000000 ] || fail "only ${straight:-0} bytes went straight into the files"

wp_case "BASE_BACKUP cut inside a message, or an error in place of the next: exit 1, the server's words, nothing left"
for sc in bb_cut bb_error; do
    for path in direct libpq; do
        fake "$sc"
        opts=()
        [ "$path" = libpq ] && opts+=(--no-zero-copy)
        expect_exit 1 backup "$WP_TMP/$sc-$path" "${opts[@]}"
        case $sc in
        bb_cut) expect_contains "$WP_OUT" "closed the connection" ;;
        bb_error) expect_contains "$WP_OUT" "terminating connection due to administrator command" ;;
        esac
        [ ! -e "$WP_TMP/$sc-$path" ] || fail "$sc, $path: the directory was left behind"
    done
done

wp_case "BASE_BACKUP stalled inside a message, no receive timeout: SIGINT ends it at once, by either path"
for path in direct libpq; do
    opts=(--receive-timeout 0)
    [ "$path" = libpq ] && opts+=(--no-zero-copy)
    stopped bb_partial 1 "$path: a stalled seed" seed -D "$WP_TMP/part-$path" -X none "${opts[@]}"
    expect_contains "$(cat "$WP_TMP/stop.log")" "interrupted (SIGINT)"
done

wp_case "BASE_BACKUP: after the server's error nothing more is written, by either path"
for path in direct libpq; do
    fake bb_err_then_more
    opts=(-n)
    [ "$path" = libpq ] && opts+=(--no-zero-copy)
    expect_exit 1 backup "$WP_TMP/errmore-$path" "${opts[@]}"
    expect_contains "$WP_OUT" "could not read file: I/O error"
    if grep -rqs after "$WP_TMP/errmore-$path"; then
        fail "$path: data sent after the error was written: $(grep -rl after "$WP_TMP/errmore-$path")"
    fi
done

wp_case "BASE_BACKUP: a row wider than its result set is refused, by either path"
for path in direct libpq; do
    fake bb_wide_row
    opts=()
    [ "$path" = libpq ] && opts+=(--no-zero-copy)
    expect_exit 1 backup "$WP_TMP/wide-$path" "${opts[@]}"
    [ ! -e "$WP_TMP/wide-$path" ] || fail "$path: the directory was left behind"
done

wp_case "BASE_BACKUP: a well-behaved backup completes and holds pg_control"
fake default
expect_exit 0 "$WALPULL" seed -D "$WP_TMP/s0" -X none -h 127.0.0.1 -p "$fport" -U fake -w
[ -f "$WP_TMP/s0/global/pg_control" ] || fail "no pg_control in a finished seed: $(ls -R "$WP_TMP/s0")"
[ -f "$WP_TMP/s0/backup_manifest" ] || fail "no backup_manifest"

wp_case "BASE_BACKUP: tablespaces at a relative path or with '..': refused, nothing written outside"
cd "$WP_TMP" || fail "no $WP_TMP"
for sc in bb_ts_relative bb_ts_dotdot; do
    fake "$sc"
    refused "which is not an absolute path" "$WALPULL" seed -D "$WP_TMP/s1" -X none
    [ ! -e "$WP_TMP/escaped_ts" ] && [ ! -e /tmp/walpull_escape_ts ] || fail "$sc: a tablespace was written outside the target"
    [ ! -e "$WP_TMP/s1" ] || fail "$sc: the refused seed left $WP_TMP/s1"
done

wp_case "BASE_BACKUP out of order: two manifests, an archive after the manifest, no archive, no main directory, timeline 0"
for sc in bb_second_manifest bb_archive_after_manifest bb_no_archive bb_no_tablespaces bb_tli_zero; do
    fake "$sc"
    refused "" "$WALPULL" seed -D "$WP_TMP/s2" -X none
    [ ! -e "$WP_TMP/s2" ] || fail "$sc: the refused seed left $WP_TMP/s2"
done

wp_case "BASE_BACKUP stalls mid-stream: bounded, cleaned up"
fake bb_stream_silent
refused "the server sent nothing for 2 s" "$WALPULL" seed -D "$WP_TMP/s3" -X none
[ ! -e "$WP_TMP/s3" ] || fail "the stalled seed left $WP_TMP/s3"

wp_case "a member claiming 8 GB, then silence and SIGINT: nothing near 8 GB on disk, cleaned up"
fake bb_huge_member
mkdir "$WP_TMP/s4"
timeout -s KILL "$WAIT" "$WALPULL" seed -D "$WP_TMP/s4" -X none --receive-timeout 0 -h 127.0.0.1 -p "$fport" -U fake -w \
    >"$WP_TMP/huge.log" 2>&1 &
spid=$!
sleep 2
used=$(du -sk "$WP_TMP/s4" | cut -f1)
[ "$used" -lt $((200 * 1024)) ] || fail "the seed holds $used kB for a member that sent no data"
kill -INT "$spid"
expect_wait_exit 1 "$spid" "seed stopped by SIGINT"
expect_contains "$(cat "$WP_TMP/huge.log")" "interrupted (SIGINT)"
[ -z "$(ls -A "$WP_TMP/s4")" ] || fail "SIGINT left files in the seed directory: $(ls -A "$WP_TMP/s4")"

wp_case "a seed killed with SIGKILL has no pg_control (test_seed_errors starts one on a real server)"
fake bb_slow
timeout -s KILL "$WAIT" "$WALPULL" seed -D "$WP_TMP/s5" -X none -h 127.0.0.1 -p "$fport" -U fake -w \
    >/dev/null 2>&1 &
spid=$!
wait_for 10 test -f "$WP_TMP/s5/PG_VERSION"
kill -9 "$spid"
wait "$spid" 2>/dev/null || true
[ ! -e "$WP_TMP/s5/global/pg_control" ] || fail "a half-finished seed has global/pg_control"

wp_case "a huge size estimate with progress reporting: no overflow"
fake bb_huge_estimate
expect_exit 0 timeout -s KILL "$WAIT" "$WALPULL" seed -D "$WP_TMP/s6" -X none -P -h 127.0.0.1 -p "$fport" -U fake -w
expect_contains "$WP_OUT" "progress:"
