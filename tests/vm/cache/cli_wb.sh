#!/usr/bin/env bash
# storctl cache --mode wb (dm-writecache on a RAM disk): storctl loads
# dm-writecache itself (libkmod); fio crc32c write+verify through the cache,
# the data stays dirty in the cache, remove writes it back (reported count),
# then the origin alone verifies; remove --json; remove --force of an open
# cache.  A cache whose write-back fails (origin switched to an error
# target) is not removed, with or without --force, and nothing is lost: once
# the origin works again and the table is reloaded, remove writes it back.
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup fio

MiB=$((1024 * 1024))

note "storctl loads dm-writecache when the target is missing"
if grep -q '^dm_writecache ' /proc/modules; then
	rmmod dm_writecache || fail "dm_writecache loaded and in use before the test"
fi
! grep -q '^dm_writecache ' /proc/modules || fail "dm_writecache still loaded"

o=$(srd_create 64M)
k=$(srd_create 32M)
name=sc_$o
job=(--name=wbv --ioengine=libaio --iodepth=8 --direct=1 --rw=randwrite --bs=4k --size=8m
	--verify=crc32c --verify_fatal=1)

j=$(sc --json cache create --cache "/dev/$k" --origin "/dev/$o" --mode wb \
	--high-watermark 90 --low-watermark 80 --autocommit-time 500)
grep -q '^dm_writecache ' /proc/modules || fail "dm_writecache not loaded by storctl"
assert_eq "$(jq -r '"\(.name) \(.mode) \(.target) \(.options.high_watermark) \(.options.low_watermark)"' <<<"$j")" \
	"$name wb writecache 90 80" "create --json"
assert_eq "$(dmsetup table "$name")" \
	"0 $((64 * 2048)) writecache s $(cat "/sys/block/$o/dev") $(cat "/sys/block/$k/dev") 4096 6 high_watermark 90 low_watermark 80 autocommit_time 500" \
	"wb table"

note "fio write+verify through the cache; the data stays in it"
fio_run "${job[@]}" --filename="/dev/mapper/$name" --do_verify=1
st=$(sc --json cache stats "$name")
assert_eq "$(jq -r '"\(.error) \(.dirty_blocks) \(.writeback_blocks)"' <<<"$st")" "0 2048 0" \
	"error, dirty and writeback blocks after 8 MiB of distinct 4 KiB writes"
expect_rc 0 -- "$STORCTL" cache stats "$name"
assert_contains "$OUT" $'\ndirty_blocks: 2048\n' "stats text"

note "remove writes the dirty blocks back; the origin alone verifies"
expect_rc 0 -- "$STORCTL" cache remove "$name"
assert_eq "$OUT" "removed $name (wrote back 2048 blocks)" "remove output"
! dmsetup info "$name" >/dev/null 2>&1 || fail "$name still exists"
fio_run "${job[@]}" --filename="/dev/$o" --verify_only=1

note "remove --json"
sc cache create --cache "/dev/$k" --origin "/dev/$o" --mode wb >/dev/null
head -c $((4 * MiB)) /dev/urandom >"$_T/d1"
dd if="$_T/d1" of="/dev/mapper/$name" bs=64K seek=256 oflag=direct status=none
sum1=$(sha256sum <"$_T/d1" | cut -d' ' -f1)
assert_ne "$(sha_range "/dev/$o" $((16 * MiB)) $((4 * MiB)))" "$sum1" "origin before the write-back"
expect_rc 0 -- "$STORCTL" --json cache remove "$name"
assert_eq "$OUT" "{\"deferred\":false,\"removed\":\"$name\",\"written_back_blocks\":1024}" \
	"remove --json"
assert_eq "$(sha_range "/dev/$o" $((16 * MiB)) $((4 * MiB)))" "$sum1" "origin after remove --json"

note "remove --force of an open wb cache: written back, remapped, removed on close"
sc cache create --cache "/dev/$k" --origin "/dev/$o" --mode wb >/dev/null
head -c $MiB /dev/urandom >"$_T/d2"
dd if="$_T/d2" of="/dev/mapper/$name" bs=64K seek=512 oflag=direct status=none
sum2=$(sha256sum <"$_T/d2" | cut -d' ' -f1)
settle
exec 3</dev/mapper/"$name"
expect_rc 4 "open" -- "$STORCTL" cache remove "$name"
expect_rc 0 -- "$STORCTL" --json cache remove "$name" --force
assert_eq "$OUT" "{\"deferred\":true,\"removed\":\"$name\",\"written_back_blocks\":256}" \
	"remove --force --json"
assert_eq "$(sha_range "/dev/$o" $((32 * MiB)) $MiB)" "$sum2" "origin after remove --force"
assert_eq "$(sha_range "/dev/mapper/$name" $((32 * MiB)) $MiB)" "$sum2" "through the remapped device"
exec 3<&-
for ((i = 0; i < 50; i++)); do
	dmsetup info "$name" >/dev/null 2>&1 || break
	sleep 0.1
done
! dmsetup info "$name" >/dev/null 2>&1 || fail "$name still exists after the last close"

note "a failing write-back refuses the removal and loses nothing"
len=$((64 * 2048))
run_ok dmsetup create wbo --table "0 $len linear /dev/$o 0"
on_exit "dmsetup remove --retry wbo"
settle
sc cache create --cache "/dev/$k" --origin /dev/mapper/wbo --mode wb >/dev/null
assert_eq "$(sc --json cache list | jq -r '.[0] | "\(.name) \(.origin)"')" "sc_wbo /dev/mapper/wbo" \
	"list: name and origin of a cache on a dm origin"
head -c $MiB /dev/urandom >"$_T/d3"
dd if="$_T/d3" of=/dev/mapper/sc_wbo bs=64K seek=768 oflag=direct status=none
sum3=$(sha256sum <"$_T/d3" | cut -d' ' -f1)
settle
# The origin starts failing every I/O.
run_ok dmsetup reload wbo --table "0 $len error"
run_ok dmsetup resume wbo
expect_rc 1 "nothing was removed" -- "$STORCTL" cache remove sc_wbo
assert_contains "$ERR" "256 dirty blocks" "flush failure message"
dmsetup info sc_wbo >/dev/null || fail "sc_wbo removed although its write-back failed"
expect_rc 1 "nothing was removed" -- "$STORCTL" cache remove sc_wbo --force
assert_eq "$(dmsetup table sc_wbo | awk '{ print $3 }')" writecache "target after a refused --force"
st=$(sc --json cache stats sc_wbo)
jq -e '.error != 0 and .dirty_blocks == 256' <<<"$st" >/dev/null || fail "stats after the failure: $st"
expect_rc 4 sc_wbo -- "$STORCTL" ramdisk remove "$k"

note "origin repaired: after a table reload the same data is written back"
run_ok dmsetup reload wbo --table "0 $len linear /dev/$o 0"
run_ok dmsetup resume wbo
# dm-writecache keeps its error until the target is rebuilt; the new one
# reads the committed metadata back from the cache device.
run_ok dmsetup reload sc_wbo --table "$(dmsetup table sc_wbo)"
run_ok dmsetup resume sc_wbo
settle
assert_eq "$(sc --json cache stats sc_wbo | jq -r '"\(.error) \(.dirty_blocks)"')" "0 256" \
	"stats after the reload"
expect_rc 0 -- "$STORCTL" cache remove sc_wbo
assert_eq "$OUT" "removed sc_wbo (wrote back 256 blocks)" "remove after the repair"
assert_eq "$(sha_range /dev/mapper/wbo $((48 * MiB)) $MiB)" "$sum3" "data on the origin"
pass
