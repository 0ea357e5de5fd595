#!/usr/bin/env bash
# Status counters: reading N distinct blocks twice gives N misses, then (once
# the asynchronous fills are done) N hits; a write in wa invalidates the
# block it touches, a whole-block write in wt updates the cached copy; a
# partial read of a larger block promotes the whole block and returns the
# right part of it.
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup

N=64
# Away from the start and end of the device, which udev probes.
B=1000
o=$(srd_create 32M)
k=$(srd_create 16M)

# status fields after "<start> <len> stor-cache": 1 read_hits 2 read_misses
# 3 write_hits 4 write_misses 5 promotions 6 evictions 7 invalidations
# 8 cache_errors 9 origin_errors 10 cached_blocks 11 total_blocks
st() { dmsetup status sc | awk -v f="$1" '{ print $(3 + f) }'; }

wait_cached() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(st 10)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "cached_blocks stayed at $(st 10), expected $1"
}

for mode in wa wt; do
	note "mode $mode"
	dmsetup create sc --table "0 $((32 * 2048)) stor-cache /dev/$o /dev/$k 8 $mode"
	on_exit "dmsetup remove --retry sc"
	settle
	dmsetup message sc 0 invalidate_all
	dmsetup message sc 0 clear_stats
	assert_eq "$(st 10)" 0 "cached_blocks after invalidate_all"
	assert_eq "$(st 11)" 4096 "total_blocks"

	dd if=/dev/mapper/sc of=/dev/null bs=4k skip=$B count=$N iflag=direct status=none
	assert_eq "$(st 2)" $N "read_misses after the first pass"
	assert_eq "$(st 1)" 0 "read_hits after the first pass"
	wait_cached $N
	assert_eq "$(st 5)" $N "promotions"
	dd if=/dev/mapper/sc of=/dev/null bs=4k skip=$B count=$N iflag=direct status=none
	assert_eq "$(st 1)" $N "read_hits after the second pass"
	assert_eq "$(st 2)" $N "read_misses after the second pass"

	# Overwrite block 5 with new data.
	head -c 4096 /dev/urandom >"$_T/blk"
	dd if="$_T/blk" of=/dev/mapper/sc bs=4k seek=$((B + 5)) oflag=direct status=none
	assert_eq "$(st 3)" 1 "write_hits"
	if [ $mode = wa ]; then
		assert_eq "$(st 7)" 1 "invalidations after a wa write"
	else
		assert_eq "$(st 7)" 0 "invalidations after a wt write"
	fi
	# udev probes the device after a writer closes it: let it finish.
	settle
	hits=$(st 1) misses=$(st 2)
	got=$(dd if=/dev/mapper/sc bs=4k skip=$((B + 5)) count=1 iflag=direct status=none | sha256sum)
	assert_eq "$got" "$(sha256sum <"$_T/blk")" "block 5 read back through the cache"
	if [ $mode = wt ]; then
		assert_eq "$(st 1)" $((hits + 1)) "the rewritten block is a hit in wt"
	else
		assert_eq "$(st 2)" $((misses + 1)) "the invalidated block is a miss in wa"
	fi
	got=$(dd if=/dev/$o bs=4k skip=$((B + 5)) count=1 iflag=direct status=none | sha256sum)
	assert_eq "$got" "$(sha256sum <"$_T/blk")" "block 5 on the origin"
	# A partial (512-byte) write invalidates in both modes.
	inv=$(st 7)
	dd if=/dev/zero of=/dev/mapper/sc bs=512 seek=$(((B + 6) * 8 + 1)) count=1 oflag=direct status=none
	assert_eq "$(st 7)" $((inv + 1)) "invalidations after a partial write"
	assert_eq "$(st 8)" 0 "cache_errors"
	assert_eq "$(st 9)" 0 "origin_errors"
	dmsetup remove sc
done
note "partial reads promote whole blocks (64 KiB cache blocks)"
# 16 blocks of 64 KiB at block 100 (6.25 MiB) hold known data on the origin.
OB=100 NB=16
head -c $((NB * 65536)) /dev/urandom >"$_T/big"
dd if="$_T/big" of=/dev/$o bs=64k seek=$OB oflag=direct status=none
dmsetup create sc --table "0 $((32 * 2048)) stor-cache /dev/$o /dev/$k 128 wt"
on_exit "dmsetup remove --retry sc"
settle
dmsetup message sc 0 invalidate_all
dmsetup message sc 0 clear_stats
# One 4 KiB read from the middle of each block: NB misses, NB promotions.
# The data each partial read returns (copied out of the whole-block read)
# must be its own 4 KiB.
for ((i = 0; i < NB; i++)); do
	dd if=/dev/mapper/sc bs=4k skip=$(((OB + i) * 16 + 7)) count=1 iflag=direct status=none
done >"$_T/parts"
for ((i = 0; i < NB; i++)); do
	dd if="$_T/big" bs=4k skip=$((i * 16 + 7)) count=1 status=none
done >"$_T/want"
assert_eq "$(sha256sum <"$_T/parts")" "$(sha256sum <"$_T/want")" "data of the partial read misses"
assert_eq "$(st 2)" $NB "read_misses after one partial read per block"
wait_cached $NB
assert_eq "$(st 5)" $NB "promotions after partial reads"
# Every 4 KiB piece of those blocks is now a hit, and the data is right.
dd if=/dev/mapper/sc of="$_T/back" bs=4k skip=$((OB * 16)) count=$((NB * 16)) iflag=direct status=none
assert_eq "$(st 1)" $((NB * 16)) "read_hits for every 4 KiB piece of the promoted blocks"
assert_eq "$(st 2)" $NB "no new read_misses"
assert_eq "$(sha256sum <"$_T/back")" "$(sha256sum <"$_T/big")" "data of the promoted blocks"
assert_eq "$(st 8)" 0 "cache_errors"
assert_eq "$(st 9)" 0 "origin_errors"
dmsetup remove sc
pass
