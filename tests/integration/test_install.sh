#!/usr/bin/env bash
# meson install into a DESTDIR lays out the program, a manual page per
# command (each renders), the systemd unit (systemd-analyze accepts it),
# the shell completion and the docs. Needs no server: runs once.
. "$(dirname "$0")/../lib/harness.sh"
build=${WALPULL_BUILD:-$WP_ROOT/build}
dest=$WP_TMP/dest

wp_case "meson install lays out the program, manual pages, unit, completion and docs"
DESTDIR=$dest meson install -C "$build" --no-rebuild >"$WP_TMP/install.log" 2>&1 \
    || fail "meson install failed: $(tail -5 "$WP_TMP/install.log")"
prefix=$dest$(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
[ -x "$prefix/bin/walpull" ] || fail "no bin/walpull"
for page in walpull walpull-check walpull-seed walpull-archive walpull-restore-wal walpull-verify walpull-expire \
    walpull-status walpull-bench walpull-identify walpull-slot walpull-receivewal walpull-basebackup; do
    f=$(find "$dest" -name "$page.1" | head -1)
    [ -n "$f" ] || fail "no manual page $page.1"
done
unit=$(find "$dest" -name 'walpull-archive@.service' | head -1)
[ -n "$unit" ] || fail "no systemd unit"
[ -n "$(find "$dest" -path '*bash-completion/completions/walpull')" ] || fail "no completion"
[ -n "$(find "$dest" -name restore.md)" ] || fail "no docs"
# The stock tools' names are never installed unless asked (-Dpg_links=true).
[ -z "$(find "$dest" -name 'pg_receivewal' -o -name 'pg_basebackup')" ] \
    || fail "pg_* links installed by default: $(find "$dest" -name 'pg_*')"

wp_case "every manual page renders, and lists the options --help lists"
while IFS= read -r f; do
    out=$(MANWIDTH=100 man -l "$f" 2>&1) || fail "man -l $f: $out"
    expect_contains "$out" "NAME"
done < <(find "$dest" -name 'walpull*.1')
page=$(MANWIDTH=200 man -l "$(find "$dest" -name walpull-archive.1)" 2>/dev/null | sed 's/\x08.//g')
for o in $("$prefix/bin/walpull" archive --help | grep -oE -- '--[a-z-]+' | sort -u); do
    expect_contains "$page" "$o" "walpull-archive(1) lists $o"
done

wp_case "systemd-analyze verify accepts the unit"
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$WP_TMP/units"
    # The unit as installed, pointing at the binary in DESTDIR.
    sed "s|/usr/bin/walpull|$prefix/bin/walpull|" "$unit" >"$WP_TMP/units/walpull-archive@.service"
    out=$(systemd-analyze verify --man=no "$WP_TMP/units/walpull-archive@test.service" 2>&1) \
        || fail "systemd-analyze verify: $out"
    case "$out" in *"walpull-archive@"*) fail "systemd-analyze complains: $out" ;; esac
elif [ "${CI:-}" = true ]; then
    fail "systemd-analyze is not installed"
fi

wp_case "the completion script loads and completes commands and options"
out=$(bash -c ". '$(find "$dest" -path '*completions/walpull')'; PATH=$prefix/bin:\$PATH
    COMP_WORDS=(walpull ar); COMP_CWORD=1; _walpull; echo \${COMPREPLY[*]}
    COMP_WORDS=(walpull archive --metr); COMP_CWORD=2; _walpull; echo \${COMPREPLY[*]}")
expect_contains "$out" "archive"
expect_contains "$out" "--metrics-file"
