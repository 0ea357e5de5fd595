#!/usr/bin/env bash
# Inside the VM (run-vm --no-modules, started by tests/dkms/dkms-test.sh):
# put the modules DKMS installed for this kernel into /lib/modules (the
# guest's root is a tmpfs overlay, the host's tree is not touched) with the
# index files depmod made for them on the host, and load them with plain
# modprobe, nothing from the build tree.  Then use them: a RAM disk through
# storctl, data written and read back, a stor-cache table over it.
# shellcheck disable=SC2034 # read by lib.sh
LIB_MODULES_LATER=1
. "$(dirname "$0")/../vm/lib.sh"
need_cmd modprobe modinfo depmod dmsetup

lib=${DKMS_INSTALLTREE:?}/$KVER/updates/dkms
[ -d "$lib" ] || fail "DKMS installed nothing for $KVER ($lib missing)"
# ko FILE-STEM: the module file DKMS installed (compressed like the
# kernel's own modules on 6.12: .ko.xz).
ko() {
	local f
	for f in "$1/$2.ko" "$1/$2.ko.xz" "$1/$2.ko.zst" "$1/$2.ko.gz"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
for m in stor_ramdisk dm-stor-cache; do
	ko "$lib" "$m" >/dev/null || fail "$m missing in $lib: $(ls "$lib")"
	[ ! -e "/sys/module/${m//-/_}" ] || fail "$m is loaded before the test loads it"
done
mkdir -p "/lib/modules/$KVER/updates"
cp -r "$lib" "/lib/modules/$KVER/updates/dkms"
# The modules.* index files from the host's depmod run over the same tree
# (dkms-test.sh explains why not depmod here).
base=${DKMS_DEPMOD_BASE:?}/lib/modules/$KVER
grep -q "^updates/dkms/stor_ramdisk" "$base/modules.dep" || fail "no DKMS modules in $base/modules.dep"
for f in "$base"/modules.*; do
	[ -L "$f" ] || cp "$f" "/lib/modules/$KVER/"
done

note "modprobe the DKMS-built modules"
for m in stor_ramdisk dm-stor-cache; do
	path=$(modinfo -n "$m") || fail "modinfo $m"
	want=$(ko "/lib/modules/$KVER/updates/dkms" "$m")
	assert_eq "$path" "$want" "modinfo -n $m"
	run_ok modprobe "$m"
	sys=/sys/module/${m//-/_}
	[ -d "$sys" ] || fail "$m not loaded after modprobe"
	if [ -f "$sys/srcversion" ]; then
		assert_eq "$(<"$sys/srcversion")" "$(modinfo -F srcversion "$want")" "srcversion of the loaded $m"
	fi
done
# The RDMA modules, when the package has them, resolve their in-kernel
# dependencies (rdma_cm, ib_core) through modprobe too.
for m in stor_rnbd_server stor_rnbd_client; do
	ko "$lib" "$m" >/dev/null || continue
	run_ok modprobe "$m"
	[ -d "/sys/module/$m" ] || fail "$m not loaded after modprobe"
done

note "use them"
d=$(srd_create 16M)
head -c 1048576 /dev/urandom >"$_T/data"
run_ok dd if="$_T/data" of="/dev/$d" bs=64K oflag=direct status=none
assert_eq "$(sha_range "/dev/$d" 0 1048576)" "$(sha256sum <"$_T/data" | cut -d' ' -f1)" "data on /dev/$d"
o=$(srd_create 32M)
run_ok dmsetup create dkmssc --table "0 $((32 * 2048)) stor-cache /dev/$o /dev/$d 8 wt"
run_ok dd if="$_T/data" of=/dev/mapper/dkmssc bs=64K oflag=direct status=none
assert_eq "$(sha_range /dev/mapper/dkmssc 0 1048576)" "$(sha_range "/dev/$o" 0 1048576)" \
	"data through stor-cache"
run_ok dmsetup remove dkmssc
pass "DKMS modules for $KVER"
