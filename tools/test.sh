#!/usr/bin/env bash
# Set up (where anything is missing), build, and run the whole test suite
# through meson: Check unit tests, then the integration tests (TAP, one
# result line per case) against real servers.
#   tools/test.sh                 integration tests against PostgreSQL 15
#   tools/test.sh --all-majors    ... against 13, 14, 15, 16, 17 and 18
#   WALPULL_TEST_MAJORS="14 17" tools/test.sh    ... against the ones named
#   tools/test.sh -k archive      only integration tests whose name matches
#   tools/test.sh --gates         also the quality gates (tools/gates.sh):
#                                 gcc and clang with -Werror, ASan+UBSan,
#                                 cppcheck, clang-tidy, shellcheck, format
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

majors=${WALPULL_TEST_MAJORS:-15}
filter=
gates=false
while [ $# -gt 0 ]; do
    case "$1" in
    --all-majors) majors="13 14 15 16 17 18" ;;
    --gates) gates=true ;;
    -k) filter=$2; shift ;;
    *) echo "test.sh: unknown argument \"$1\"" >&2; exit 2 ;;
    esac
    shift
done

if $gates; then bash tools/setup.sh --gates || exit 1; else bash tools/setup.sh || exit 1; fi
start=$(date +%s)
failed_steps=()

if $gates; then
    bash tools/gates.sh || failed_steps+=("gates")
fi

# Which majors are there; a missing one is a failure in CI, a skip elsewhere.
suites=(--suite unit)
missing=0
for major in $majors; do
    bindir=/usr/lib/postgresql/15/bin
    [ "$major" = 15 ] || bindir=.pg/$major/bin
    if [ -x "$bindir/postgres" ]; then
        suites+=(--suite "pg$major")
    elif [ "${CI:-}" = true ]; then
        echo "FAIL: PostgreSQL $major is not installed"; missing=$((missing + 1))
    else
        echo "SKIP: PostgreSQL $major is not installed"
    fi
done

names=()
if [ -n "$filter" ]; then
    # meson takes test names; pick the unit tests and the matching ones.
    mapfile -t names < <(meson test -C build --list "${suites[@]}" 2>/dev/null |
        sed 's/^walpull:[^ ]* \/ //' | grep -E "^(buf|lsn|msg|timeline|conn_hint|tar|dio|misc|opt)$|$filter")
    suites=()
fi
meson test -C build --print-errorlogs "${suites[@]}" "${names[@]}"
rc=$?

# The closing count: test programs from meson's log, subtests included
# for the TAP ones.
read -r passed failed < <(python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP"):
        p += 1
    else:
        f += 1
print(p, f)
PY
)
failed=$((failed + missing + ${#failed_steps[@]}))
echo "== majors: $majors; wall time $(( $(date +%s) - start ))s"
[ ${#failed_steps[@]} -gt 0 ] && echo "failed: ${failed_steps[*]}"
echo "$passed passed, $failed failed"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
