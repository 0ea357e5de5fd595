#!/usr/bin/env bash
# Discard and write-zeroes: blkdiscard (and blkdiscard -z) of whole and
# partial ranges reads back zeros, frees exactly the whole pages it covers
# (used_bytes), and leaves every byte outside the range alone.  A 4096-byte
# logical block size disk refuses 512-byte direct I/O.
. "$(dirname "$0")/../lib.sh"
need_cmd blkdiscard cmp

MiB=$((1024 * 1024))
PG=4096
SIZE=$((16 * MiB))

d=$(srd_create 16M)
dev=/dev/$d
for q in discard_max_bytes write_zeroes_max_bytes; do
	v=$(cat "/sys/block/$d/queue/$q")
	assert_ne "$v" 0 "queue/$q (discard and write-zeroes must be advertised)"
done

ref=$(mktemp)
head -c $SIZE /dev/urandom >"$ref"
dd if="$ref" of="$dev" bs=1M oflag=direct status=none
assert_eq "$(used_bytes "$d")" $SIZE "used_bytes after filling the disk"
cmp -s "$ref" "$dev" || fail "data read back differs from what was written"

# punch OFF LEN USED_DROP [blkdiscard options]: discard (or zero) a range,
# mirror it in $ref, then compare the whole device with $ref and check
# used_bytes dropped by USED_DROP.
punch() {
	local off=$1 len=$2 drop=$3 before after
	shift 3
	before=$(used_bytes "$d")
	run_ok blkdiscard "$@" -o "$off" -l "$len" "$dev"
	head -c "$len" /dev/zero | dd of="$ref" bs=64K seek="$off" conv=notrunc oflag=seek_bytes status=none
	is_zero "$dev" "$off" "$len" || fail "blkdiscard $* -o $off -l $len: range does not read zeros"
	# Whole-device comparison with O_DIRECT reads: nothing outside the range changed.
	dd if="$dev" bs=1M iflag=direct status=none | cmp -s - "$ref" ||
		fail "blkdiscard $* -o $off -l $len: data outside the range changed"
	after=$(used_bytes "$d")
	assert_eq "$((before - after))" "$drop" "used_bytes drop after blkdiscard $* -o $off -l $len"
	assert_eq "$(srd_sysfs "$d" used_bytes)" "$after" "sysfs used_bytes"
}

note "discard: whole pages"
punch 0 $((4 * MiB)) $((4 * MiB))
note "discard: inside one page (512 B at +512)"
punch $((5 * MiB + 512)) 1024 0
note "discard: partial pages at both ends, one whole page in the middle"
punch $((6 * MiB + 2048)) $((2 * PG)) $PG
note "write zeroes: whole pages"
punch $((8 * MiB)) $((2 * MiB)) $((2 * MiB)) -z
note "write zeroes: inside one page"
punch $((11 * MiB + 1536)) 512 0 -z
note "write zeroes: partial pages at both ends"
punch $((12 * MiB + 3584)) $((PG + 1024)) $PG -z
note "discard: already discarded range"
punch 0 $MiB 0

note "discard: whole device"
run_ok blkdiscard "$dev"
assert_eq "$(used_bytes "$d")" 0 "used_bytes after discarding everything"
is_zero "$dev" 0 $SIZE || fail "device does not read zeros after a full discard"

note "4096-byte logical blocks"
e=$(srd_create 8M --logical-block-size 4096)
assert_eq "$(cat "/sys/block/$e/queue/logical_block_size")" 4096 "queue/logical_block_size"
assert_eq "$(blockdev --getss "/dev/$e")" 4096 "blockdev --getss"
assert_eq "$(srd_json "$e" logical_block_size)" 4096 "info logical_block_size"
if dd if="/dev/$e" of=/dev/null bs=512 count=1 iflag=direct status=none 2>/dev/null; then
	fail "512-byte O_DIRECT read succeeded on a 4096-byte-block disk"
fi
if dd if=/dev/zero of="/dev/$e" bs=512 count=1 oflag=direct status=none 2>/dev/null; then
	fail "512-byte O_DIRECT write succeeded on a 4096-byte-block disk"
fi
run_ok dd if=/dev/urandom of="/dev/$e" bs=4096 count=4 oflag=direct status=none
run_ok dd if="/dev/$e" of=/dev/null bs=4096 count=4 iflag=direct status=none
assert_eq "$(used_bytes "$e")" $((4 * PG)) "used_bytes after 4 x 4 KiB"
if blkdiscard -o 512 -l 512 "/dev/$e" 2>/dev/null; then
	fail "512-byte discard accepted on a 4096-byte-block disk"
fi

pass
