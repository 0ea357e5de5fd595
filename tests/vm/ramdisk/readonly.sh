#!/usr/bin/env bash
# --read-only: the disk is read-only to the block layer (ro=1, BLKROGET),
# every kind of write (write, discard, write-zeroes, mkfs) fails, reads
# return zeros, nothing gets allocated, and BLKROSET (blockdev --setrw)
# cannot make it writable.
. "$(dirname "$0")/../lib.sh"
need_cmd blkdiscard mkfs.ext4

d=$(srd_create 16M --read-only)
dev=/dev/$d
assert_eq "$(srd_json "$d" read_only)" true "info read_only"
assert_eq "$(srd_sysfs "$d" options)" read_only "sysfs options"
assert_eq "$(cat "/sys/block/$d/ro")" 1 "/sys/block/$d/ro"
assert_eq "$(blockdev --getro "$dev")" 1 "blockdev --getro"

# rejects WHAT CMD...: CMD must fail and leave the disk empty.
rejects() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		fail "$what succeeded on a read-only disk"
	fi
	assert_eq "$(used_bytes "$d")" 0 "used_bytes after refused $what"
}

check_ro() {
	rejects "O_DIRECT write" dd if=/dev/urandom of="$dev" bs=4k count=1 oflag=direct
	rejects "buffered write+fsync" dd if=/dev/urandom of="$dev" bs=4k count=1 conv=fsync
	rejects "blkdiscard" blkdiscard "$dev"
	rejects "blkdiscard -z" blkdiscard -z "$dev"
	rejects "mkfs.ext4" mkfs.ext4 -q -F "$dev"
	is_zero "$dev" 0 $((16 * 1024 * 1024)) || fail "read-only disk does not read zeros"
}
check_ro

note "blockdev --setrw does not make it writable"
blockdev --setrw "$dev" 2>/dev/null || true
check_ro

note "a writable disk next to it works"
w=$(srd_create 16M)
assert_eq "$(srd_json "$w" read_only)" false "info read_only of a normal disk"
assert_eq "$(cat "/sys/block/$w/ro")" 0 "/sys/block/$w/ro"
run_ok dd if=/dev/urandom of="/dev/$w" bs=4k count=1 oflag=direct status=none

pass
