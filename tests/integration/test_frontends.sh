#!/usr/bin/env bash
# The drop-in front ends, run through links named pg_receivewal and
# pg_basebackup: the stock tools' options, messages, exit codes and file
# conventions, on every major (where the stock 15 tools refuse 16+).
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"

links=$WP_TMP/bin
mkdir "$links"
ln -s "$WALPULL" "$links/pg_receivewal"
ln -s "$WALPULL" "$links/pg_basebackup"
recv=$links/pg_receivewal
# shellcheck disable=SC2206 # word splitting wanted: the connection options
conn_a=($conn)

wp_case "the links answer --version with a line backup managers parse, and --help on stdout"
expect_exit 0 "$recv" --version
[[ "$WP_OUT" =~ ^pg_receivewal\ \(PostgreSQL\)\ [0-9]+\.[0-9]+\ \(walpull ]] || fail "version line: $WP_OUT"
out=$("$recv" --help 2>"$WP_TMP/help.err") || fail "--help exit code"
expect_contains "$out" "--endpos=LSN"
[ ! -s "$WP_TMP/help.err" ] || fail "--help wrote to stderr: $(cat "$WP_TMP/help.err")"

wp_case "usage errors have the stock shape and exit 1"
expect_exit 1 "$recv"
expect_contains "$WP_OUT" "pg_receivewal: error: no target directory specified"
expect_contains "$WP_OUT" "pg_receivewal: hint: Try \"pg_receivewal --help\" for more information."
expect_exit 1 "$recv" -D "$arch" --create-slot --drop-slot
expect_contains "$WP_OUT" "cannot use --create-slot together with --drop-slot"
expect_exit 1 "$recv" -D "$arch" --create-slot
expect_contains "$WP_OUT" "--create-slot needs a slot to be specified using --slot"
expect_exit 1 "$recv" -D "$arch" --synchronous --no-sync
expect_exit 1 "$recv" -D "$arch" --compress none:1
expect_contains "$WP_OUT" 'pg_receivewal: error: invalid compression specification: compression algorithm "none" does not accept a compression level'
expect_exit 1 "$recv" -D "$arch" -Z lz4
expect_contains "$WP_OUT" "this build does not support compression with LZ4"
expect_exit 1 "$recv" --not-an-option
expect_exit 1 "$WALPULL" receivewal -D "$arch" -Z bogus
expect_contains "$WP_OUT" 'walpull receivewal: error: unrecognized compression algorithm: "bogus"'

wp_case "--create-slot creates a slot reserving no WAL and exits; --drop-slot drops it"
expect_exit 0 "$recv" --slot fe_slot --create-slot "${conn_a[@]}"
expect_eq "$(wp_psql pri -c "SELECT slot_type, restart_lsn IS NULL FROM pg_replication_slots WHERE slot_name = 'fe_slot'")" "physical|t"
expect_exit 0 "$recv" --slot fe_slot --create-slot --if-not-exists "${conn_a[@]}"
expect_exit 1 "$recv" --slot fe_slot --create-slot "${conn_a[@]}"
expect_exit 0 "$recv" --slot fe_slot --drop-slot "${conn_a[@]}"
expect_eq "$(wp_psql pri -c "SELECT count(*) FROM pg_replication_slots")" "0"

wp_case "--endpos one byte before a segment boundary completes that segment, as pg_receivewal does"
wp_psql pri -c "CREATE TABLE fe (id int)" -c "SELECT pg_switch_wal()" >/dev/null
# A slot reserving WAL from here fixes where streaming starts.
wp_psql pri -c "SELECT pg_create_physical_replication_slot('fe_ep', true)" >/dev/null
start=$(wp_segment_floor_lsn pri "$segsize")
# Fill the segment: the boundary after it is where the WAL must end.
wp_psql pri -c "INSERT INTO fe SELECT generate_series(1, 20000)" -c "SELECT pg_switch_wal()" >/dev/null
wp_psql pri -c "INSERT INTO fe VALUES (1)" >/dev/null
first=$(wp_segname 1 "$(lsn_to_int "$start")" "$segsize")
endpos=$(int_to_lsn $(( $(lsn_to_int "$start") + segsize - 1 )))
mkdir "$WP_TMP/ep"
expect_exit 0 "$recv" -D "$WP_TMP/ep" -S fe_ep --endpos "$endpos" -n --no-sync "${conn_a[@]}"
[ -f "$WP_TMP/ep/$first" ] || fail "segment $first not completed: $(ls "$WP_TMP/ep")"
[ ! -e "$WP_TMP/ep/$first.partial" ] || fail "a .partial of $first was left: $(ls "$WP_TMP/ep")"
cmp "$WP_TMP/ep/$first" "$pri_DATA/pg_wal/$first" || fail "segment $first differs from the server's"
for f in "$WP_TMP/ep"/*; do
    case "${f##*/}" in [0-9A-F]*) ;; *) fail "a file that is not WAL in the directory: $f" ;; esac
