#!/usr/bin/env bash
# I/O errors below the cache.  The origin and the cache device are dm-linear
# devices over srd disks whose table is switched to "error" and back
# (suspend, load, resume); tables "8 wt", "128 wt" and "128 wa" (with 64 KiB
# cache blocks the 4 KiB reads below are partial-block reads).
#
# Origin failing: cached blocks are still read (from the cache, correct
# data); reads of uncached blocks return EIO to the reader and count
# origin_errors; nothing they read is cached (afterwards, with the origin
# back, those blocks are misses and read correctly); a write fails with EIO
# and drops the cached copy of its block (afterwards the block reads as the
# origin has it, the old data, not the copy the write left in the cache).
#
# Origin failing in one 4 KiB of a 64 KiB block: partial reads beside it
# succeed and cache nothing, a read of it fails.
#
# Cache failing: every read returns the right data and no error (hits are
# retried on the origin: cache_errors and retries count), promotions fail
# quietly, writes succeed with the origin's result (in wt the failed cache
# copy drops the block); with the cache back, nothing stale is read.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup

o=$(srd_create 16M)
k=$(srd_create 4M)
olen=$((16 * 2048))
klen=$((4 * 2048))
data=$_T/data
head -c $((16 << 20)) /dev/urandom >"$data"
dd if="$data" of="/dev/$o" bs=1M oflag=direct status=none

# Regions, in 4 KiB blocks.
A=1024 AN=32    # read (promoted) before the failure
B=2048 BN=8     # first read while a device fails
C=3072 CN=32    # rewritten while the cache fails

udev_hands_off sc sco scc
dmsetup create sco --table "0 $olen linear /dev/$o 0"
on_exit "dmsetup remove --retry sco"
dmsetup create scc --table "0 $klen linear /dev/$k 0"
on_exit "dmsetup remove --retry scc"
settle

# set_table NAME linear|error: switch the dm device over srd DEV.
set_table() {
	local name=$1 kind=$2 dev len
	if [ "$name" = sco ]; then dev=$o len=$olen; else dev=$k len=$klen; fi
	dmsetup suspend "$name"
	if [ "$kind" = linear ]; then
		dmsetup load "$name" --table "0 $len linear /dev/$dev 0"
	else
		dmsetup load "$name" --table "0 $len error"
	fi
	dmsetup resume "$name"
	settle
}

# Expected data of N 4 KiB blocks at block B (from $data, or FILE).
want() { dd if="${3:-$data}" bs=4k skip="$1" count="$2" status=none | sha256sum | cut -d' ' -f1; }
wantA=$(want $A $AN) wantB=$(want $B $BN)
got() { sha_range /dev/mapper/sc $(($1 * 4096)) $(($2 * 4096)); }

# Read N blocks at B one 4 KiB read at a time (so every one is a bio).
read4k() {
	dd if=/dev/mapper/sc of=/dev/null bs=4k skip="$1" count="$2" iflag=direct status=none
}

