#!/usr/bin/env bash
# make install-files / make uninstall into a DESTDIR (ctest "install.tree",
# no root needed): the installed tree is exactly the one docs/install.md
# lists plus one .ko per module built for the kernel; the unit points at the
# installed daemon; the state dir is 0700; a changed settings file is kept
# by uninstall and not overwritten by the next install; uninstall leaves no
# other file behind.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${STORCTL_BUILD:?}
fail() { echo "FAIL: install.tree: $*"; exit 1; }
kver=$(find "$build/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | head -n1)
[ -n "$kver" ] || fail "no modules built in $build/modules"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mk() { make -s --no-print-directory -C "$src" BUILD="$build" DESTDIR="$d" PREFIX=/usr KVER="$kver" "$@"; }

mk install-files >/dev/null
want=$(sed -n '/<!-- install-tree:begin -->/,/<!-- install-tree:end -->/p' "$src/docs/install.md" |
	grep '^/' | sed 's|/$||'
	(cd "$build/modules/$kver" && find . -name '*.ko' -printf "/lib/modules/$kver/updates/storctl/%f\n"))
got=$(cd "$d" && find . -type f -printf '/%P\n'; find . -type d -path ./var/lib/storctl -printf '/%P\n')
diff <(sort <<<"$want") <(sort <<<"$got") || fail "installed tree differs from docs/install.md (< doc, > installed)"
grep -qx "ExecStart=/usr/sbin/storctld --foreground" "$d/usr/lib/systemd/system/storctld.service" ||
	fail "unit ExecStart: $(grep ExecStart= "$d/usr/lib/systemd/system/storctld.service")"
[ "$(stat -c %a "$d/var/lib/storctl")" = 700 ] || fail "state dir mode $(stat -c %a "$d/var/lib/storctl")"
"$d/usr/sbin/storctl" --version | grep -q '^storctl ' || fail "installed storctl does not run"

mk uninstall >/dev/null
left=$(cd "$d" && find . -type f -printf '/%P\n'; find . -type d -path './var/lib/storctl' -printf '/%P\n')
[ -z "$left" ] || fail "uninstall left: $left"

# The admin's settings survive uninstall and the next install.
mk install-files >/dev/null
echo "log-level = debug" >>"$d/etc/storctl/storctld.conf"
mk uninstall | grep -q "keeping $d/etc/storctl/storctld.conf" || fail "uninstall did not keep the changed settings"
left=$(cd "$d" && find . -type f -printf '/%P\n')
[ "$left" = /etc/storctl/storctld.conf ] || fail "uninstall left: $left"
mk install-files >/dev/null
grep -q "log-level = debug" "$d/etc/storctl/storctld.conf" || fail "install overwrote the settings"
mk uninstall >/dev/null
left=$(cd "$d" && find . -type f -printf '/%P\n')
[ "$left" = /etc/storctl/storctld.conf ] || fail "uninstall removed or left: $left"
echo "PASS: install.tree ($(wc -l <<<"$want") paths, modules for $kver)"
