#!/usr/bin/env bash
# tools/package on the build tree (nothing is compiled): the .deb is named after CMake's
# version, lintian finds no error, it holds what the manual pages say it holds, its example
# configurations pass the packaged binaries' -t, and its maintainer scripts enable and start
# nothing on installation, restart enabled units on upgrade, stop on removal and drop the
# logs on purge (run against stubs of systemctl and deb-systemd-helper, with /run and
# /var/log private to the test).
# Usage: deb_test.sh SOURCE BUILD VERSION
source "$(dirname "$0")/lib.sh"
src=$1 build=$2 version=$3
[[ $(id -u) -eq 0 ]] || { echo "needs root (mount namespace for the maintainer scripts)"; exit 77; }
arch=$(dpkg --print-architecture)

deb=$("$src/tools/package" --build-dir "$build" --no-build --no-dbgsym --out "$SCRATCH") ||
    { fail "tools/package failed"; finish; }
[[ $deb == "$SCRATCH/xvrrp_${version}_$arch.deb" ]] || fail "package is $deb, not xvrrp_${version}_$arch.deb"
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version: $(dpkg-deb -f "$deb" Version)"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libbpf1 libxdp1 libnl-route-3-200 libsystemd0; do
    [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib (shlibs): $depends"
done

# Build-Depends names every library tools/test installs to build (-dev packages; dpkg-dev is
# the packaging tool itself, which build-essential brings to every Debian build).
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$src/packaging/debian/control")
for p in $(sed -n '/^PKGS=(/,/)/p' "$src/tools/test" | grep -oE '[a-z0-9.+-]+-dev\b' | grep -vx dpkg-dev | sort -u); do
    [[ $bdeps == *" $p"[,$'\n']* || $bdeps == *" $p" ]] ||
        fail "packaging/debian/control: Build-Depends lacks $p (in tools/test PKGS)"
done

# lintian: the tags for the log, errors fail.
lintian --fail-on error "$deb" >"$SCRATCH/lintian.out" 2>&1; rc=$?
grep -E '^[EWI]: ' "$SCRATCH/lintian.out"
((rc == 0)) || fail "lintian exited $rc: $(grep '^E: ' "$SCRATCH/lintian.out")"

# The file list: what must be there, and nothing outside the package's places.
dpkg-deb -c "$deb" >"$SCRATCH/listing"
awk '{print $NF}' "$SCRATCH/listing" | sed 's|^\./|/|' | grep -v '/$' | sort >"$SCRATCH/files"
for f in /usr/sbin/xvrrpd /usr/sbin/xvrrpctl /usr/sbin/xvrrp-arbiter \
    /lib/systemd/system/xvrrpd.service /lib/systemd/system/xvrrp-arbiter.service \
    /etc/default/xvrrpd /etc/default/xvrrp-arbiter /etc/xvrrp/arbiter.conf \
    /etc/logrotate.d/xvrrp-arbiter \
    /usr/share/man/man8/xvrrpd.8.gz /usr/share/man/man8/xvrrpctl.8.gz \
    /usr/share/man/man8/xvrrp-arbiter.8.gz /usr/share/man/man5/xvrrp-arbiter.conf.5.gz \
    /usr/share/bash-completion/completions/xvrrpd /usr/share/bash-completion/completions/xvrrpctl \
    /usr/share/bash-completion/completions/xvrrp-arbiter \
    /usr/share/doc/xvrrp/examples/keepalived.conf /usr/share/doc/xvrrp/examples/arbiter.conf \
    /usr/share/doc/xvrrp/copyright /usr/share/doc/xvrrp/changelog.gz; do
    grep -qxF "$f" "$SCRATCH/files" || fail "the package lacks $f"
done
grep -vE '^/(usr/sbin/xvrrp|lib/systemd/system/xvrrp|etc/(default/xvrrp|xvrrp/|logrotate\.d/xvrrp)|usr/share/(man/man[58]/xvrrp|bash-completion/completions/xvrrp|doc/xvrrp/))' \
    "$SCRATCH/files" | sed 's/^/unexpected file in the package: /' | while read -r l; do echo "FAIL: $l"; done |
    tee "$SCRATCH/unexpected" >&2
[[ -s $SCRATCH/unexpected ]] && fail "files outside the package's places"
for b in xvrrpd xvrrpctl xvrrp-arbiter; do
    grep -qE "^-rwxr-xr-x .* \./usr/sbin/$b$" "$SCRATCH/listing" || fail "/usr/sbin/$b is not 0755"
done
dpkg-deb -e "$deb" "$SCRATCH/control"
conffiles=$(sort "$SCRATCH/control/conffiles" | tr '\n' ' ')
[[ $conffiles == "/etc/default/xvrrp-arbiter /etc/default/xvrrpd /etc/logrotate.d/xvrrp-arbiter /etc/xvrrp/arbiter.conf " ]] ||
    fail "conffiles: $conffiles"
((failures)) || ok "$(basename "$deb"): lintian clean, $(wc -l <"$SCRATCH/files") files as expected"

# The packaged binaries accept the packaged configurations.
x=$SCRATCH/x
dpkg-deb -x "$deb" "$x"
for conf in "$x/etc/xvrrp/arbiter.conf" "$x/usr/share/doc/xvrrp/examples/arbiter.conf"; do
    out=$("$x/usr/sbin/xvrrp-arbiter" -t -f "$conf" 2>&1) || fail "xvrrp-arbiter -t ${conf#"$x"}: $out"
    [[ $out == *": ok: "* ]] || fail "xvrrp-arbiter -t ${conf#"$x"} said: $out"
done
out=$("$x/usr/sbin/xvrrpd" -t -f "$x/usr/share/doc/xvrrp/examples/keepalived.conf" 2>&1) ||
    fail "xvrrpd -t examples/keepalived.conf: $out"
[[ $out == *"configuration is usable (0 errors, 0 warnings"* ]] || fail "xvrrpd -t examples/keepalived.conf: $out"
((failures)) || ok "the example and default configurations pass -t"

# Maintainer scripts, against stubs that log every call and answer as the real tools would
# for STATE: new (never installed), enabled (installed and enabled) or disabled.
m=$SCRATCH/maint
mkdir -p "$m/bin"
cat >"$m/bin/systemctl" <<'STUB'
#!/bin/sh
echo "systemctl $*" >>"$MAINT_LOG"
case "$*" in
    *is-enabled*) if [ "$STATE" = enabled ]; then echo enabled; else echo disabled; exit 1; fi ;;
    *is-active*) [ "$STATE" = enabled ] ;;
