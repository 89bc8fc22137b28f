#!/usr/bin/env bash
# tools/test run as another user refuses with a reason instead of passing on skips, and a
# root-only suite run as another user exits 77 (ctest: skipped, never passed).
# Usage: root_only_test.sh SOURCE_DIR ROOT_SUITE_BINARY   (run as root)
set -uo pipefail
src=$1 suite=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "needs root to switch to another user"; exit 77; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

err=$(as_nobody "$src/tools/test" 2>&1 >/dev/null); rc=$?
((rc != 0)) || fail "tools/test as nobody exited 0"
[[ $err == *"must run as root"* ]] || fail "tools/test as nobody did not say why: $err"

as_nobody "$suite" >/dev/null 2>&1; rc=$?
((rc == 77)) || fail "$suite as nobody exited $rc, not 77 (skipped)"
echo "ok: tools/test refused ($err); the suite exited 77"
