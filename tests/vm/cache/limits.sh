#!/usr/bin/env bash
# Size limits and queue limits: origin block numbers are 32-bit, so an
# origin of 2^32 - 1 or more cache blocks is refused with a clear message
# (and accepted with a larger block size); io_min and io_opt of the cache
# device are the cache block size.
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup

k=$(srd_create 16M)
# A 16 TiB origin that needs no memory: the zero target.
big=$((1 << 35)) # sectors
dmsetup create scz --table "0 $big zero"
on_exit "dmsetup remove --retry scz"

dmesg -C
if dmsetup create scbig --table "0 $big stor-cache /dev/mapper/scz /dev/$k 8 wt" 2>/dev/null; then
	dmsetup remove scbig
	fail "a 16 TiB origin with 4 KiB blocks (2^32 blocks) was accepted"
fi
kmsg_has "stor-cache: Origin has more than 2^32 - 2 blocks" ||
	fail "no size-limit message in dmesg: $(dmesg | tail -3)"
! dmsetup info scbig >/dev/null 2>&1 || fail "the refused table left scbig behind"

note "the same origin with 8 KiB blocks"
dmsetup create scbig --table "0 $big stor-cache /dev/mapper/scz /dev/$k 16 wt"
on_exit "dmsetup remove --retry scbig"
settle
dm=$(basename "$(readlink -f /dev/mapper/scbig)")
assert_eq "$(cat /sys/block/$dm/size)" $big "size of the cache device"
assert_eq "$(cat /sys/block/$dm/queue/minimum_io_size)" 8192 "io_min = the cache block size"
assert_eq "$(cat /sys/block/$dm/queue/optimal_io_size)" 8192 "io_opt = the cache block size"
# Reads at the far end work (zeros from the origin, then from the cache).
off=$(((big - 16) * 512))
is_zero /dev/mapper/scbig $off 8192 || fail "the last block does not read zeros"
is_zero /dev/mapper/scbig $off 8192 || fail "the last block does not read zeros (second read)"
pass
