#!/usr/bin/env bash
# The option layer seen from the command line: every bad value is a usage
# error (exit 2, one line naming the option, the --help pointer) before any
# connection is tried; --help and --version on every command.
. "$(dirname "$0")/../lib/harness.sh"
major=$1
# No server: a usage error must never get as far as connecting. Point
# libpq at a port nothing listens on, so a connection attempt would show.
PGPORT=$(wp_free_port)
export PGHOST=127.0.0.1 PGPORT PGCONNECT_TIMEOUT=2

wp_case "bad values are usage errors before any connection ($major)"
check_usage() {
    local want=$1
    shift
    expect_exit 2 "$WALPULL" "$@"
    expect_contains "$WP_OUT" "$want"
    expect_contains "$WP_OUT" "for more information"
    case "$WP_OUT" in *"could not connect"* | *"connection"*"failed"*) fail "tried to connect: $WP_OUT" ;; esac
}
check_usage 'invalid value "" for option --clients: expected an integer from 0 to 64' bench --clients=
check_usage 'invalid value "4294967297" for option --duration' bench --duration=4294967297
check_usage 'invalid value "4294967306" for option -s' archive -D /tmp -s 4294967306
check_usage 'invalid value "x" for option --rounds' bench --rounds=x
check_usage 'invalid value "0" for option --generate' bench --generate=0
check_usage 'invalid value "gzip:0" for option --compress: the gzip level must be from 1 to 9' archive -D /tmp --compress=gzip:0
check_usage 'invalid value "lz9" for option --compress' archive -D /tmp --compress=lz9
check_usage 'invalid value "nope" for option --endpos' archive -D /tmp --endpos=nope
check_usage 'invalid value "slow" for option -c: use spread or fast' seed -D /tmp/x -c slow
check_usage 'invalid value "both" for option -X: use stream, fetch or none' seed -D /tmp/x -X both
check_usage 'invalid value "a" for option -T: use OLDDIR=NEWDIR' seed -D /tmp/x -T a
check_usage 'invalid value "" for option --slot: it must not be empty' archive -D /tmp --slot=

wp_case "missing values, duplicates, conflicts and unknown options"
check_usage 'option -D needs a value' -D
check_usage 'option --directory needs a value' archive --directory
check_usage 'option --slot given more than once' archive -D /tmp --slot a --slot b
check_usage 'option --create-slot needs --slot' archive -D /tmp --create-slot
check_usage 'option --if-not-exists needs --create-slot' archive -D /tmp --if-not-exists
check_usage 'options --slot and --temporary-slot cannot be used together' bench --slot a --temporary-slot
check_usage 'invalid option "--bogus"' identify --bogus
check_usage 'invalid option "-q"' slot create x -q
check_usage 'too many command-line arguments (first is "extra")' identify extra
check_usage 'no target directory specified (-D)' archive

wp_case "--help and --version on every command"
for cmd in seed archive bench identify slot; do
    expect_exit 0 "$WALPULL" $cmd --help
    expect_contains "$WP_OUT" "walpull $cmd"
    expect_contains "$WP_OUT" "--username=NAME"
    expect_contains "$WP_OUT" "-V, --version"
    expect_exit 0 "$WALPULL" $cmd -V
    expect_contains "$WP_OUT" "walpull "
done
expect_exit 0 "$WALPULL" --version
expect_exit 2 "$WALPULL" nosuchcommand
expect_contains "$WP_OUT" 'unknown command "nosuchcommand"'
