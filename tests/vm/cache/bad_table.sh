#!/usr/bin/env bash
# Every constructor error: dmsetup create fails, the kernel log names the
# problem, and no device is left behind.
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup

o=$(srd_create 32M)
k=$(srd_create 16M)
tiny=$(srd_create 512K)
len=$((32 * 2048))

bad() {
	local msg=$1
	shift
	dmesg -C
	if dmsetup create scbad --table "0 $len stor-cache $*" 2>/dev/null; then
		dmsetup remove scbad
		fail "table '$*' was accepted"
	fi
	kmsg_has "stor-cache: $msg" || fail "table '$*': no '$msg' in dmesg: $(dmesg | tail -3)"
	! dmsetup info scbad >/dev/null 2>&1 || fail "table '$*' left scbad behind"
}

bad "Expected <origin>" "/dev/$o /dev/$k 8"
bad "Origin and cache must be different devices" "/dev/$o /dev/$o 8 wt"
bad "Invalid cache block size" "/dev/$o /dev/$k 12 wt"
bad "Invalid cache block size" "/dev/$o /dev/$k 4 wt"
bad "Invalid cache block size" "/dev/$o /dev/$k 4096 wt"
bad "Invalid cache block size" "/dev/$o /dev/$k 4k wt"
bad "Unknown cache mode" "/dev/$o /dev/$k 8 wb"
bad "Unknown cache policy" "/dev/$o /dev/$k 8 wt 2 policy nosuch"
bad "Invalid policy tunable" "/dev/$o /dev/$k 8 wt 2 nosuch 1"
bad "Invalid policy tunable" "/dev/$o /dev/$k 8 wt 2 write_promote 7"
bad "Optional arguments must be key value pairs" "/dev/$o /dev/$k 8 wt 1 policy"
bad "Invalid number of optional arguments" "/dev/$o /dev/$k 8 wt 4 policy lru"
bad "Unexpected argument" "/dev/$o /dev/$k 8 wt 2 policy lru extra"
bad "Cannot open origin device" "/dev/nosuch /dev/$k 8 wt"
bad "Cannot open cache device" "/dev/$o /dev/nosuch 8 wt"
bad "Cache device is smaller than one cache block" "/dev/$o /dev/$tiny 2048 wt"

note "good tables round-trip through dmsetup table"
for args in "8 wt" "2048 wa" "8 wt 2 policy lru" "128 wa 4 policy s3fifo write_promote 1"; do
	dmsetup create scgood --table "0 $len stor-cache /dev/$o /dev/$k $args"
	t=$(dmsetup table scgood)
	want="0 $len stor-cache $(cat /sys/block/$o/dev) $(cat /sys/block/$k/dev) $args"
	assert_eq "$t" "$want" "table of '$args'"
	dmsetup reload scgood --table "$t"
	dmsetup resume scgood
	assert_eq "$(dmsetup table scgood)" "$want" "table after reload of '$args'"
	dmsetup remove scgood
done
pass
