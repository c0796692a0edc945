#!/usr/bin/env bash
# Set up (where anything is missing), build, and run the whole test suite:
# Check unit tests, then the integration tests against real servers.
#   tools/test.sh                 integration tests against PostgreSQL 15
#   tools/test.sh --all-majors    ... against 13, 14, 15, 16, 17 and 18
#   WALPULL_TEST_MAJORS="14 17" tools/test.sh    ... against the ones named
#   tools/test.sh -k archive      only integration tests whose name matches
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

majors=${WALPULL_TEST_MAJORS:-15}
filter=
while [ $# -gt 0 ]; do
    case "$1" in
    --all-majors) majors="13 14 15 16 17 18" ;;
    -k) filter=$2; shift ;;
    *) echo "test.sh: unknown argument \"$1\"" >&2; exit 2 ;;
    esac
    shift
done

bash tools/setup.sh || exit 1
start=$(date +%s)
passed=0 failed=0 failures=()

echo "== unit tests (Check)"
for t in build/tests/test_*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    if CK_DEFAULT_TIMEOUT=60 "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$(basename "$t")"); fi
done

for major in $majors; do
    bindir=/usr/lib/postgresql/15/bin
    [ "$major" = 15 ] || bindir=.pg/$major/bin
    if [ ! -x "$bindir/postgres" ]; then
        # A missing server is a failure in CI, a skip elsewhere.
        if [ "${CI:-}" = true ]; then
            echo "FAIL: PostgreSQL $major is not installed"; failed=$((failed + 1)); failures+=("install-$major")
        else
            echo "SKIP: PostgreSQL $major is not installed"
        fi
        continue
    fi
    for t in tests/integration/test_*.sh; do
        name=$(basename "$t" .sh)
        [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
        t0=$(date +%s)
        log=$(mktemp)
        if timeout 600 bash "$t" "$major" >"$log" 2>&1; then
            passed=$((passed + 1)); echo "PASS $name [PG $major] ($(( $(date +%s) - t0 ))s)"
        else
            failed=$((failed + 1)); failures+=("$name[$major]")
            echo "FAIL $name [PG $major] ($(( $(date +%s) - t0 ))s)"; sed 's/^/    /' "$log" | tail -40
        fi
        rm -f "$log"
    done
done

echo "== majors: $majors; wall time $(( $(date +%s) - start ))s"
[ $failed -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
