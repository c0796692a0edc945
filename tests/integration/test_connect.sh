#!/usr/bin/env bash
# Connection, identify, slots and connection errors against one major.
. "$(dirname "$0")/../lib/harness.sh"
major=$1

wp_pg_start pri "$major"
wp_pgpass pri
conn=$(wp_conn_args pri)

wp_case "identify with the password from .pgpass"
expect_exit 0 "$WALPULL" identify $conn
sysid=$(wp_psql pri -c "SELECT system_identifier FROM pg_control_system()")
expect_contains "$WP_OUT" "system identifier:    $sysid"
expect_contains "$WP_OUT" "timeline:             1"
expect_contains "$WP_OUT" "WAL segment size:     16 MB"
expect_contains "$WP_OUT" "server version:       $major."

expect_exit 0 "$WALPULL" identify --json -d "host=127.0.0.1 port=${pri_PORT} user=$WP_REPL_USER"
expect_contains "$WP_OUT" "\"systemid\": \"$sysid\""
expect_contains "$WP_OUT" "\"server_version\": ${major}"

wp_case "create / read / drop a slot"
expect_exit 0 "$WALPULL" slot create s1 $conn
expect_contains "$WP_OUT" 'created replication slot "s1"'
expect_eq "$(wp_psql pri -c "SELECT slot_type, restart_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name='s1'")" "physical|t" "slot on the server"
expect_exit 1 "$WALPULL" slot create s1 $conn
expect_contains "$WP_OUT" 'already exists'
expect_exit 0 "$WALPULL" slot create s1 --if-not-exists $conn
expect_contains "$WP_OUT" 'exists already'
expect_exit 0 "$WALPULL" slot read s1 $conn
printed=$(echo "$WP_OUT" | sed -n 's/^restart_lsn: //p')
expect_eq "$(wp_psql pri -c "SELECT restart_lsn = '$printed' FROM pg_replication_slots WHERE slot_name='s1'")" t "restart_lsn shown"
expect_exit 0 "$WALPULL" slot drop s1 $conn
expect_eq "$(wp_psql pri -c "SELECT count(*) FROM pg_replication_slots")" "0" "slots after drop"
expect_exit 1 "$WALPULL" slot read s1 $conn
expect_contains "$WP_OUT" 'replication slot "s1" does not exist'

wp_case "slot names the server would refuse are refused first, clearly"
expect_exit 1 "$WALPULL" slot create "Bad-Name" $conn
expect_contains "$WP_OUT" 'invalid replication slot name "Bad-Name"'
expect_contains "$WP_OUT" "lower-case letters, digits and underscores"

wp_case "wrong password: clear error and hint"
echo "127.0.0.1:${pri_PORT}:*:$WP_REPL_USER:wrong" >"$WP_TMP/badpass"
chmod 600 "$WP_TMP/badpass"
expect_exit 1 env PGPASSFILE="$WP_TMP/badpass" "$WALPULL" identify $conn
expect_contains "$WP_OUT" 'password authentication failed for user "replication_user"'
expect_contains "$WP_OUT" 'hint: Check the password'

wp_case "role without REPLICATION"
wp_psql pri -c "CREATE ROLE norepl LOGIN PASSWORD 'pw'"
echo "127.0.0.1:${pri_PORT}:*:norepl:pw" >>"$PGPASSFILE"
expect_exit 1 "$WALPULL" identify -h 127.0.0.1 -p "$pri_PORT" -U norepl -w
[[ "$WP_OUT" =~ (replication role|REPLICATION attribute) ]] || fail "no privilege message: $WP_OUT"
expect_contains "$WP_OUT" 'ALTER ROLE <user> REPLICATION'

wp_case "no free WAL sender: one is allowed and walpull archive holds it"
wp_psql pri -c "ALTER SYSTEM SET max_wal_senders = 1" >/dev/null
wp_pg_ctl pri restart fast
mkdir "$WP_TMP/arch"
wp_spawn "$WALPULL" archive -D "$WP_TMP/arch" $conn
wait_for 30 wp_query_is pri "SELECT count(*) FROM pg_stat_replication" 1
expect_exit 1 "$WALPULL" identify $conn
expect_contains "$WP_OUT" "max_wal_senders"
expect_contains "$WP_OUT" "hint: Raise max_wal_senders"
kill -INT "${WP_PIDS[-1]}"
wait "${WP_PIDS[-1]}" || fail "walpull archive did not exit 0 on SIGINT"

wp_case "no pg_hba entry for replication"
as_pg sed -i 's/^host replication all.*$//' "$pri_DATA/pg_hba.conf"
wp_psql pri -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
expect_exit 1 "$WALPULL" identify $conn
expect_contains "$WP_OUT" 'no pg_hba.conf entry'
expect_contains "$WP_OUT" 'hint: Add "host replication replication_user 127.0.0.1/32 scram-sha-256" to pg_hba.conf'

wp_case "usage errors"
expect_exit 2 "$WALPULL" identify --bogus
expect_contains "$WP_OUT" 'invalid option'
expect_exit 2 "$WALPULL" nosuchcommand
expect_exit 0 "$WALPULL" identify --help
expect_contains "$WP_OUT" '--username=NAME'
