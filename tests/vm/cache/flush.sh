#!/usr/bin/env bash
# FLUSH and FUA reach the origin.  The origin is a loop device over a file:
# it has a volatile write cache ("write back") and counts the flush requests
# it gets in /sys/block/loopN/stat (field 16); a FUA write becomes a write
# plus a flush there (loop has no native FUA).
#
#   * with a write-back origin the cache device says "write back" too, in wt
#     and wa (with an srd origin and cache it says what srd says);
#   * fsync (an empty flush), O_DSYNC direct writes (FUA and a flush) and fio
#     fsync=1 through the cache give the origin as many flush requests as the
#     same I/O sent to the origin directly, in wt and wa, also for writes to
#     cached blocks in wt (whose copy goes to the cache as well);
#   * the cache device gets no flush at all (a second loop device as the
#     cache): the origin is authoritative, the cache holds nothing that
#     must survive a crash.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup losetup fio

modprobe loop
udev_hands_off sc

new_loop() {
	local f=$_T/$1.img dev
	truncate -s "$2" "$f"
	dev=$(losetup -f --show "$f")
	on_exit "losetup -d $dev"
	echo "${dev#/dev/}"
}
flushes() { awk '{ print $16 }' "/sys/block/$1/stat"; }
wc_of() { cat "/sys/block/$1/queue/write_cache"; }
dm_of() { basename "$(readlink -f "/dev/mapper/$1")"; }

lo=$(new_loop origin 32M)
locache=$(new_loop cache 4M)
k=$(srd_create 4M)
settle
assert_eq "$(wc_of "$lo")" "write back" "write_cache of the loop origin"
assert_ne "$(awk '{ print NF }' "/sys/block/$lo/stat")" "" "stat of $lo"
[ "$(awk '{ print NF }' "/sys/block/$lo/stat")" -ge 17 ] ||
	fail "/sys/block/$lo/stat has no flush fields: $(cat "/sys/block/$lo/stat")"

# The I/O patterns, on device $1, at 4 KiB block $2: prints the number of
# flushes the origin ($lo) got for each.
N_DSYNC=4 N_FIO=32
pattern_fsync() { dd if=/dev/urandom of="$1" bs=4k count=1 seek="$2" oflag=direct conv=fsync status=none; }
pattern_dsync() { dd if=/dev/urandom of="$1" bs=4k count=$N_DSYNC seek="$2" oflag=direct,dsync status=none; }
pattern_fio() {
	fio_run --name=f --filename="$1" --ioengine=psync --direct=1 --rw=randwrite --bs=4k \
		--offset=$(($2 * 4096)) --size=256k --io_size=$((N_FIO * 4))k --fsync=1
}
count() {
	local p=$1 dev=$2 blk=$3 f0
	f0=$(flushes "$lo")
	"pattern_$p" "$dev" "$blk"
	echo $(($(flushes "$lo") - f0))
}

note "baseline: flushes the origin gets for each pattern sent to it directly"
declare -A base
for p in fsync dsync fio; do
	base[$p]=$(count $p "/dev/$lo" 1000)
	note "  $p: ${base[$p]}"
done
assert_ge "${base[fsync]}" 1 "flushes of one fsync"
assert_ge "${base[dsync]}" $N_DSYNC "flushes of $N_DSYNC O_DSYNC writes"
# fio syncs after every write but the last.
assert_ge "${base[fio]}" $((N_FIO - 1)) "flushes of $N_FIO writes with fsync=1"

for mode in wt wa; do
	note "mode $mode: loop origin, srd cache"
	dmsetup create sc --table "0 $((32 * 2048)) stor-cache /dev/$lo /dev/$k 8 $mode"
	on_exit "dmsetup remove --retry sc"
	assert_eq "$(wc_of "$(dm_of sc)")" "write back" "write_cache of the cache device ($mode)"
	# Blocks 2000.. are cached (read first): whole-block writes there are
	# write hits, in wt they also go to the cache.
	dd if=/dev/mapper/sc of=/dev/null bs=4k skip=2000 count=64 iflag=direct status=none
	wait_cached 64
	for p in fsync dsync fio; do
		for blk in 1000 2000; do
			got=$(count $p /dev/mapper/sc $blk)
			assert_eq "$got" "${base[$p]}" "flushes at the origin for '$p' at block $blk ($mode)"
		done
	done
	assert_ge "$(st 3)" 1 "write_hits ($mode)"
	assert_eq "$(st 8)" 0 "cache_errors ($mode)"
	assert_eq "$(st 9)" 0 "origin_errors ($mode)"
	dmsetup remove sc
done

note "loop origin, loop cache (wt): no flush reaches the cache"
dmsetup create sc --table "0 $((32 * 2048)) stor-cache /dev/$lo /dev/$locache 8 wt"
dd if=/dev/mapper/sc of=/dev/null bs=4k skip=2000 count=64 iflag=direct status=none
wait_cached 64
c0=$(flushes "$locache") w0=$(st 3)
for p in fsync dsync fio; do
	got=$(count $p /dev/mapper/sc 2000)
	assert_eq "$got" "${base[$p]}" "flushes at the origin for '$p' (loop cache)"
done
assert_ge "$(st 3)" $((w0 + 1)) "write_hits (the cache got the written data)"
assert_eq "$(flushes "$locache")" "$c0" "flushes at the cache device"
dmsetup remove sc

note "srd origin and cache"
o=$(srd_create 32M)
dmsetup create sc --table "0 $((32 * 2048)) stor-cache /dev/$o /dev/$k 8 wt"
assert_eq "$(wc_of "$(dm_of sc)")" "$(wc_of "$o")" "write_cache of the cache device over srd"
note "write_cache over srd: $(wc_of "$o")"
dmsetup remove sc
pass "flushes and FUA reach the origin, wt and wa"
