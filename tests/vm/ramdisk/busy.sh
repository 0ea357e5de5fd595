#!/usr/bin/env bash
# A disk in use cannot be removed: remove fails with exit 4 ("busy") while
# (a) a file descriptor is open, (b) it is mounted, (c) a dm-linear table
# holds it.  After each refusal the disk and its data are intact; once
# released, remove works.  rmmod stor_ramdisk is refused while a disk is open.
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup mkfs.ext4 mount umount

MiB=$((1024 * 1024))

# still_there NAME SUM: the disk exists and its first 4 MiB checksum is SUM.
still_there() {
	[ -b "/dev/$1" ] || fail "/dev/$1 vanished after a refused remove"
	[ -d "/sys/block/$1" ] || fail "/sys/block/$1 vanished after a refused remove"
	assert_eq "$(srd_json "$1" size_bytes)" $((16 * MiB)) "$1 size after refused remove"
	[ -z "${2:-}" ] || assert_eq "$(sha_range "/dev/$1" 0 $((4 * MiB)))" "$2" "$1 data after refused remove"
}

fill() {
	dd if=/dev/urandom of="/dev/$1" bs=1M count=4 oflag=direct status=none
	sha_range "/dev/$1" 0 $((4 * MiB))
}

removed() {
	settle
	run_ok "$STORCTL" ramdisk remove "$1" >/dev/null
	settle
	[ ! -e "/sys/block/$1" ] || fail "/sys/block/$1 still there after remove"
}

note "(a) open file descriptor"
a=$(srd_create 16M)
sum=$(fill "$a")
exec 3<"/dev/$a"
assert_eq "$(srd_json "$a" open_count)" 1 "open_count while one fd is open"
expect_rc 4 busy -- "$STORCTL" ramdisk remove "$a"
still_there "$a" "$sum"
exec 3<&-
assert_eq "$(srd_json "$a" open_count)" 0 "open_count after close"
removed "$a"

note "(b) mounted ext4"
b=$(srd_create 16M)
mkfs.ext4 -q -F "/dev/$b"
mnt=$(mktemp -d)
on_exit "umount '$mnt'"
mount "/dev/$b" "$mnt"
head -c $((2 * MiB)) /dev/urandom >"$mnt/file"
sync
fsum=$(sha256sum <"$mnt/file")
expect_rc 4 busy -- "$STORCTL" ramdisk remove "$b"
still_there "$b"
assert_eq "$(sha256sum <"$mnt/file")" "$fsum" "file on the mounted fs after refused remove"
umount "$mnt"
mount -o ro "/dev/$b" "$mnt"
assert_eq "$(sha256sum <"$mnt/file")" "$fsum" "file after remount"
umount "$mnt"
removed "$b"

note "(c) dm-linear table"
modprobe dm_mod 2>/dev/null || true
c=$(srd_create 16M)
sum=$(fill "$c")
dm=srdtest-$$
on_exit "dmsetup remove --retry $dm"
run_ok dmsetup create "$dm" --table "0 $((16 * MiB / 512)) linear /dev/$c 0"
settle
expect_rc 4 busy -- "$STORCTL" ramdisk remove "$c"
still_there "$c" "$sum"
assert_eq "$(sha_range "/dev/mapper/$dm" 0 $((4 * MiB)))" "$sum" "data through the dm device"
run_ok dmsetup remove --retry "$dm"
settle
removed "$c"

note "rmmod refused while a disk is open"
r=$(srd_create 16M)
sum=$(fill "$r")
exec 4<"/dev/$r"
if rmmod stor_ramdisk 2>/dev/null; then
	fail "rmmod stor_ramdisk succeeded while /dev/$r was open"
fi
grep -q '^stor_ramdisk ' /proc/modules || fail "stor_ramdisk is gone"
[ -c "$SRD_CONTROL" ] || fail "$SRD_CONTROL is gone after a refused rmmod"
still_there "$r" "$sum"
exec 4<&-
removed "$r"

pass
