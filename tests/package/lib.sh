# shellcheck shell=bash
# Shared by the package tests: failure reporting and a staged `cmake --install`.
set -uo pipefail

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
finish() {
    if ((failures)); then echo "$failures failure(s)" >&2; exit 1; fi
    exit 0
}

# scratch: a directory removed when the test ends, in $SCRATCH.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/xvrrp-package-test.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# stage BUILD DIR: what the package holds, as `cmake --install --prefix /usr` puts it in DIR.
stage() {
    DESTDIR=$2 cmake --install "$1" --prefix /usr --component xvrrp >"$SCRATCH/install.log" 2>&1 ||
        { cat "$SCRATCH/install.log" >&2; echo "FAIL: cmake --install of $1" >&2; exit 1; }
}
