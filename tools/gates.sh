#!/usr/bin/env bash
# The quality gates, each of which must pass: the build with gcc and with
# clang under -Werror, the unit and PostgreSQL 15 integration tests under
# ASan+UBSan, cppcheck, clang-tidy (.clang-tidy), shellcheck on every
# script, clang-format, and every libFuzzer target for FUZZ_SECONDS (10)
# each from its seed corpus. Build trees go to .build/ (ignored).
#   tools/gates.sh            all of them
#   tools/gates.sh NAME...    some: gcc clang format cppcheck tidy shellcheck sanitize fuzz
#   FUZZ_SECONDS=120 tools/gates.sh fuzz    a longer fuzzing run
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

failed=()
gate() {
    local name=$1 t0
    shift
    t0=$(date +%s)
    echo "== gate: $name"
    if "$@"; then
        echo "gate $name: ok ($(( $(date +%s) - t0 ))s)"
    else
        echo "gate $name: FAILED"
        failed+=("$name")
    fi
}

# build CC DIR [meson options...]: configure once, then build.
build() {
    local cc=$1 dir=$2
    shift 2
    if [ ! -f "$dir/build.ninja" ]; then
        CC=$cc meson setup "$dir" "$@" >/dev/null || return 1
    fi
    ninja -C "$dir" >/dev/null
}

c_files() { git ls-files '*.c' '*.h'; }

gate_gcc() { build gcc .build/gcc -Dwerror=true -Dpg_majors=[]; }
gate_clang() { build clang .build/clang -Dwerror=true -Dpg_majors=[]; }
gate_format() { c_files | xargs clang-format --dry-run -Werror; }
gate_cppcheck() {
    cppcheck --quiet --enable=warning,performance,portability --std=c11 --inline-suppr \
        --error-exitcode=1 -D_GNU_SOURCE -DWALPULL_VERSION='"0"' -I include -I src \
        --suppress=missingIncludeSystem src tests/unit
}
gate_tidy() {
    # The clang tree's compile_commands.json names every source with flags
    # clang-tidy (a clang) understands.
    build clang .build/clang -Dwerror=true -Dpg_majors=[] || return 1
    git ls-files 'src/*.c' 'tests/unit/*.c' |
        xargs -P "$(nproc)" -n 4 clang-tidy -p .build/clang --quiet >.build/clang-tidy.log 2>&1
    # Any finding fails the gate, whatever clang-tidy's own exit status.
    if grep -E 'warning:|error:' .build/clang-tidy.log; then
        return 1
    fi
    return 0
}
gate_shellcheck() { git ls-files '*.sh' .ci/run | xargs shellcheck -x -S warning; }
gate_sanitize() {
    build clang .build/asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
        -Dpg_majors=15 || return 1
    # Any report fails the test: UBSan stops at the first, LeakSanitizer
    # turns the exit code non-zero.
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
        meson test -C .build/asan --print-errorlogs --suite unit --suite pg15
}

gate_fuzz() {
    build clang .build/fuzz -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
        -Db_lundef=false || return 1
    local work t bad=0 out
    work=$(mktemp -d)
    for t in tests/fuzz/fuzz_*.c; do
        t=$(basename "$t" .c)
        t=${t#fuzz_}
        mkdir -p "$work/$t"
        cp tests/fuzz/corpus/"$t"/* "$work/$t/"
        # New inputs go to the scratch copy, never into the repository.
        out=$(cd "$work" && "$root/.build/fuzz/tests/fuzz/fuzz_$t" -max_total_time="${FUZZ_SECONDS:-10}" \
            -print_final_stats=1 "$work/$t" 2>&1) || bad=1
        echo "fuzz_$t: $(echo "$out" | grep -E '^(Done|stat::number_of_executed_units)' | head -1)"
        echo "$out" | grep -E 'ERROR|SUMMARY' | head -5
    done
    rm -rf "$work"
    return $bad
}

all=(gcc clang format cppcheck tidy shellcheck sanitize fuzz)
[ $# -gt 0 ] && all=("$@")
for g in "${all[@]}"; do
    case "$g" in
    gcc) gate "gcc -Werror" gate_gcc ;;
    clang) gate "clang -Werror" gate_clang ;;
    format) gate "clang-format" gate_format ;;
    cppcheck) gate cppcheck gate_cppcheck ;;
    tidy) gate clang-tidy gate_tidy ;;
    shellcheck) gate shellcheck gate_shellcheck ;;
    sanitize) gate "ASan+UBSan (unit, PostgreSQL 15)" gate_sanitize ;;
    fuzz) gate "libFuzzer targets" gate_fuzz ;;
    *) echo "gates.sh: unknown gate \"$g\"" >&2; exit 2 ;;
    esac
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "gates failed: ${failed[*]}"
    exit 1
fi
echo "all gates passed"
