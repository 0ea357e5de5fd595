#!/usr/bin/env bash
# 4Kn devices: a 4096-byte-sector origin under a 512-byte cache device and
# the other way round.  The cache device has the larger of the two logical
# block sizes (4096) whichever side it comes from; fio crc32c verification
# works through it in wt and wa (4 KiB and 64 KiB cache blocks) and the
# blocks read again are hits; 512-byte direct reads and writes, and 4 KiB
# ones at a 512-byte offset, are refused with EINVAL; after "dmsetup remove"
# the origin alone verifies.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup fio blockdev

fio_v() {
	fio_run --name=v --ioengine=libaio --iodepth=8 --direct=1 --rw=randwrite \
		--bsrange=4k-128k --blockalign=4k --size=8m --randseed=11 \
		--verify=crc32c --verify_fatal=1 --verify_dump=0 "$@"
}

for lbs in "4096 512" "512 4096"; do
	read -r olbs klbs <<<"$lbs"
	o=$(srd_create 16M --logical-block-size "$olbs")
	k=$(srd_create 4M --logical-block-size "$klbs")
	assert_eq "$(blockdev --getss "/dev/$o")" "$olbs" "origin logical block size"
	assert_eq "$(blockdev --getss "/dev/$k")" "$klbs" "cache device logical block size"
	for cfg in "8 wt" "128 wa"; do
		note "origin $olbs-byte sectors, cache $klbs-byte sectors, table '... $cfg'"
		dmsetup create sc --table "0 $((16 * 2048)) stor-cache /dev/$o /dev/$k $cfg"
		on_exit "dmsetup remove --retry sc"
		settle
		dm=$(basename "$(readlink -f /dev/mapper/sc)")
		assert_eq "$(cat "/sys/block/$dm/queue/logical_block_size")" 4096 "queue/logical_block_size"
		assert_eq "$(blockdev --getss /dev/mapper/sc)" 4096 "blockdev --getss"
		dmsetup message sc 0 clear_stats

		fio_v --filename=/dev/mapper/sc --do_verify=1
		fio_v --filename=/dev/mapper/sc --verify_only=1
		fio_v --filename=/dev/mapper/sc --verify_only=1
		assert_ge "$(st 1)" 1 "read_hits"

		expect_rc 1 "Invalid argument" -- \
			dd if=/dev/mapper/sc of=/dev/null bs=512 count=1 iflag=direct status=none
		expect_rc 1 "Invalid argument" -- \
			dd if=/dev/mapper/sc of=/dev/null bs=4096 count=1 iflag=direct,skip_bytes skip=512 status=none
		expect_rc 1 "Invalid argument" -- \
			dd if=/dev/zero of=/dev/mapper/sc bs=512 count=1 seek=8 oflag=direct status=none
		expect_rc 1 "Invalid argument" -- \
			dd if=/dev/zero of=/dev/mapper/sc bs=4096 count=1 oflag=direct,seek_bytes seek=512 status=none
		# 4 KiB direct I/O is fine.
		run_ok dd if=/dev/mapper/sc of=/dev/null bs=4096 count=4 iflag=direct status=none
		assert_eq "$(st 8)" 0 "cache_errors"
		assert_eq "$(st 9)" 0 "origin_errors"
		dmsetup remove sc
		fio_v --filename="/dev/$o" --verify_only=1
	done
done
pass "4096/512 and 512/4096, wt and wa"
