#!/usr/bin/env bash
# Run PostgreSQL 15's own TAP suites for pg_receivewal and pg_basebackup,
# unmodified, against the programs of those names in a given directory:
# src/bin/pg_basebackup/t/020_pg_receivewal.pl (42 subtests) and
# 010_pg_basebackup.pl (184). The suites come from the PostgreSQL source
# tarball, fetched at run time into .pg/pgsrc/ (never committed); the
# servers they start are the stock PostgreSQL 15 ones.
#
#   tools/pg-tap.sh --walpull BIN | --bindir DIR [--suite 020|010|all] [--features "LIST"]
#                   [--keep] [--verbose] [--out DIR] [--timeout SECS]
#
#   --walpull BIN    test walpull's front ends: links named pg_receivewal
#                    and pg_basebackup to BIN serve as the bindir
#   --bindir DIR     holds pg_receivewal and/or pg_basebackup, the programs
#                    under test; symlinks to one binary are fine, the link
#                    name stays argv[0]. 020 also uses pg_basebackup (to make
#                    its standby): without one in DIR, the stock one serves.
#   --suite S        020 (pg_receivewal), 010 (pg_basebackup), all (default)
#   --features LIST  what the programs under test are built with, as the
#                    suites' check_pg_config() looks for it in pg_config.h:
#                    HAVE_LIBZ, USE_LZ4, USE_ZSTD (default "HAVE_LIBZ"); the
#                    compression subtests of a missing one are skipped
#   --keep           keep the work directory (data directories of every
#                    node) and print where it is
#   --verbose        also print the TAP lines as they come
#   --out DIR        where the logs go (default .tmp/pg-tap): per suite,
#                    DIR/<suite>/tap.log (prove -v) and DIR/<suite>/log/
#                    (the suite's tmp_check/log: regress_log_*, server logs)
#   --timeout SECS   stop a suite that runs longer (default 900, 0: never);
#                    a program under test that hangs would hang the suite
#
# The stock tools, to check the harness itself:
#   tools/pg-tap.sh --bindir /usr/lib/postgresql/15/bin \
#                   --features "HAVE_LIBZ USE_LZ4 USE_ZSTD"
#
# Exit 0 only when every subtest of every suite run passed (a skip passes),
# 1 when one failed, 2 on a usage or set-up error. PG_TEST_TIMEOUT_DEFAULT
# (seconds, the suites' default is 180) is passed on. Runs as root (CI):
# installs what is missing and runs the suites as the postgres user, since
# PostgreSQL refuses to run as root; any other user runs them itself.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

pgver=15.18
tarball=postgresql-15_$pgver.orig.tar.bz2
url=http://deb.debian.org/debian/pool/main/p/postgresql-15/$tarball
# The same as Debian's postgresql-15_15.18-0+deb12u1.dsc records.
sha256=11df0df97fe3ea4ba9a791faaf39cee1d2fe571e78885b5b55d8517d27c323b4
pgbin=/usr/lib/postgresql/15/bin

say() { printf 'pg-tap: %s\n' "$*"; }
die() { printf 'pg-tap: %s\n' "$*" >&2; exit 2; }

bindir=
walpull=
suite=all
features=HAVE_LIBZ
keep=false
verbose=false
out=$root/.tmp/pg-tap
timeout=900
while [ $# -gt 0 ]; do
    case "$1" in
    --walpull | --bindir | --suite | --features | --out | --timeout)
        [ $# -ge 2 ] || die "$1 needs a value"
        case "$1" in
        --walpull) walpull=$2 ;;
        --bindir) bindir=$2 ;;
        --suite) suite=$2 ;;
        --features) features=$2 ;;
        --out) out=$2 ;;
        --timeout) timeout=$2 ;;
        esac
        shift ;;
    --keep) keep=true ;;
    --verbose) verbose=true ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) die "unknown argument \"$1\" (see --help)" ;;
    esac
    shift
done
if [ -n "$walpull" ]; then
    [ -x "$walpull" ] || die "--walpull $walpull: not an executable"
    bindir=$(mktemp -d /tmp/pg-tap-links.XXXXXX)
    walpull=$(readlink -f "$walpull")
    ln -s "$walpull" "$bindir/pg_receivewal"
    ln -s "$walpull" "$bindir/pg_basebackup"
    trap 'rm -rf "$bindir"' EXIT
fi
[ -n "$bindir" ] || die "--walpull BIN or --bindir DIR is required (see --help)"
[ -d "$bindir" ] || die "--bindir $bindir: no such directory"
bindir=$(cd "$bindir" && pwd)
case "$suite" in
020 | 010) suites=("$suite") ;;
all) suites=(020 010) ;;
*) die "--suite must be 020, 010 or all" ;;
esac
[[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout takes seconds"
for f in $features; do
    case "$f" in
    HAVE_LIBZ | USE_LZ4 | USE_ZSTD) ;;
    *) die "--features: unknown \"$f\" (HAVE_LIBZ, USE_LZ4, USE_ZSTD)" ;;
    esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

