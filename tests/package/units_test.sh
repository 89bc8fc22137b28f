#!/usr/bin/env bash
# The systemd units as installed pass `systemd-analyze verify` with nothing to say (it exits 0
# on unknown keys and bad values, printing them), and carry the contract the manual states.
# systemd need not run: verify reads a staged root (the install, the host's units, kill(1))
# and finds the manual pages through MANPATH.
# Usage: units_test.sh BUILD
source "$(dirname "$0")/lib.sh"
build=$1 root=$SCRATCH/root
stage "$build" "$root"
unitdir=$(cd "$root" && find . -path '*/systemd/system' -type d | head -1)
unitdir=${unitdir#.}
[[ -n $unitdir ]] || { fail "no systemd/system directory in the install"; finish; }
mkdir -p "$root$unitdir" "$root/bin"
cp -rn /lib/systemd/system/. "$root$unitdir/"   # sysinit.target and the rest, for the jobs
cp /bin/kill "$root/bin/kill"                   # ExecReload=

units=("$root$unitdir/xvrrpd.service" "$root$unitdir/xvrrp-arbiter.service")
out=$(MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" "${units[@]}" 2>&1)
rc=$?
((rc == 0)) || fail "systemd-analyze verify exited $rc"
[[ -z $out ]] || fail "systemd-analyze verify: $out"
((rc == 0)) && [[ -z $out ]] && ok "systemd-analyze verify xvrrpd.service xvrrp-arbiter.service"

# has UNIT LINE: the unit holds exactly this line.
has() { grep -qxF -- "$2" "$root$unitdir/$1" || fail "$1 lacks '$2'"; }
has xvrrpd.service "Type=notify"
has xvrrpd.service "EnvironmentFile=-/etc/default/xvrrpd"
has xvrrpd.service 'ExecStart=/usr/sbin/xvrrpd --dont-fork $DAEMON_ARGS'
has xvrrpd.service 'ExecReload=/bin/kill -HUP $MAINPID'
has xvrrpd.service "Restart=on-abnormal"
grep -qE '^WatchdogSec=[1-9]' "$root$unitdir/xvrrpd.service" || fail "xvrrpd.service: no WatchdogSec="
has xvrrp-arbiter.service "EnvironmentFile=-/etc/default/xvrrp-arbiter"
has xvrrp-arbiter.service 'ExecStart=/usr/sbin/xvrrp-arbiter $DAEMON_ARGS'
has xvrrp-arbiter.service 'ExecReload=/bin/kill -HUP $MAINPID'
has xvrrp-arbiter.service "CapabilityBoundingSet=CAP_NET_RAW CAP_BPF"
# The hardening must leave xvrrpd its sockets: netlink, raw IP and packet (XDP needs none).
grep -E '^RestrictAddressFamilies=' "$root$unitdir/xvrrpd.service" |
    grep -qE 'AF_NETLINK.*AF_INET .*AF_INET6.*AF_PACKET' ||
    fail "xvrrpd.service: RestrictAddressFamilies= must allow netlink, IPv4, IPv6 and packet"

# The environment files define DAEMON_ARGS, empty, as Debian's /etc/default/keepalived does.
for f in xvrrpd xvrrp-arbiter; do
    v=$(env -i sh -c ". '$root/etc/default/$f' && printf '%s' \"\${DAEMON_ARGS-unset}\"")
    [[ -z $v ]] || fail "/etc/default/$f: DAEMON_ARGS is '$v', not empty"
done

# The exposure score systemd gives each unit (lower is better), for the log.
for u in "${units[@]}"; do
    systemd-analyze security --offline=yes --root="$root" "$u" 2>/dev/null | tail -1
done
finish
