#!/usr/bin/env bash
# systemd-analyze verify of storctld.service as `make install` installs it
# (ctest "lint.systemd-verify", no root needed): the userspace part is
# installed into a temporary DESTDIR with prefix /usr/local (so ExecStart=
# and ExecStartPre= name a binary that exists there), and the unit is
# verified against that tree (--root) with its man: documentation looked up
# in the tree's man pages.  Any output (warning or error) or a non-zero exit
# fails.  Usage: systemd-verify.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: systemd-verify.sh BUILD_DIR}
fail() { echo "FAIL: lint.systemd-verify: $*"; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (apt-get install systemd)"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
DESTDIR=$d cmake --install "$build" --prefix /usr/local >"$d.log" 2>&1 ||
	{ cat "$d.log"; rm -f "$d.log"; fail "cmake --install into $d failed"; }
rm -f "$d.log"
unit=$d/usr/local/lib/systemd/system/storctld.service
[ -f "$unit" ] || fail "no unit at $unit after the install"
for exe in $(sed -n 's/^Exec[A-Za-z]*=[-+@!:]*\([^ ]*\).*/\1/p' "$unit"); do
	[ -x "$d$exe" ] || fail "the unit runs $exe, which the install did not put at $d$exe"
done
# The units ours refers to (sysinit.target, network.target, ...) are the
# host's: copies of them (symlinks dereferenced: the host's point at
# absolute paths) go into the tree.
mkdir -p "$d/usr/lib/systemd/system"
for u in /usr/lib/systemd/system/*.target /usr/lib/systemd/system/*.service; do
	[ -e "$u" ] && cp -L "$u" "$d/usr/lib/systemd/system/" 2>/dev/null || true
done
# verify loads the unit by its file name; --root makes it look up the
# commands in the installed tree.
out=$(cd "$d" && MANPATH=$d/usr/local/share/man SYSTEMD_LOG_COLOR=0 \
	systemd-analyze verify --root="$d" "$unit" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
	echo "$out"
	fail "systemd-analyze verify --root=$d $unit: exit $rc, output above"
fi
echo "PASS: lint.systemd-verify ($(grep -c '^Exec' "$unit") Exec lines, $unit)"