suite_file() {
    case "$1" in 020) echo 020_pg_receivewal.pl ;; 010) echo 010_pg_basebackup.pl ;; esac
}
suite_prog() {
    case "$1" in 020) echo pg_receivewal ;; 010) echo pg_basebackup ;; esac
}
for s in "${suites[@]}"; do
    p=$(suite_prog "$s")
    [ -e "$bindir/$p" ] || die "$bindir/$p: not there, and suite $s tests it"
done

# Packages: the suites' Perl modules need IPC::Run; the servers, initdb,
# psql... come from postgresql-15; bzip2 unpacks the tarball.
cache=$root/.pg/pgsrc
src=$cache/postgresql-$pgver
packages=(libipc-run-perl postgresql-15 perl bzip2)
[ -f "$src/.extracted" ] || packages+=(curl)
# 020 checks its .lz4 files with the lz4 program when lz4 is a feature.
case " $features " in *" USE_LZ4 "*) packages+=(lz4) ;; esac
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}; run as root to install them"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # A fresh image has no package lists: update only when installing fails.
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi

# The suites: only the test library and pg_basebackup's t/ are needed.
sha_ok() { [ -f "$1" ] && echo "$sha256  $1" | sha256sum -c --status; }
if [ ! -f "$src/.extracted" ]; then
    mkdir -p "$cache"
    if ! sha_ok "$cache/$tarball"; then
        say "fetching $url"
        curl -fsSL --retry 3 -o "$cache/$tarball.part" "$url"
        mv "$cache/$tarball.part" "$cache/$tarball"
        sha_ok "$cache/$tarball" || die "$cache/$tarball: sha256 is not $sha256"
    fi
    tmp=$(mktemp -d "$cache/extract.XXXXXX")
    tar -xjf "$cache/$tarball" -C "$tmp" \
        "postgresql-$pgver/src/test/perl" "postgresql-$pgver/src/bin/pg_basebackup/t"
    rm -rf "$src"
    mv "$tmp/postgresql-$pgver" "$src"
    rmdir "$tmp"
    touch "$src/.extracted"
fi

# Everything the suites touch lives in a work directory the running user
# owns: a checkout under /root is out of the postgres user's reach.
if [ "$(id -u)" = 0 ]; then
    run_user=postgres
    as_user=(runuser -u postgres --)
else
    run_user=$(id -un)
    as_user=()
fi
work=$(mktemp -d /tmp/pg-tap.XXXXXX)
cleanup() {
    # Servers a killed suite left running: stop them before removing their
    # directories (only ours, found by their data directory).
    find "$work" -name postmaster.pid 2>/dev/null | while read -r pid; do
        "${as_user[@]}" "$pgbin/pg_ctl" stop -s -m immediate -D "$(dirname "$pid")" \
            >/dev/null 2>&1 || true
    done
    if $keep; then say "work directory kept: $work"; else rm -rf "$work"; fi
    [ -z "$walpull" ] || rm -rf "$bindir"
}
trap cleanup EXIT
mkdir -p "$work/src/test" "$work/src/bin/pg_basebackup" "$work/bin" "$work/prog" \
    "$work/pgconfig/include" "$work/home" "$work/tmp" "$work/portlock" "$work/run"
cp -r "$src/src/test/perl" "$work/src/test/"
cp -r "$src/src/bin/pg_basebackup/t" "$work/src/bin/pg_basebackup/"

# The programs under test: a copy of each target, reachable by the running
# user and safe from a rebuild during the run, behind a link of the original
# name, since the program picks its behaviour from argv[0]'s basename.
for p in pg_receivewal pg_basebackup; do
    [ -e "$bindir/$p" ] || continue
    target=$(readlink -f "$bindir/$p")
    if [ ! -f "$target" ] || [ ! -x "$target" ]; then
        die "$bindir/$p: $target is not an executable file"
    fi
    mkdir -p "$work/prog/$p"
    cp "$target" "$work/prog/$p/"
    ln -s "../prog/$p/$(basename "$target")" "$work/bin/$p"
    say "$p: $target"
done
[ -e "$work/bin/pg_basebackup" ] ||
    say "pg_basebackup: $pgbin/pg_basebackup (stock, for 020's standby)"

