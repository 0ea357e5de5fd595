#!/usr/bin/env bash
# Suspend, resume and table reloads.
#
# Under load: fio runs back to back on the cache device (randrw, crc32c
# verification of what it writes as it goes and at its end, verify_fatal)
# while the device is suspended and resumed several times and its table is
# reloaded (other block size, mode, policy) and resumed; no fio run may
# fail.
#
# Quiet: a plain suspend/resume keeps the cached blocks (hits afterwards)
# and promotes again after the resume; a table reload with another block
# size and policy starts with an empty cache (cached_blocks 0, counters 0,
# total_blocks of the new block size, the new table line) and the data
# written before the reload verifies through the new table and the whole
# device reads the same as the origin.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup fio

o=$(srd_create 32M)
k=$(srd_create 4M)
len=$((32 * 2048))
table() { echo "0 $len stor-cache /dev/$o /dev/$k $*"; }
# The same as "dmsetup table" prints it.
table_mm() { echo "0 $len stor-cache $(cat "/sys/block/$o/dev") $(cat "/sys/block/$k/dev") $*"; }
udev_hands_off sc

dmsetup create sc --table "$(table 8 wt)"
on_exit "dmsetup remove --retry sc"

note "suspend, resume and reload while fio runs"
# fio runs back to back (randrw, each verifying what it wrote as it goes and
# at its end) until told to stop; the first failure ends the loop.
bg_loop() {
	local i=0 out
	while [ ! -e "$_T/stop" ]; do
		i=$((i + 1))
		if ! out=$(fio --minimal --name=bg$i --filename=/dev/mapper/sc --ioengine=libaio \
			--iodepth=8 --direct=1 --rw=randrw --rwmixread=50 --bsrange=4k-128k \
			--blockalign=4k --size=32m --io_size=8m --randseed=$i --verify=crc32c \
			--verify_backlog=16 --verify_fatal=1 --verify_dump=0 2>&1) ||
			awk -F';' '$1 == "3" && NF > 100 && $5 != 0 { bad = 1 } END { exit !bad }' <<<"$out"; then
			echo "fio run $i failed: $out" >"$_T/bg.fail"
			return 1
		fi
		echo $i >"$_T/bg.runs"
	done
}
bg_loop &
bg=$!
alive() {
	if [ -e "$_T/bg.fail" ] || ! kill -0 $bg 2>/dev/null; then
		fail "background fio stopped before $1: $(cat "$_T/bg.fail" 2>/dev/null)"
	fi
}
sleep 3
for ((i = 1; i <= 4; i++)); do
	alive "suspend $i"
	dmsetup suspend sc
	sleep 0.5
	dmsetup resume sc
	sleep 1
done
for t in "128 wt 2 policy lru" "8 wa" "2048 wt 2 policy 2q" "8 wt"; do
	alive "reload '$t'"
	dmsetup reload sc --table "$(table "$t")"
	dmsetup resume sc
	assert_eq "$(dmsetup table sc)" "$(table_mm "$t")" "table after reload '$t'"
	sleep 2
done
alive "the end of the reloads"
touch "$_T/stop"
rc=0
wait $bg || rc=$?
[ $rc -eq 0 ] || fail "background fio: $(cat "$_T/bg.fail" 2>/dev/null)"
note "$(cat "$_T/bg.runs") fio runs; status: $(dmsetup status sc)"
assert_eq "$(st 8)" 0 "cache_errors"
assert_eq "$(st 9)" 0 "origin_errors"

note "plain suspend/resume keeps the cache"
fio_j() {
	fio_run --name=j --filename=/dev/mapper/sc --ioengine=libaio --iodepth=8 --direct=1 \
		--rw=randwrite --bsrange=4k-128k --blockalign=4k --size=32m --randseed=21 \
		--verify=crc32c --verify_fatal=1 --verify_dump=0 "$@"
}
fio_j --do_verify=1
wait_fills
dmsetup message sc 0 invalidate_all
dmsetup message sc 0 clear_stats
# 1 MiB at 8 MiB: 256 blocks, cached.
dd if=/dev/mapper/sc of=/dev/null bs=64k skip=128 count=16 iflag=direct status=none
wait_cached 256
dmsetup suspend sc
dmsetup resume sc
assert_eq "$(st 10)" 256 "cached_blocks after suspend/resume"
h0=$(st 1)
dd if=/dev/mapper/sc of=/dev/null bs=64k skip=128 count=16 iflag=direct status=none
assert_eq "$(st 1)" $((h0 + 256)) "read_hits after suspend/resume"
p0=$(st 5)
dd if=/dev/mapper/sc of=/dev/null bs=64k skip=256 count=4 iflag=direct status=none
wait_cached 320
assert_eq "$(st 5)" $((p0 + 64)) "promotions after suspend/resume"
sha=$(sha_range /dev/mapper/sc 0 $((32 << 20)))

note "a reload starts with an empty cache"
new="128 wa 4 policy lru write_promote 1"
dmsetup reload sc --table "$(table "$new")"
# The old table is live until the resume (the sha above filled its cache).
assert_ge "$(st 10)" 320 "cached_blocks before the resume"
dmsetup resume sc
status=$(dmsetup status sc)
assert_eq "$status" "0 $len stor-cache 0 0 0 0 0 0 0 0 0 0 64 0 0 0" "status right after the reload"
assert_eq "$(dmsetup table sc)" "$(table_mm "$new")" "table after the reload"
fio_j --verify_only=1
assert_eq "$(sha_range /dev/mapper/sc 0 $((32 << 20)))" "$sha" "whole device after the reload"
assert_eq "$(sha_range "/dev/$o" 0 $((32 << 20)))" "$sha" "whole origin"
assert_ge "$(st 5)" 1 "promotions with the new table"
assert_eq "$(st 8)" 0 "cache_errors"
assert_eq "$(st 9)" 0 "origin_errors"
dmsetup remove sc
pass "suspend/resume and reloads under fio, empty cache after a reload"