esac
STUB
cat >"$m/bin/deb-systemd-helper" <<'STUB'
#!/bin/sh
echo "deb-systemd-helper $*" >>"$MAINT_LOG"
case "$1" in --quiet) shift ;; esac
case "$1" in
    debian-installed) [ "$STATE" != new ] ;;
    was-enabled) [ "$STATE" != disabled ] ;;  # true for a unit never installed before
esac
STUB
printf '#!/bin/sh\nexit 0\n' >"$m/bin/policy-rc.d"
chmod +x "$m/bin/"*
# maint STATE SCRIPT ARGS...: runs a maintainer script with /run and /var/log private (tmpfs),
# systemd seemingly running, policy-rc.d allowing; its calls end up in $m/log.
maint() {
    local state=$1; shift
    : >"$m/log"
    MAINT_LOG=$m/log STATE=$state PATH=$m/bin:$PATH unshare -m sh -c '
        mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log && mkdir -p /run/systemd/system
        if [ -e /usr/sbin/policy-rc.d ]; then mount --bind "$0/bin/policy-rc.d" /usr/sbin/policy-rc.d; fi
        mkdir -p /var/log/xvrrp && touch /var/log/xvrrp/arbiter.log /var/log/xvrrp/arbiter.log.1.gz
        sh "$@"; rc=$?
        ls /var/log/xvrrp >"$0/var-log-xvrrp" 2>&1
        exit $rc' "$m" "$@" >>"$m/out" 2>&1 || fail "$* ($state) exited non-zero: $(cat "$m/out")"
}
maint new "$SCRATCH/control/postinst" configure
if grep -E 'helper enable|systemctl .*(--system|--quiet) (start|restart|enable)' "$m/log"; then
    fail "a fresh installation enables or starts a unit"
fi
maint enabled "$SCRATCH/control/postinst" configure 0.0.1
grep -qE 'systemctl --quiet --system restart xvrrp-arbiter.service xvrrpd.service' "$m/log" ||
    fail "an upgrade does not restart the enabled units: $(cat "$m/log")"
maint enabled "$SCRATCH/control/prerm" remove
grep -qE 'systemctl .*stop xvrrp-arbiter.service xvrrpd.service' "$m/log" ||
    fail "removal does not stop the units: $(cat "$m/log")"
maint disabled "$SCRATCH/control/postrm" purge
[[ $(cat "$m/var-log-xvrrp") == *"No such file"* ]] ||
    fail "purge left /var/log/xvrrp: $(cat "$m/var-log-xvrrp")"
grep -q 'deb-systemd-helper purge' "$m/log" || fail "purge does not forget the units' state"
((failures)) || ok "maintainer scripts: install starts nothing, upgrade restarts, remove stops, purge cleans"
finish