# check_pg_config() greps "pg_config --includedir"/pg_config.h for the
# features: this one describes the programs under test, not the server.
for f in $features; do printf '#define %s 1\n' "$f"; done >"$work/pgconfig/include/pg_config.h"
cat >"$work/pgconfig/pg_config" <<EOF
#!/bin/sh
# Our own --includedir; the rest (Cluster.pm asks --version) is the real one's.
[ \$# -gt 0 ] || exec $pgbin/pg_config
for a in "\$@"; do
    if [ "\$a" = --includedir ]; then echo $work/pgconfig/include; else $pgbin/pg_config "\$a"; fi
done
EOF
chmod 755 "$work/pgconfig/pg_config"
[ "$(id -u)" != 0 ] || chown -R postgres: "$work"

path=$work/bin:$work/pgconfig:$pgbin:/usr/local/bin:/usr/bin:/bin
for p in pg_receivewal pg_basebackup pg_config; do
    found=$(PATH=$path command -v "$p")
    case "$found" in
    "$work"/*) ;;
    *) [ "$p" = pg_basebackup ] || die "$p resolves to $found" ;;
    esac
    "${as_user[@]}" test -x "$found" || die "$found: not executable by $run_user"
done

# prove's console formatter prints each TAP line as it comes (its file one,
# chosen when the output is not a terminal, only at the end): a suite
# stopped by --timeout still leaves its lines in the log.
prove=(prove -v --formatter TAP::Formatter::Console -I ../../test/perl/ -I .)

lz4=
case " $features " in *" USE_LZ4 "*) lz4=$(command -v lz4 || true) ;; esac

fails=0
for s in "${suites[@]}"; do
    file=$(suite_file "$s")
    name=${file%.pl}
    testdir=$work/run/$s
    "${as_user[@]}" mkdir -p "$testdir"
    rm -rf "${out:?}/$s"
    mkdir -p "$out/$s"
    log=$out/$s/tap.log
    # What src/Makefile.global's prove_check sets, with a clean environment
    # otherwise (HOME too: no ~/.pgpass or ~/.psqlrc of the running user).
    # PG_REGRESS is only called as "pg_regress --config-auth", which does
    # nothing outside Windows.
    env=(env -i PATH="$path" HOME="$work/home" TMPDIR="$work/tmp" USER="$run_user"
        TESTDIR="$testdir" PG_REGRESS=/bin/true PG_TEST_PORT_DIR="$work/portlock"
        TAR=tar GZIP_PROGRAM=gzip LZ4="$lz4" ZSTD=)
    [ -z "${PG_TEST_TIMEOUT_DEFAULT:-}" ] ||
        env+=(PG_TEST_TIMEOUT_DEFAULT="$PG_TEST_TIMEOUT_DEFAULT")
    ! $keep || env+=(PG_TEST_NOCLEAN=1)
    say "running $file (log: $log)"
    start=$SECONDS
    rc=0
    (
        cd "$work/src/bin/pg_basebackup"
        run=("${as_user[@]}" timeout -k 10 "$timeout" "${env[@]}" "${prove[@]}" "t/$file")
        if $verbose; then "${run[@]}" 2>&1 | tee "$log"; else "${run[@]}" >"$log" 2>&1; fi
    ) || rc=$?
    secs=$((SECONDS - start))
    [ ! -d "$testdir/tmp_check/log" ] || cp -r "$testdir/tmp_check/log" "$out/$s/"

    # prove's exit status has the last word (a plan not met, a script that
    # died); the TAP lines give the counts and the failing subtests.
    summary=$(awk -v name="$name" -v secs="$secs" '
        { sub(/^t\/[^ ]+ \.+ /, "") }
        /^1\.\.[0-9]+/ { plan = substr($1, 4) }
        /^ok [0-9]+/ { ran++; if ($0 ~ /# [Ss][Kk][Ii][Pp]/) skip++; else pass++ }
        /^not ok [0-9]+/ {
            ran++
            if ($0 ~ /# TODO/) pass++; else { fail++; lines = lines "\n  " $0 }
        }
        /^Bail out!/ { stop = "\n  " $0 }
        /^FAILED--/ && stop == "" { stop = "\n  " $0 }
        END {
            of = plan == "" ? "no plan, stopped after " ran + 0 : "of " plan " planned"
            printf "%s: %d passed, %d failed, %d skipped, %s, %dm%02ds%s%s\n", name,
                pass, fail, skip, of, secs / 60, secs % 60, lines, stop
        }' "$log")
    if [ "$rc" = 0 ]; then
        echo "PASS $summary"
    else
        fails=$((fails + 1))
        echo "FAIL $summary"
        [ "$rc" != 124 ] || echo "  timed out after ${timeout}s (--timeout)"
    fi
done
say "logs: $out"
[ "$fails" = 0 ] || exit 1
