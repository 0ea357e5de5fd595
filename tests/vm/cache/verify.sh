#!/usr/bin/env bash
# Data integrity through the cache: fio crc32c verification (verify_fatal) in
# wt and wa with cache blocks of 8, 128 and 2048 sectors and a cache a
# quarter of the origin, so blocks are evicted and reused all the time.
#
# Per mode and block size:
#   fill    randwrite over the whole device, then fio's verify phase
#   mixed   two randrw passes (different seeds) verifying what they wrote
#           while they run (verify_backlog), reads and writes interleaved
#   reread  verify_only passes of the last mixed pass: its blocks are read
#           again and again, so they are promoted and then read from the cache
# then read_hits >= 1 (where reads can promote), cache_errors == 0,
# origin_errors == 0, the whole device reads the same through the cache as on
# the origin, and after "dmsetup remove" the origin alone verifies.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup fio

# Partial-block read misses are promoted (the whole block is read from the
# origin), so every block size gets read hits although fio reads here are at
# most 256 KiB, less than a 2048-sector (1 MiB) block.  A module that only
# promotes whole-block read misses (the first cut) gets no hits with 1 MiB
# blocks: set this to 0 to test one.
PARTIAL_READS_PROMOTE=1
MAX_BS_KB=256

o=$(srd_create 8M)
k=$(srd_create 2M)
len=$((8 * 2048))

fio_v() {
	fio_run --name=v --ioengine=libaio --iodepth=8 --direct=1 \
		--bsrange=4k-${MAX_BS_KB}k --blockalign=4k --size=8m \
		--verify=crc32c --verify_fatal=1 --verify_dump=0 "$@"
}
# The last mixed pass; verify_only replays it (same seed and sizes).
mixed2=(--rw=randrw --rwmixread=50 --io_size=1536k --randseed=7 --verify_backlog=16)

for mode in wt wa; do
	for bs in 8 128 2048; do
		note "mode $mode, cache block $bs sectors"
		dmsetup create sc --table "0 $len stor-cache /dev/$o /dev/$k $bs $mode"
		on_exit "dmsetup remove --retry sc"
		dev=/dev/mapper/sc
		fio_v --filename=$dev --rw=randwrite --randseed=5 --do_verify=1
		fio_v --filename=$dev --rw=randrw --rwmixread=50 --io_size=3m --randseed=6 --verify_backlog=16
		fio_v --filename=$dev "${mixed2[@]}"
		fio_v --filename=$dev "${mixed2[@]}" --verify_only=1
		fio_v --filename=$dev "${mixed2[@]}" --verify_only=1
		note "status: $(dmsetup status sc)"
		if [ $((bs * 512)) -le $((MAX_BS_KB * 1024)) ] || [ $PARTIAL_READS_PROMOTE = 1 ]; then
			assert_ge "$(st 1)" 1 "read_hits ($mode, $bs)"
		fi
		assert_ge "$(st 6)" 1 "evictions ($mode, $bs)"
		assert_eq "$(st 8)" 0 "cache_errors ($mode, $bs)"
		assert_eq "$(st 9)" 0 "origin_errors ($mode, $bs)"
		assert_eq "$(sha_range $dev 0 $((8 << 20)))" "$(sha_range "/dev/$o" 0 $((8 << 20)))" \
			"whole device through the cache vs the origin ($mode, $bs)"
		dmsetup remove sc
		fio_v --filename="/dev/$o" "${mixed2[@]}" --verify_only=1
	done
done
pass "wt and wa, cache blocks 8, 128, 2048"
