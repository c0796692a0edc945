#!/usr/bin/env bash
# The two receive paths (walrecv.h): the COPY read straight from the socket
# into the segment files, and through libpq (--no-zero-copy, and always on
# an encrypted connection). Both write the server's bytes, on every major.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
wp_archive_setup "$major"

# Two slots from the same point: each path streams the same WAL.
expect_exit 0 "$WALPULL" slot create direct $conn
expect_exit 0 "$WALPULL" slot create viapq $conn
expect_exit 0 "$WALPULL" slot create keep $conn
wp_make_wal pri 6
# A run of small transactions too: many short messages.
for i in $(seq 1 200); do echo "INSERT INTO wal_filler VALUES ($i, 'x');"; done | wp_psql pri >/dev/null
end=$(wp_psql pri -c "SELECT pg_current_wal_lsn()")

wp_case "straight into the files and through libpq: the server's bytes, both"
mkdir "$WP_TMP/direct" "$WP_TMP/viapq"
expect_exit 0 "$WALPULL" archive -D "$WP_TMP/direct" --slot direct --endpos "$end" -n -vv $conn
expect_contains "$WP_OUT" "straight into the segment files"
expect_exit 0 "$WALPULL" archive -D "$WP_TMP/viapq" --slot viapq --endpos "$end" -n -vv --no-zero-copy $conn
expect_contains "$WP_OUT" "through libpq"
n=$(wp_check_segments "$WP_TMP/direct" "$pri_DATA/pg_wal" 1)
[ "$n" -ge 5 ] || fail "expected at least 5 segments, got $n"
wp_check_segments "$WP_TMP/viapq" "$pri_DATA/pg_wal" 1 >/dev/null
p=$(ls "$WP_TMP/direct" | grep partial)
cmp "$WP_TMP/direct/$p" "$WP_TMP/viapq/$p" || fail "the partial segments differ between the paths"
off=$(( $(lsn_to_int "$end") % segsize ))
cmp -n "$off" "$WP_TMP/direct/$p" "$pri_DATA/pg_wal/${p%.partial}" || fail "the partial is not the server's WAL"

wp_case "an encrypted connection: through libpq, said once, the same bytes"
if command -v openssl >/dev/null; then
    as_pg openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
        -keyout "$pri_DATA/server.key" -out "$pri_DATA/server.crt" >/dev/null 2>&1 \
        || fail "openssl could not make a certificate"
    as_pg chmod 600 "$pri_DATA/server.key"
    echo "ssl = on" | as_pg tee -a "$pri_DATA/postgresql.conf" >/dev/null
    wp_pg_ctl pri restart
    expect_exit 0 "$WALPULL" slot create tls $conn
    wp_make_wal pri 2
    end=$(wp_psql pri -c "SELECT pg_current_wal_lsn()")
    mkdir "$WP_TMP/tls"
    expect_exit 0 "$WALPULL" archive -D "$WP_TMP/tls" --slot tls --endpos "$end" -n -v \
        -d "host=127.0.0.1 port=$pri_PORT user=$WP_REPL_USER sslmode=require"
    expect_contains "$WP_OUT" "the connection is encrypted"
    n=$(wp_check_segments "$WP_TMP/tls" "$pri_DATA/pg_wal" 1)
    [ "$n" -ge 1 ] || fail "no segment streamed over TLS"
    # The walsender terminated while streaming: its words come with the
    # end of the TLS stream, and are said.
    wp_spawn "$WALPULL" archive -D "$WP_TMP/tls" --slot tls -n \
        -d "host=127.0.0.1 port=$pri_PORT user=$WP_REPL_USER sslmode=require" >"$WP_TMP/tls-term.log" 2>&1
    wp_terminate_sender pri streaming $! "$WP_TMP/tls-term.log" \
        "an archiver over TLS whose walsender was terminated, with -n"
elif [ "${CI:-}" = true ]; then
    fail "openssl is not installed"
else
    # shellcheck disable=SC2034 # read by the harness when the case closes
    WP_CASE_SKIP="no openssl"
fi
