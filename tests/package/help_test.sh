#!/usr/bin/env bash
# --version and --help of every binary: the version is CMake's project(VERSION), the help
# fits a terminal (80 columns, 5 to 40 lines), names the manual page, and exits 0.
# Usage: help_test.sh VERSION BINARY...
source "$(dirname "$0")/lib.sh"
version=$1; shift

for bin in "$@"; do
    name=$(basename "$bin") before=$failures
    for opt in --version -v; do
        out=$("$bin" "$opt" 2>&1); rc=$?
        ((rc == 0)) || fail "$name $opt exited $rc"
        [[ $out == "$name $version"* ]] || fail "$name $opt printed '$out', not '$name $version...'"
    done
    for opt in --help -h; do
        out=$("$bin" "$opt" 2>/dev/null); rc=$?
        ((rc == 0)) || fail "$name $opt exited $rc"
        lines=$(printf '%s\n' "$out" | wc -l)
        ((lines >= 5 && lines <= 40)) || fail "$name $opt has $lines lines (5 to 40 fit a terminal)"
        while IFS= read -r line; do
            ((${#line} <= 80)) || fail "$name $opt: ${#line} columns: '$line'"
        done <<<"$out"
        [[ $out == *"$name(8)"* ]] || fail "$name $opt does not name its manual page $name(8)"
    done
    ((failures == before)) && ok "$name --version, --help"
done
finish
