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
