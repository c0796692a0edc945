#!/usr/bin/env bash
# The two ways a seed reads the backup (basebackup.h): from the socket, a
# big file's bytes straight into its staging buffer, and through libpq
# (--no-zero-copy, and always on an encrypted connection). Both write the
# server's files, checked against the server's own manifest, on every
# major; an error mid-backup ends either with the server's words.
. "$(dirname "$0")/../lib/harness.sh"
major=$1

wp_pg_start pri "$major"
wp_pgpass pri
conn=$(wp_conn_args pri)
# A table of some 15 MB, frozen and checkpointed: its file (staged with
# O_DIRECT from 1 MB on) stays as it is on the server.
wp_psql pri -c "CREATE TABLE big AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 60000) g" \
    -c "VACUUM (FREEZE) big" -c "CHECKPOINT" >/dev/null
file=$(wp_psql pri -c "SELECT pg_relation_filepath('big')")

# verify_manifest DIR: every file the manifest lists has its size and
# SHA-256; prints how many were checked.
verify_manifest() {
    python3 - "$1" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
m = json.load(open(os.path.join(root, "backup_manifest")))
bad = []
for f in m["Files"]:
    path = f.get("Path") or bytes.fromhex(f["Encoded-Path"]).decode()
    assert f["Checksum-Algorithm"] == "SHA256", f["Checksum-Algorithm"]
    data = open(os.path.join(root, path), "rb").read()
    if len(data) != f["Size"] or hashlib.sha256(data).hexdigest() != f["Checksum"]:
        bad.append(path)
if bad:
    sys.exit("files unlike the manifest: " + ", ".join(bad[:10]))
print(len(m["Files"]))
PY
}

wp_case "from the socket and through libpq: every file as the server's manifest says, by either path"
for path in direct libpq; do
    d=$WP_TMP/seed-$path
    opts=(-vv --manifest-checksums SHA256 -c fast)
    [ "$path" = libpq ] && opts+=(--no-zero-copy)
    expect_exit 0 "$WALPULL" -D "$d" "${opts[@]}" $conn
    if [ "$path" = direct ]; then
        expect_contains "$WP_OUT" "read the backup from the socket"
        straight=$(sed -n 's/.*socket: \([0-9]*\) bytes straight.*/\1/p' <<<"$WP_OUT")
        [ "${straight:-0}" -ge "$(stat -c %s "$pri_DATA/$file")" ] ||
            fail "only ${straight:-0} bytes went straight into the files"
    else
        expect_contains "$WP_OUT" "read the backup through libpq"
    fi
    n=$(verify_manifest "$d") || fail "$path: $n"
    [ "$n" -gt 100 ] || fail "$path: only $n files in the manifest"
    cmp "$d/$file" "$pri_DATA/$file" || fail "$path: the big table's file is not the server's"
done

wp_case "the walsender terminated mid-backup: the server's words, exit 1, nothing left, by either path"
for path in direct libpq; do
    d=$WP_TMP/term-$path
    opts=(-r 1M -c fast -X none)
    [ "$path" = libpq ] && opts+=(--no-zero-copy)
    wp_spawn "$WALPULL" -D "$d" "${opts[@]}" $conn >"$WP_TMP/term-$path.log" 2>&1
    wp_terminate_sender pri backup $! "$WP_TMP/term-$path.log" "$path: a seed whose walsender was terminated"
    [ ! -e "$d" ] || fail "$path: the directory was left behind"
done

wp_case "an encrypted connection: through libpq, said once, every file as the manifest says"
if command -v openssl >/dev/null; then
    as_pg openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
        -keyout "$pri_DATA/server.key" -out "$pri_DATA/server.crt" >/dev/null 2>&1 ||
        fail "openssl could not make a certificate"
    as_pg chmod 600 "$pri_DATA/server.key"
    echo "ssl = on" | as_pg tee -a "$pri_DATA/postgresql.conf" >/dev/null
    wp_pg_ctl pri restart
    expect_exit 0 "$WALPULL" -D "$WP_TMP/seed-tls" -v --manifest-checksums SHA256 -c fast \
        -d "host=127.0.0.1 port=$pri_PORT user=$WP_REPL_USER sslmode=require"
    expect_contains "$WP_OUT" "read the backup through libpq: the connection is encrypted"
    expect_eq "$(grep -c "the connection is encrypted" <<<"$WP_OUT")" 1 "times the fallback is said"
    n=$(verify_manifest "$WP_TMP/seed-tls") || fail "tls: $n"
    # Terminated mid-backup: the server's words come with the end of the
    # TLS stream, and are said.
    wp_spawn "$WALPULL" -D "$WP_TMP/term-tls" -r 1M -c fast -X none \
        -d "host=127.0.0.1 port=$pri_PORT user=$WP_REPL_USER sslmode=require" >"$WP_TMP/term-tls.log" 2>&1
    wp_terminate_sender pri backup $! "$WP_TMP/term-tls.log" "a seed over TLS whose walsender was terminated"
elif [ "${CI:-}" = true ]; then
    fail "openssl is not installed"
else
    # shellcheck disable=SC2034 # read by the harness when the case closes
    WP_CASE_SKIP="no openssl"
fi
