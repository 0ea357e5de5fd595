#!/usr/bin/env bash
# DKMS packaging test (ctest "dkms.install", label vm).
# Run as root on the host: DKMS builds on the host, into private trees
# under the build dir (--dkmstree, --sourcetree, --installtree: the host's
# /lib/modules and /var/lib/dkms/storctl are not touched), from the source
# tree scripts/dkms-tree writes (what `make dkms-install` puts in
# /usr/src).  Each kernel then boots in the VM without the build tree's
# modules (run-vm --no-modules) and tests/dkms/_guest.sh loads the
# DKMS-installed ones with plain modprobe.
#
# dkms add; dkms build + install for the oldest kernel with headers; then,
# for every newer kernel, what its header package's postinst hook runs
# (`dkms autoinstall -k NEW`), checking NEW had no modules before; then
# every kernel boots with what DKMS installed for it.  So both ways a
# kernel gets the modules (explicit install, autoinstall on upgrade) are
# covered with one build per kernel.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${STORCTL_BUILD:-$src/build}
[ "$(id -u)" = 0 ] || { echo "dkms-test: needs root (dkms)"; exit 1; }
command -v dkms >/dev/null || { echo "dkms-test: dkms missing (scripts/install-deps)"; exit 1; }

# Not scripts/debug-kernel's kernel: the VM tests leave it out too.
mapfile -t kernels < <(for d in /lib/modules/*/build; do
	k=${d%/build}; k=${k##*/}
	case $k in *-storctl-debug) continue ;; esac
	[ -f "/boot/vmlinuz-$k" ] && echo "$k"
done | sort -V)
[ ${#kernels[@]} -ge 1 ] || { echo "dkms-test: no kernel with headers"; exit 1; }
version=$(sed -n 's/^project(storctl VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")

t=$build/dkms-test
rm -rf "$t"
mkdir -p "$t/dkms" "$t/src" "$t/lib"
for k in "${kernels[@]}"; do
	mkdir -p "$t/lib/$k"
	ln -s "/lib/modules/$k/build" "$t/lib/$k/build"
done
trees=(--dkmstree "$t/dkms" --sourcetree "$t/src" --installtree "$t/lib")
"$src/scripts/dkms-tree" "$t/src/storctl-$version"
dkms add -m storctl -v "$version" "${trees[@]}"

# depmod for KVER as dkms install would run it, but over a copy of the
# kernel's module tree (symlinks) with DKMS's updates/ in it: the guest
# takes the resulting modules.* files (a depmod inside the guest reads
# every module over 9p and took 118 s on 6.12 under TCG).
depmod_base() {
	local k=$1 b=$t/base/lib/modules/$1 f
	mkdir -p "$b/updates"
	for f in "/lib/modules/$k"/*; do
		case ${f##*/} in
		modules.builtin* | modules.order) cp "$f" "$b/" ;;
		modules.* | updates | build | source) ;;
		*) ln -s "$f" "$b/${f##*/}" ;;
		esac
	done
	ln -s "$t/lib/$k/updates/dkms" "$b/updates/dkms"
	depmod -b "$t/base" "$k"
}

boot() { # boot KVER: the guest test against what DKMS installed for KVER
	depmod_base "$1"
	"$src/tests/vm/run-vm" --kernel "$1" --no-modules --results "$build/vm-results/dkms.install.$1" \
		--env DKMS_INSTALLTREE="$t/lib" --env DKMS_DEPMOD_BASE="$t/base" -- "$src/tests/dkms/_guest.sh"
}

old=${kernels[0]}
dkms build -m storctl -v "$version" -k "$old" "${trees[@]}"
dkms install -m storctl -v "$version" -k "$old" "${trees[@]}" --no-depmod
for new in "${kernels[@]:1}"; do
	[ ! -e "$t/lib/$new/updates" ] || { echo "dkms-test: $new has modules before the upgrade"; exit 1; }
	# What the kernel's postinst hook (/etc/kernel/postinst.d/dkms) runs.
	dkms autoinstall -k "$new" "${trees[@]}" --no-depmod
done
dkms status -m storctl "${trees[@]}"
for k in "${kernels[@]}"; do
	[ -d "$t/lib/$k/updates/dkms" ] || { echo "dkms-test: nothing installed for $k"; exit 1; }
	boot "$k"
done
echo "dkms-test: passed"