done
# The server's data directory is 0700: the files are 0600 whatever the
# archive directory's own mode (mkdir's 0755 here).
expect_eq "$(stat -c %a "$WP_TMP/ep/$first")" 600 "mode of a WAL file from pg_receivewal"

wp_case "--endpos exactly at a boundary leaves the next segment .partial; -Z gzip:1 and the integer form resume it"
end2=$(int_to_lsn $(( $(lsn_to_int "$start") + segsize )))
expect_exit 0 "$recv" -D "$WP_TMP/ep" --endpos "$end2" -n "${conn_a[@]}"
ls "$WP_TMP/ep" | grep -q '\.partial$' || fail "no .partial after an endpos on a boundary: $(ls "$WP_TMP/ep")"
wp_psql pri -c "SELECT pg_switch_wal()" >/dev/null
next=$(wp_psql pri -c "SELECT pg_current_wal_insert_lsn()")
wp_psql pri -c "INSERT INTO fe VALUES (2)" >/dev/null
expect_exit 0 "$recv" -D "$WP_TMP/ep" --endpos "$next" -n -Z gzip:1 -v "${conn_a[@]}"
expect_contains "$WP_OUT" "pg_receivewal: starting log streaming at"
ls "$WP_TMP/ep" | grep -q '\.gz\.partial$' || fail "no .gz.partial: $(ls "$WP_TMP/ep")"
ls "$WP_TMP/ep" | grep -q '\.gz$' || fail "no completed .gz: $(ls "$WP_TMP/ep")"
gzip -t "$WP_TMP/ep"/*.gz || fail "a completed .gz does not test whole"
wp_psql pri -c "SELECT pg_switch_wal()" >/dev/null
next=$(wp_psql pri -c "SELECT pg_current_wal_insert_lsn()")
wp_psql pri -c "INSERT INTO fe VALUES (3)" >/dev/null
expect_exit 0 "$recv" -D "$WP_TMP/ep" --endpos "$next" -n -Z 5 "${conn_a[@]}"

wp_case "a slot that does not exist is named in the stock message"
expect_exit 1 "$recv" -D "$WP_TMP/ep" --slot nosuchslot -n --endpos "$next" "${conn_a[@]}"
expect_contains "$WP_OUT" 'pg_receivewal: error: replication slot "nosuchslot" does not exist'

# --- pg_basebackup -----------------------------------------------------------
bb=$links/pg_basebackup
wp_psql pri -c "CREATE TABLE bb_rows AS SELECT generate_series(1, 1000) AS id" >/dev/null

wp_case "pg_basebackup: --version, and usage errors in the stock wording"
expect_exit 0 "$bb" --version
[[ "$WP_OUT" =~ ^pg_basebackup\ \(PostgreSQL\)\ [0-9]+\.[0-9]+\ \(walpull ]] || fail "version line: $WP_OUT"
expect_exit 1 "$bb"
expect_contains "$WP_OUT" "pg_basebackup: error: must specify output directory or backup target"
expect_exit 1 "$bb" -D "$WP_TMP/x" --compress none:1
expect_contains "$WP_OUT" 'compression algorithm "none" does not accept a compression level'
expect_exit 1 "$bb" -D "$WP_TMP/x" --compress none+
expect_contains "$WP_OUT" 'unrecognized compression algorithm: "none+"'
expect_exit 1 "$bb" -D "$WP_TMP/x" -z
expect_contains "$WP_OUT" "only tar mode backups can be compressed"
expect_exit 1 "$bb" --target blackhole
expect_contains "$WP_OUT" "WAL cannot be streamed when a backup target is specified"
expect_exit 1 "$bb" -D "$WP_TMP/x" -X none -S s1
expect_contains "$WP_OUT" "replication slots can only be used with WAL streaming"
expect_exit 1 "$bb" -D "$WP_TMP/x" -C
expect_contains "$WP_OUT" "--create-slot needs a slot to be specified using --slot"
expect_exit 1 "$bb" -D "$WP_TMP/x" -T /a=/b=/c
expect_contains "$WP_OUT" 'multiple "=" signs in tablespace mapping'
expect_exit 1 "$bb" -D "$WP_TMP/x" --waldir rel
expect_contains "$WP_OUT" "WAL directory location must be an absolute path"
expect_exit 1 "$bb" -D "$WP_TMP/x" -F x
expect_contains "$WP_OUT" 'invalid output format "x", must be "plain" or "tar"'
expect_exit 1 "$bb" -D "$WP_TMP/x" --sync-method=SyncFS
expect_contains "$WP_OUT" "pg_basebackup: error: unrecognized sync method: SyncFS"
[ ! -e "$WP_TMP/x" ] || fail "a refused command left $WP_TMP/x behind"

wp_case "pg_basebackup -Ft: base.tar and pg_wal.tar that tar extracts into a server that starts with the rows"
expect_exit 0 "$bb" -D "$WP_TMP/tb" -Ft -c fast "${conn_a[@]}"
for f in base.tar pg_wal.tar backup_manifest; do
    [ -f "$WP_TMP/tb/$f" ] || fail "no $f in the tar format backup: $(ls "$WP_TMP/tb")"
done
mkdir "$WP_TMP/tbx"
tar -xf "$WP_TMP/tb/base.tar" -C "$WP_TMP/tbx" || fail "tar could not extract base.tar"
tar -xf "$WP_TMP/tb/pg_wal.tar" -C "$WP_TMP/tbx/pg_wal" || fail "tar could not extract pg_wal.tar"
chmod 700 "$WP_TMP/tbx" # made by mkdir: a data directory must be private
wp_start_seeded tbcopy "$WP_TMP/tbx" pri
expect_eq "$(wp_psql tbcopy -c "SELECT count(*) FROM bb_rows")" "1000" "rows in the server made from the tar backup"
wp_pg_ctl tbcopy stop

wp_case "pg_basebackup -Ft -R: the standby settings inside base.tar; extracted, it streams as a standby"
expect_exit 0 "$bb" -D "$WP_TMP/tr" -Ft -R -c fast "${conn_a[@]}"
mkdir "$WP_TMP/trx"
tar -xf "$WP_TMP/tr/base.tar" -C "$WP_TMP/trx" || fail "tar could not extract base.tar"
tar -xf "$WP_TMP/tr/pg_wal.tar" -C "$WP_TMP/trx/pg_wal" || fail "tar could not extract pg_wal.tar"
[ -f "$WP_TMP/trx/standby.signal" ] || fail "no standby.signal in base.tar"
grep -q "^primary_conninfo = '.*port=$pri_PORT" "$WP_TMP/trx/postgresql.auto.conf" \
    || fail "no primary_conninfo: $(cat "$WP_TMP/trx/postgresql.auto.conf")"
grep -q "^# Do not edit this file manually" "$WP_TMP/trx/postgresql.auto.conf" \
    || fail "the server's own postgresql.auto.conf lines were lost"
chmod 700 "$WP_TMP/trx"
chown postgres "$PGPASSFILE"
wp_start_seeded trcopy "$WP_TMP/trx" pri
wait_for 60 wp_query_is trcopy "SELECT pg_is_in_recovery() AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming')" t
wp_pg_ctl trcopy stop

wp_case "pg_basebackup -Ft -z: gzip files that gzip tests whole"
expect_exit 0 "$bb" -D "$WP_TMP/tz" -Ft -z -c fast "${conn_a[@]}"
for f in base.tar.gz pg_wal.tar.gz; do
    [ -f "$WP_TMP/tz/$f" ] || fail "no $f: $(ls "$WP_TMP/tz")"
done
gzip -t "$WP_TMP/tz/base.tar.gz" "$WP_TMP/tz/pg_wal.tar.gz" || fail "gzip -t"

wp_case "pg_basebackup -D - -Ft -X fetch: one tar on standard output"
"$bb" -D - -Ft -X fetch -c fast "${conn_a[@]}" >"$WP_TMP/stdout.tar" 2>"$WP_TMP/stdout.err" \
    || fail "tar to stdout: $(cat "$WP_TMP/stdout.err")"
members=$(tar -tf "$WP_TMP/stdout.tar") || fail "tar cannot list the archive from stdout"
grep -q '^PG_VERSION$' <<<"$members" || fail "no PG_VERSION in the tar on stdout"
grep -qE '^pg_wal/[0-9A-F]{24}$' <<<"$members" || fail "no WAL in the -X fetch tar"

wp_case "pg_basebackup -X fetch and --waldir: WAL in the directory pg_wal links to"
expect_exit 0 "$bb" -D "$WP_TMP/wd" --waldir "$WP_TMP/wd_wal" -X fetch -c fast --no-manifest "${conn_a[@]}"
[ -L "$WP_TMP/wd/pg_wal" ] || fail "pg_wal is not a symlink"
expect_eq "$(readlink "$WP_TMP/wd/pg_wal")" "$WP_TMP/wd_wal"
wp_complete_segments "$WP_TMP/wd_wal" | grep -q . || fail "no WAL in --waldir: $(ls "$WP_TMP/wd_wal")"
[ ! -e "$WP_TMP/wd/backup_manifest" ] || fail "--no-manifest wrote a manifest"

wp_case "pg_basebackup -C -S reserves WAL; -R names the slot; the copy starts as a streaming standby"
expect_exit 0 "$bb" -D "$WP_TMP/rs" -C -S bb_slot -R -c fast "${conn_a[@]}"
expect_eq "$(wp_psql pri -c "SELECT restart_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = 'bb_slot'")" "t"
grep -q "^primary_slot_name = 'bb_slot'" "$WP_TMP/rs/postgresql.auto.conf" || fail "no primary_slot_name"
[ -f "$WP_TMP/rs/standby.signal" ] || fail "no standby.signal"
expect_exit 1 "$bb" -D "$WP_TMP/rs2" -C -S bb_slot -c fast "${conn_a[@]}"
# The standby reads the password from the .pgpass primary_conninfo names.
chown postgres "$PGPASSFILE"
wp_start_seeded rscopy "$WP_TMP/rs" pri
wait_for 60 wp_query_is pri "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 1
wp_pg_ctl rscopy stop

wp_case "pg_basebackup --no-slot streams without a temporary slot (--sync-method=syncfs taken); files 0600 in a 0700 directory"
expect_exit 0 "$bb" -D "$WP_TMP/ns" --no-slot --sync-method=syncfs -c fast "${conn_a[@]}"
wp_complete_segments "$WP_TMP/ns/pg_wal" | grep -q . || fail "no WAL streamed"
bad=$(find "$WP_TMP/ns" \( -type d ! -perm 700 \) -o \( -type f ! -perm 600 \) | head -3)
[ -z "$bad" ] || fail "modes other than 0700/0600: $bad"

wp_case "pg_basebackup -Z server-gzip: extracted here with -F p, kept compressed with -F t (15+)"
if [ "$major" -ge 15 ]; then
    expect_exit 0 "$bb" -D "$WP_TMP/sgp" -Z server-gzip:1 -c fast "${conn_a[@]}"
    [ -f "$WP_TMP/sgp/PG_VERSION" ] || fail "server-gzip plain backup not extracted: $(ls "$WP_TMP/sgp")"
    wp_start_seeded sgcopy "$WP_TMP/sgp" pri
    expect_eq "$(wp_psql sgcopy -c "SELECT count(*) FROM bb_rows")" "1000" "rows in the server-gzip backup"
    wp_pg_ctl sgcopy stop
    expect_exit 0 "$bb" -D "$WP_TMP/sgt" -Ft -Z server-gzip -X fetch -c fast "${conn_a[@]}"
    gzip -t "$WP_TMP/sgt/base.tar.gz" || fail "server-gzip base.tar.gz does not test whole"
    expect_exit 1 "$bb" -D "$WP_TMP/sgx" -Z server-gzip:level=99 -X none -c fast "${conn_a[@]}"
    expect_contains "$WP_OUT" "pg_basebackup: error: could not initiate base backup: ERROR:  invalid compression specification"
    [ ! -e "$WP_TMP/sgx" ] || [ -z "$(ls -A "$WP_TMP/sgx")" ] || fail "a refused backup left files"
else
    expect_exit 1 "$bb" -D "$WP_TMP/sgp" -Z server-gzip -c fast "${conn_a[@]}"
    expect_contains "$WP_OUT" "server does not support server-side compression"
fi

wp_case "pg_basebackup --target server:DIR writes base.tar on the server; blackhole keeps nothing (15+)"
if [ "$major" -ge 15 ]; then
    as_pg mkdir "$WP_TMP/onserver"
    wp_psql pri -c "GRANT pg_write_server_files TO $WP_REPL_USER" >/dev/null
    expect_exit 0 "$bb" --target "server:$WP_TMP/onserver/b" -X none -c fast "${conn_a[@]}"
    [ -f "$WP_TMP/onserver/b/base.tar" ] || fail "no base.tar on the server: $(ls -R "$WP_TMP/onserver")"
    expect_exit 0 "$bb" --target blackhole -X none -c fast "${conn_a[@]}"
else
    expect_exit 1 "$bb" --target blackhole -X none -c fast "${conn_a[@]}"
    expect_contains "$WP_OUT" "backup targets are not supported by this server version"
fi

wp_case "options given twice: the last one wins, as in the stock tools; -c takes any case"
expect_exit 0 "$bb" -D "$WP_TMP/first" -D "$WP_TMP/twice" -X stream -X fetch -c spread -c FAST "${conn_a[@]}"
[ -f "$WP_TMP/twice/PG_VERSION" ] || fail "the second -D was not used"
[ ! -e "$WP_TMP/first" ] || fail "the first -D was used too"
[ ! -L "$WP_TMP/twice/pg_wal" ] && wp_complete_segments "$WP_TMP/twice/pg_wal" | grep -q . \
    || fail "-X fetch (the last -X) did not put WAL in pg_wal"

wp_case "the walsender is named after the stock tool (synchronous_standby_names, monitoring)"
mkdir "$WP_TMP/an"
wp_spawn "$recv" -D "$WP_TMP/an" "${conn_a[@]}"
apid=${WP_PIDS[-1]}
wait_for 30 wp_query_is pri "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_receivewal'" 1
kill -INT "$apid"
expect_wait_exit 0 "$apid" "pg_receivewal on SIGINT"

wp_case "a complete segment of the wrong size in the directory: skipped with a warning, then replaced"
wp_psql pri -c "SELECT pg_switch_wal()" >/dev/null
next=$(wp_psql pri -c "SELECT pg_current_wal_insert_lsn()")
wp_psql pri -c "INSERT INTO fe VALUES (4)" >/dev/null
last=$(wp_complete_segments "$WP_TMP/ep" | tail -1)
# A directory whose newest file is the segment after the last complete one,
# cut short as a full disk leaves it.
mkdir "$WP_TMP/ws"
cp "$WP_TMP/ep/$last" "$WP_TMP/ws/"
per=$((0x100000000 / segsize))
bad=$(wp_segname 1 $(( (16#${last:8:8} * per + 16#${last:16:8} + 1) * segsize )) "$segsize")
head -c 100 /dev/zero >"$WP_TMP/ws/$bad"
expect_exit 0 "$recv" -D "$WP_TMP/ws" --endpos "$next" -n "${conn_a[@]}"
expect_contains "$WP_OUT" "pg_receivewal: warning: segment file \"$bad\" has incorrect size, skipping"
expect_eq "$(stat -c %s "$WP_TMP/ws/$bad")" "$segsize" "size of $bad, streamed again over the short one"
cmp "$WP_TMP/ws/$bad" "$pri_DATA/pg_wal/$bad" || fail "$bad is not the server's segment"

wp_case "-T with a trailing slash and ./ components maps the tablespace"
as_pg mkdir "$WP_TMP/ts_old"
wp_psql pri -c "CREATE TABLESPACE fe_ts LOCATION '$WP_TMP/ts_old'" \
    -c "CREATE TABLE fe_ts_t TABLESPACE fe_ts AS SELECT 1 AS x" >/dev/null
expect_exit 0 "$bb" -D "$WP_TMP/tsb" -T "$WP_TMP/./ts_old/=$WP_TMP/ts_new/" -X fetch -c fast "${conn_a[@]}"
link=$(find "$WP_TMP/tsb/pg_tblspc" -mindepth 1 -maxdepth 1 -type l | head -1)
expect_eq "$(readlink "$link")" "$WP_TMP/ts_new" "the tablespace symlink"
[ -n "$(ls "$WP_TMP/ts_new")" ] || fail "nothing extracted into the mapped tablespace"
wp_psql pri -c "DROP TABLE fe_ts_t" -c "DROP TABLESPACE fe_ts" >/dev/null

wp_case "a page failing its checksum: exit 1, 'checksum error occurred', the copy kept"
wp_pg_start ck "$major" --data-checksums
wp_pgpass ck
file=$(wp_psql ck -c "CREATE TABLE c AS SELECT g FROM generate_series(1, 1000) g; SELECT pg_relation_filepath('c')")
wp_pg_ctl ck stop
printf 'garbage!' | dd of="$ck_DATA/$file" bs=1 seek=100 conv=notrunc status=none
wp_pg_ctl ck start
# shellcheck disable=SC2046 # the connection options, split on purpose
"$bb" -D "$WP_TMP/ckb" -c fast $(wp_conn_args ck) >"$WP_TMP/ck.out" 2>"$WP_TMP/ck.err" && fail "a checksum failure exited 0"
ck_err=$(cat "$WP_TMP/ck.err")
expect_contains "$ck_err" "checksum verification failed"
expect_contains "$ck_err" "pg_basebackup: error: checksum error occurred"
[ -f "$WP_TMP/ckb/PG_VERSION" ] || fail "the copy was removed after checksum failures"
