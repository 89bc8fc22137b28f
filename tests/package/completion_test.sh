#!/usr/bin/env bash
# Bash completion of the three commands, as installed, driven the way bash drives it: every
# option and command their --help lists is offered, option values are completed, and
# xvrrpctl fence/unfence complete the instance names of the running xvrrpd (a stand-in
# control socket answers the real xvrrpctl).
# Usage: completion_test.sh BUILD
source "$(dirname "$0")/lib.sh"
build=$1 root=$SCRATCH/root bin=$1/bin
stage "$build" "$root"
source /usr/share/bash-completion/bash_completion || { fail "no bash-completion"; finish; }
compopt() { :; }  # only works while bash itself completes
for c in xvrrpd xvrrpctl xvrrp-arbiter; do
    source "$root/usr/share/bash-completion/completions/$c" || fail "sourcing the completion of $c"
done

# candidates LINE: what completing LINE (cursor at its end) offers, one a line, sorted.
# The first word is the command's path in the build tree.
candidates() {
    local line=$1 words fn
    read -ra words <<<"$line"
    [[ $line == *" " ]] && words+=("")
    fn=$(complete -p "${words[0]}" | sed -E 's/.* -F ([^ ]+) .*/\1/')
    words[0]=$bin/${words[0]}
    COMP_WORDS=("${words[@]}") COMP_CWORD=$((${#words[@]} - 1))
    COMP_LINE="${words[*]}" COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$fn" "${words[0]}" "${words[COMP_CWORD]}" "${words[COMP_CWORD - 1]}"
    printf '%s\n' "${COMPREPLY[@]}" | sed 's/=$//' | sort
}
# expect LINE WORD...: completing LINE offers exactly WORD...
expect() {
    local line=$1; shift
    local got want
    got=$(candidates "$line" | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [[ $got == "$want" ]] || fail "'$line' offers '$got', not '$want'"
}
# covers CMD: every option (and command) in CMD --help is offered.
covers() {
    local cmd=$1 help offered o
    help=$("$bin/$cmd" --help)
    offered=" $(candidates "$cmd -" | tr '\n' ' ') $(candidates "$cmd " | tr '\n' ' ') "
    for o in $(grep -oE '(^|[][ ,|(])--[a-zA-Z][a-zA-Z0-9_-]*' <<<"$help" | sed -E 's/^[][ ,|(]//' |
        sort -u) $(awk '/^commands:/ {c = 1; next} /^[^ ]/ {c = 0} c {print $1}' <<<"$help"); do
        # Arguments of a command, not options: --json (status, bpf), --all (fence, unfence),
        # --timeout (restart).
        [[ $o == --json || $o == --all || $o == --timeout ]] && continue
        [[ $offered == *" $o "* ]] || fail "$cmd: '$o' (in --help) is not completed"
    done
}

covers xvrrpd
covers xvrrpctl
covers xvrrp-arbiter
expect "xvrrpd --log-f" --log-facility --log-file
expect "xvrrpd -S loc" local0 local1 local2 local3 local4 local5 local6 local7
expect "xvrrpd --signum ST" STATS STATS_CLEAR STOP
expect "xvrrpd --shared-interface l" lo
expect "xvrrpctl " status reload restart fence unfence check-fences bpf
expect "xvrrpctl -c /x/y.sock fe" fence
expect "xvrrpctl status " --json
expect "xvrrpctl bpf --j" --json
expect "xvrrpctl reload "
expect "xvrrpctl restart " --timeout
expect "xvrrp-arbiter " status
expect "xvrrp-arbiter -f /etc/xvrrp/arbiter.conf status " --json

# Instance names from the daemon behind --control; nothing (and no noise) without one.
sock=$SCRATCH/xvrrpd.sock
python3 "$(dirname "$0")/fake_xvrrpd.py" "$sock" >"$SCRATCH/fake.out" 2>&1 &
fake=$!
trap 'kill "$fake" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.05; done
expect "xvrrpctl -c $sock fence " VI_1 web-2
expect "xvrrpctl --control $sock unfence w" web-2
expect "xvrrpctl -c $SCRATCH/nothing.sock fence "
expect "xvrrpctl -c $sock fence --" --all
((failures)) || ok "completion of xvrrpd, xvrrpctl, xvrrp-arbiter"
finish
