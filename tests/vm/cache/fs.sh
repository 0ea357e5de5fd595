#!/usr/bin/env bash
# ext4 on the cache device, in wt and wa (4 KiB and 64 KiB cache blocks):
# mkfs, mount, write files of known sha256, umount, fsck -fn clean, mount
# again and check them (read twice with the page cache dropped in between:
# the second read gets cache hits), change some, umount, fsck; then remove
# the cache and the origin alone passes fsck and holds the same files.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup mkfs.ext4 fsck.ext4 sha256sum

o=$(srd_create 64M)
k=$(srd_create 8M)
mnt=$_T/mnt
sums=$_T/sums
mkdir -p "$mnt"
on_exit "umount -l $mnt"

fsck_clean() {
	local out rc=0
	out=$(fsck.ext4 -fn "$1" 2>&1) || rc=$?
	[ $rc -eq 0 ] || fail "fsck.ext4 -fn $1 exited $rc: $out"
}

check_files() {
	local out
	out=$(cd "$mnt" && sha256sum --quiet -c "$sums" 2>&1) || fail "$1: files differ: $out"
}

for cfg in "8 wt" "128 wa"; do
	note "table '... $cfg'"
	dmsetup create sc --table "0 $((64 * 2048)) stor-cache /dev/$o /dev/$k $cfg"
	on_exit "dmsetup remove --retry sc"
	settle
	run_ok mkfs.ext4 -q -F /dev/mapper/sc
	mount /dev/mapper/sc "$mnt"
	mkdir "$mnt/dir"
	for ((i = 0; i < 40; i++)); do
		head -c $((RANDOM * 3 + i)) /dev/urandom >"$mnt/dir/f$i"
	done
	head -c $((12 << 20)) /dev/urandom >"$mnt/big1"
	dd if=/dev/urandom of="$mnt/big2" bs=1M count=6 iflag=fullblock oflag=direct status=none
	(cd "$mnt" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$sums"
	assert_eq "$(wc -l <"$sums")" 42 "files written"
	umount "$mnt"
	fsck_clean /dev/mapper/sc

	mount /dev/mapper/sc "$mnt"
	check_files "after remount"
	dmsetup message sc 0 clear_stats
	drop_caches
	check_files "after remount, page cache dropped"
	note "status: $(dmsetup status sc)"
	assert_ge "$(st 1)" 1 "read_hits when the files are read again"
	# Change some files.
	for ((i = 0; i < 40; i += 7)); do
		head -c 5000 /dev/urandom >>"$mnt/dir/f$i"
	done
	rm "$mnt/dir/f1"
	dd if=/dev/urandom of="$mnt/big1" bs=64k seek=17 count=20 iflag=fullblock conv=notrunc status=none
	(cd "$mnt" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$sums"
	umount "$mnt"
	fsck_clean /dev/mapper/sc
	assert_eq "$(st 8)" 0 "cache_errors"
	assert_eq "$(st 9)" 0 "origin_errors"
	dmsetup remove sc

	note "the origin alone"
	fsck_clean "/dev/$o"
	mount -o ro "/dev/$o" "$mnt"
	check_files "on the origin alone"
	umount "$mnt"
done
pass "ext4 through the cache, wt and wa"
