#!/usr/bin/env bash
# The manual pages render without a warning (groff -ww, man --warnings), and each names every
# option and command that its binary's --help lists (a new option needs its documentation).
# Usage: man_test.sh MANDIR BINDIR     (MANDIR holds the configured pages)
source "$(dirname "$0")/lib.sh"
mandir=$1 bindir=$2

pages=(xvrrpd.8 xvrrpctl.8 xvrrp-arbiter.8 xvrrp-arbiter.conf.5)
for page in "${pages[@]}"; do
    f=$mandir/$page
    [[ -f $f ]] || { fail "$f missing"; continue; }
    err=$(groff -ww -z -man "$f" 2>&1) || fail "groff -man $page failed"
    [[ -z $err ]] || fail "groff -ww $page: $err"
    err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null) ||
        fail "man -l $page failed"
    [[ -z $err ]] || fail "man --warnings $page: $err"
    [[ $(head -1 "$f") == *'"xvrrp '[0-9]* ]] || fail "$page: .TH carries no version: $(head -1 "$f")"
done

# The pattern of a word in roff source, which writes '-' as '\-'.
roff() { printf '%s' "$1" | sed 's/-/\\\\-/g'; }
for bin in xvrrpd xvrrpctl xvrrp-arbiter; do
    f=$mandir/$bin.8 before=$failures
    help=$("$bindir/$bin" --help)
    mapfile -t opts < <(grep -oE '(^|[][ ,|(])--?[a-zA-Z][a-zA-Z0-9_-]*' <<<"$help" |
        sed -E 's/^[][ ,|(]//' | sort -u)
    for o in "${opts[@]}"; do
        grep -qE -- "$(roff "$o")([^a-zA-Z0-9_\\]|$)" "$f" ||
            fail "$bin.8 does not document $o (in $bin --help)"
    done
    # Commands: the first word of each line under "commands:" (xvrrpctl), or the usage's.
    mapfile -t cmds < <(awk '/^commands:/ {c = 1; next} /^[^ ]/ {c = 0} c {print $1}' <<<"$help")
    for c in "${cmds[@]}"; do
        grep -qE "^\.BR? $(roff "$c")( |$)" "$f" || fail "$bin.8 has no entry for the command $c"
    done
    ((failures == before)) && ok "$bin.8 names ${#opts[@]} options and ${#cmds[@]} commands"
done
finish
