#!/usr/bin/env bash
# Stale-read race: writers and readers hammer overlapping blocks through a
# tiny cache (promotions and evictions all the time) and every read must
# return an intact block of the right number whose version is at least the
# one whose write completed before the read was issued (_race.py explains
# the block format and the bookkeeping).  In wt and wa, with cache blocks of
# one checker block (8 sectors) and of four (32 sectors, where single-block
# writes and reads are partial and whole-span writes promote with
# write_promote 1).  After each run the device through the cache and then
# the origin alone hold exactly the last version of every block.
#
# First, negative controls prove the checker can fail: readers reading a
# stale copy of the device must report STALE, a corrupted block must fail
# the full check.  (Also checked once by hand against a broken module: with
# writes no longer invalidating blocks whose fill is in flight, the "8 wa"
# round fails with STALE within seconds.)
# Two guest CPUs, so the racing parties really run at the same time.
# vm-args: --smp 2
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup /usr/bin/python3
udev_hands_off sc

RACE=("/usr/bin/python3" "$(dirname "$0")/_race.py")
NB=2048                 # 4 KiB checker blocks: 8 MiB
SECS=8

o=$(srd_create 8M)
k=$(srd_create 256K)
copy=$(srd_create 8M)
len=$((NB * 8))
state=$_T/state

note "negative control: readers of a stale copy must see STALE"
run_ok "${RACE[@]}" init "/dev/$o" $NB "$state"
dd if="/dev/$o" of="/dev/$copy" bs=1M iflag=direct oflag=direct status=none
expect_rc 1 "STALE" -- "${RACE[@]}" run "/dev/$o" "$state" --read-dev "/dev/$copy" \
	--seconds 20 --span 1 --hot 16 --seed 1
note "${OUT##*$'\n'}"
note "negative control: a corrupted block must fail the check"
run_ok "${RACE[@]}" check "/dev/$o" "$state" >/dev/null
printf 'garbage' | dd of="/dev/$o" bs=1 seek=$((7 * 4096 + 100)) conv=notrunc status=none
sync
expect_rc 1 "block 7: expected exactly version" -- "${RACE[@]}" check "/dev/$o" "$state"

run_ok "${RACE[@]}" init "/dev/$o" $NB "$state"
for cfg in "8 wt" "8 wa" "32 wt 2 write_promote 1" "32 wa"; do
	read -r bs _ <<<"$cfg"
	span=$((bs / 8))
	cblocks=$((256 * 1024 / 512 / bs))
	note "table '... $cfg': $cblocks cache blocks"
	dmsetup create sc --table "0 $len stor-cache /dev/$o /dev/$k $cfg"
	on_exit "dmsetup remove --retry sc"
	settle
	dmsetup message sc 0 clear_stats
	expect_rc 0 -- "${RACE[@]}" run /dev/mapper/sc "$state" --seconds $SECS \
		--writers 2 --readers 3 --span $span --hot $cblocks --min-writes 100 --min-reads 100
	note "$OUT"
	note "status: $(dmsetup status sc)"
	assert_ge "$(st 1)" 1 "read_hits ($cfg)"
	assert_ge "$(st 3)" 1 "write_hits ($cfg)"
	assert_ge "$(st 5)" 10 "promotions ($cfg)"
	assert_ge "$(st 6)" 1 "evictions ($cfg)"
	assert_eq "$(st 8)" 0 "cache_errors ($cfg)"
	assert_eq "$(st 9)" 0 "origin_errors ($cfg)"
	dmsetup remove sc
	expect_rc 0 -- "${RACE[@]}" check "/dev/$o" "$state"
done
pass "wt and wa, cache blocks 8 and 32 sectors"