for cfg in "8 wt" "128 wt" "128 wa"; do
	read -r bs mode <<<"$cfg"
	per=$((bs / 8))         # 4 KiB blocks per cache block
	note "origin failure, $mode, cache block $bs sectors"
	dmsetup create sc --table "0 $olen stor-cache /dev/mapper/sco /dev/mapper/scc $cfg"
	on_exit "dmsetup remove --retry sc"
	dmsetup message sc 0 clear_stats
	read4k $A $AN
	wait_fills
	assert_eq "$(st 10)" $((AN / per)) "cached_blocks after reading region A"
	set_table sco error

	assert_eq "$(got $A $AN)" "$wantA" "region A (cached) while the origin fails"
	snap
	assert_ge "${S[1]}" 1 "read_hits while the origin fails"
	assert_eq "${S[9]}" 0 "origin_errors after reading cached blocks"
	cached=${S[10]}
	for ((i = 0; i < BN; i++)); do
		expect_rc 1 "Input/output error" -- read4k $((B + i)) 1
	done
	wait_fills
	snap
	assert_eq "${S[9]}" $BN "origin_errors after $BN failed reads"
	assert_eq "${S[10]}" "$cached" "cached_blocks after failed reads"
	assert_eq "${S[8]}" 0 "cache_errors while the origin fails"

	# Rewrite a cached block (whole block: the wt clone reaches the cache).
	head -c $((per * 4096)) /dev/urandom >"$_T/new"
	w=$((A + per))
	expect_rc 1 "Input/output error" -- \
		dd if="$_T/new" of=/dev/mapper/sc bs=$((per * 4096)) seek=$((w / per)) count=1 oflag=direct status=none
	snap
	assert_eq "${S[9]}" $((BN + 1)) "origin_errors after a failed write"
	assert_eq "${S[10]}" $((cached - 1)) "cached_blocks after a failed write"

	set_table sco linear
	snap
	h0=${S[1]} m0=${S[2]}
	assert_eq "$(got $B $BN)" "$wantB" "region B with the origin back"
	assert_eq "$(got $w "$per")" "$(want $w "$per")" "the block whose write failed (old data)"
	snap
	# Nothing was cached from a failed read or write: misses only.
	assert_eq "${S[1]}" "$h0" "read_hits of region B and of the block whose write failed"
	assert_ge "${S[2]}" $((m0 + 2)) "read_misses of region B and of the block whose write failed"
	assert_eq "${S[8]}" 0 "cache_errors"
	dmsetup remove sc

	note "cache failure, $mode, cache block $bs sectors"
	dmsetup create sc --table "0 $olen stor-cache /dev/mapper/sco /dev/mapper/scc $cfg"
	dmsetup message sc 0 clear_stats
	read4k $A $AN
	read4k $C $CN
	wait_fills
	assert_eq "$(st 10)" $(((AN + CN) / per)) "cached_blocks after reading regions A and C"
	set_table scc error

	assert_eq "$(got $A $AN)" "$wantA" "region A (cached) while the cache fails"
	snap
	assert_ge "${S[8]}" 1 "cache_errors after reading cached blocks"
	assert_ge "${S[13]}" 1 "retries after reading cached blocks"
	assert_eq "$(got $B $BN)" "$wantB" "region B (not cached) while the cache fails"
	wait_fills
	head -c $((CN * 4096)) /dev/urandom >"$_T/newc"
	run_ok dd if="$_T/newc" of=/dev/mapper/sc bs=64k seek=$((C / 16)) oflag=direct status=none
	wantC=$(want 0 $CN "$_T/newc")
	assert_eq "$(got $C $CN)" "$wantC" "region C rewritten while the cache fails"
	assert_eq "$(st 9)" 0 "origin_errors while the cache fails"

	set_table scc linear
	note "status: $(dmsetup status sc)"
	assert_eq "$(got $A $AN)" "$wantA" "region A with the cache back"
	assert_eq "$(got $B $BN)" "$wantB" "region B with the cache back"
	assert_eq "$(got $C $CN)" "$wantC" "region C with the cache back"
	assert_eq "$(st 9)" 0 "origin_errors"
	dmsetup remove sc
	# Put region C back as $data has it for the next round.
	dd if="$data" of="/dev/$o" bs=4k skip=$C seek=$C count=$CN oflag=direct status=none
done

# A partial miss of a 64 KiB block reads the rest of the block beside the
# caller's read.  An origin error in that rest must not fail the caller's
# read, and the block must not be cached; an error in the caller's own
# range fails it.  The origin gets one failing 4 KiB block, D + 8.
D=3584 DE=$(((3584 + 8) * 8))
note "origin failing inside a 64 KiB block, around a partial read"
dmsetup suspend sco
dmsetup load sco --table "0 $DE linear /dev/$o 0
$DE 8 error
$((DE + 8)) $((olen - DE - 8)) linear /dev/$o $((DE + 8))"
dmsetup resume sco
settle
dmsetup create sc --table "0 $olen stor-cache /dev/mapper/sco /dev/mapper/scc 128 wt"
dmsetup message sc 0 clear_stats
assert_eq "$(got $D 1)" "$(want $D 1)" "4 KiB read before the failing 4 KiB of its block"
assert_eq "$(got $((D + 12)) 1)" "$(want $((D + 12)) 1)" "4 KiB read after the failing 4 KiB of its block"
wait_fills
assert_eq "$(st 9)" 0 "origin_errors after reads beside the failing 4 KiB"
assert_eq "$(st 10)" 0 "cached_blocks after reads beside the failing 4 KiB"
expect_rc 1 "Input/output error" -- read4k $((D + 8)) 1
wait_fills
assert_eq "$(st 9)" 1 "origin_errors after reading the failing 4 KiB"
assert_eq "$(st 10)" 0 "cached_blocks after reading the failing 4 KiB"
set_table sco linear
assert_eq "$(got $D 1)" "$(want $D 1)" "4 KiB read with the origin whole again"
wait_fills
assert_eq "$(st 10)" 1 "cached_blocks with the origin whole again"
assert_eq "$(got $((D + 8)) 1)" "$(want $((D + 8)) 1)" "the once failing 4 KiB, from the cache"
dmsetup remove sc
pass "origin and cache failures: 8 wt, 128 wt, 128 wa; an origin error beside a partial read"
