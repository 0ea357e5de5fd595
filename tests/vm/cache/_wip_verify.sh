#!/usr/bin/env bash
# Data integrity: fio crc32c write+verify through the cache in wt and wa with
# several cache block sizes (a cache much smaller than the origin, so blocks
# are evicted and reused), a second verify pass served largely from the
# cache, and after "dmsetup remove" the origin alone verifies.
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup fio

o=$(srd_create 32M)
k=$(srd_create 4M)
len=$((32 * 2048))

job() {
	fio_run --name=v --ioengine=libaio --iodepth=8 --direct=1 --rw=randwrite \
		--bsrange=512-256k --blockalign=512 --size=32m --io_size=48m \
		--randseed=42 --verify=crc32c --verify_fatal=1 --verify_dump=0 "$@"
}
st() { dmsetup status sc | awk -v f="$1" '{ print $(3 + f) }'; }

for mode in wt wa; do
	for bs in 8 64 2048; do
		note "mode $mode, cache block $bs sectors"
		dmsetup create sc --table "0 $len stor-cache /dev/$o /dev/$k $bs $mode"
		on_exit "dmsetup remove --retry sc"
		job --filename=/dev/mapper/sc --do_verify=1
		job --filename=/dev/mapper/sc --verify_only=1
		job --filename=/dev/mapper/sc --verify_only=1
		# Reads are at most 256 KiB: only smaller blocks get promoted.
		[ "$bs" -gt 512 ] || assert_ge "$(st 1)" 1 "read_hits after verify passes"
		assert_eq "$(st 8)" 0 "cache_errors"
		assert_eq "$(st 9)" 0 "origin_errors"
		dmsetup remove sc
		job --filename=/dev/$o --verify_only=1
	done
done
pass
