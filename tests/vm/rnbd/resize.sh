#!/usr/bin/env bash
# rnbd resize and remap_device: when the server's disk grows, the mapping
# follows by itself within a few heartbeats (SIZE event), also a second
# mapping of the same disk in another session; resize sets the mapping's
# size (not beyond the server's size: EINVAL) and the new end is writable
# and lands on the server's disk; a size set with resize stays until the
# server's disk changes again; remap_device reopens the device on the
# server (new dev_id) and I/O goes on, also under load.
. "$(dirname "$0")/_lib.sh"

need_cmd blockdev fio
rnbd_net_setup 1
rnbd_load
srd=$(srd_create 16M)
rnbd_export "device_path=/dev/$srd"
dev=$(rnbd_map "sessname=rs path=ip:$(rnbd_addr 1) device_path=/dev/$srd")
d=/sys/block/$dev/stor-rnbd
assert_eq "$(blockdev --getsize64 "/dev/$dev")" $((16 << 20)) "size"

size_is() {
	[ "$(blockdev --getsize64 "/dev/$1")" = "$2" ]
}

note "the server's disk grows: both mappings follow"
ro=$(rnbd_map "sessname=rs2 path=ip:$(rnbd_addr 1) device_path=/dev/$srd access_mode=ro")
sc ramdisk resize "$srd" 32M
wait_for "size_is $dev $((32 << 20))" 15
wait_for "size_is $ro $((32 << 20))" 15
grep -q "srnbd[0-9]*: the server's device is now 65536 sectors, resized" <(dmesg) ||
	fail "no resize message from the client"
grep -q "session rs: /dev/$srd (device 1) is now 65536 sectors, telling the client" <(dmesg) ||
	fail "no SIZE event message from the server"
rnbd_unmap "$ro"

note "resize"
expect_write_err "Invalid argument" "$d/resize" $(((32 << 20) / 512 + 8))
expect_write_err "Invalid argument" "$d/resize" 0
expect_write_err "Invalid argument" "$d/resize" lots
sysfs_write "$d/resize" $(((32 << 20) / 512)) || fail "resize: $WERR"
assert_eq "$(blockdev --getsize64 "/dev/$dev")" $((32 << 20)) "size after resize"
dd if=/dev/urandom of="$_T/end" bs=1M count=1 status=none
dd if="$_T/end" of="/dev/$dev" bs=1M seek=31 oflag=direct status=none || fail "write at the new end"
assert_eq "$(sha_range "/dev/$srd" $((31 << 20)) $((1 << 20)))" \
	"$(sha256sum <"$_T/end" | cut -d' ' -f1)" "data at the new end on the server"
# Smaller is allowed too, and stays while the server's disk does not change.
sysfs_write "$d/resize" $(((24 << 20) / 512)) || fail "shrink: $WERR"
assert_eq "$(blockdev --getsize64 "/dev/$dev")" $((24 << 20)) "size after shrinking"
sleep 3
assert_eq "$(blockdev --getsize64 "/dev/$dev")" $((24 << 20)) "size 3 s after shrinking"

note "remap_device"
assert_contains "$(cat "$SRV_CTL/devices")" "rs 1 rw" "server devices"
expect_write_err "Invalid argument" "$d/remap_device" 2
fio --name=rm --filename="/dev/$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--bsrange=4k-64k --iodepth=8 --size=16M --rate=4m --verify=crc32c \
	--verify_fatal=1 --do_verify=1 --eta=never --output="$_T/fio.out" &
fio=$!
sleep 1
sysfs_write "$d/remap_device" 1 || fail "remap_device: $WERR"
wait "$fio" || { cat "$_T/fio.out" >&2; fail "fio failed across remap"; }
grep -q "err= 0" "$_T/fio.out" || { cat "$_T/fio.out" >&2; fail "fio reported errors"; }
assert_contains "$(cat "$SRV_CTL/devices")" "rs 2 rw" "server devices after remap"
assert_eq "$(rnbd_sysfs "$dev" state)" open "state"
assert_eq "$(blockdev --getsize64 "/dev/$dev")" $((32 << 20)) "size after remap (the server's)"
rnbd_unmap "$dev"
pass
