#!/usr/bin/env bash
# rnbd basic: map an exported RAM disk over soft-RoCE, check the device
# (size, sysfs, the server's view), write through it and find the data on
# the server's disk, fio with crc32c verification (sizes 4 KiB..128 KiB,
# queue depth 16; writes sent without a memory registration, then with
# direct_writes=N through a registered MR, counted in the session's
# paths file), small reads through the landing buffers and (with
# small_read_size=0) through registered pages, mkfs.ext4 + fsck + a file
# round trip, unmap, and nothing is left on either side.
# vm-args: --mem 1536
. "$(dirname "$0")/_lib.sh"

need_cmd fio mkfs.ext4 fsck.ext4 blockdev
rnbd_net_setup 1
rnbd_load
srd=$(srd_create 64M)
rnbd_export "device_path=/dev/$srd"
addr=$(rnbd_addr 1)

dev=$(rnbd_map "sessname=basic path=ip:$addr device_path=/dev/$srd")
note "mapped /dev/$srd as $dev"
assert_eq "$(rnbd_sysfs "$dev" state)" open "state"
assert_eq "$(rnbd_sysfs "$dev" session)" basic "session"
assert_eq "$(rnbd_sysfs "$dev" mapping_path)" "/dev/$srd" "mapping_path"
assert_eq "$(rnbd_sysfs "$dev" access_mode)" rw "access_mode"
assert_eq "$(blockdev --getsize64 "/dev/$dev")" 67108864 "size of $dev"
assert_eq "$(cat "/sys/block/$dev/ro")" 0 "ro flag"
assert_eq "$(cat "$SRV_CTL/sessions")" "basic paths=1 devices=1" "server sessions"
assert_contains "$(cat "$SRV_CTL/devices")" "basic 1 rw /dev/$srd /dev/$srd" "server devices"
assert_contains "$(cat "$CLT_CTL/sessions/basic/paths")" "ip:$addr connected" "client paths"
assert_eq "$(cat "$CLT_CTL/sessions/basic/max_io_size")" 131072 "max_io_size"
assert_eq "$(cat "/sys/block/$dev/queue/max_hw_sectors_kb")" 128 "max_hw_sectors_kb"

# Written through the client, found on the server's disk (and back).
dd if=/dev/urandom of="$_T/pat" bs=1M count=3 status=none
dd if="$_T/pat" of="/dev/$dev" bs=96k seek=5 oflag=direct status=none
want=$(sha256sum <"$_T/pat" | cut -d' ' -f1)
assert_eq "$(sha_range "/dev/$srd" $((5 * 96 * 1024)) $((3 << 20)))" "$want" "data on the server"
assert_eq "$(sha_range "/dev/$dev" $((5 * 96 * 1024)) $((3 << 20)))" "$want" "data read back"
# Reads of the server's disk written locally come back the same.
dd if=/dev/urandom of="$_T/pat2" bs=1M count=2 status=none
dd if="$_T/pat2" of="/dev/$srd" bs=1M seek=40 oflag=direct status=none
assert_eq "$(sha_range "/dev/$dev" $((40 << 20)) $((2 << 20)))" \
	"$(sha256sum <"$_T/pat2" | cut -d' ' -f1)" "server data read by the client"

# Small reads (up to small_read_size, 16 KiB by default) land in a
# buffer registered once per chunk and are copied; larger ones register
# their pages.  4 KiB reads of what was written above, both ways: with the
# default, and through a second (read-only) session mapped with
# small_read_size=0.
bounce_reads() { sed -nE 's/.* bounce_reads=([0-9]+)( .*)?$/\1/p' "$CLT_CTL/sessions/$1/paths"; }
sha4k() { dd if="$1" bs=4k iflag=direct,skip_bytes,count_bytes skip=$2 count=$3 status=none | sha256sum | cut -d' ' -f1; }
b0=$(bounce_reads basic)
assert_eq "$(sha4k "/dev/$dev" $((5 * 96 * 1024)) $((1 << 20)))" \
	"$(sha_range "/dev/$srd" $((5 * 96 * 1024)) $((1 << 20)))" "4 KiB reads through the landing buffers"
assert_ge "$(bounce_reads basic)" $((b0 + 256)) "reads through the landing buffers"
P=/sys/module/stor_rnbd_client/parameters
assert_eq "$(cat $P/small_read_size)" 16384 "small_read_size default"
echo 0 >$P/small_read_size
on_exit 'echo 16384 >/sys/module/stor_rnbd_client/parameters/small_read_size 2>/dev/null || true'
dev0=$(rnbd_map "sessname=basic0 path=ip:$addr device_path=/dev/$srd access_mode=ro")
assert_eq "$(sha4k "/dev/$dev0" $((5 * 96 * 1024)) $((1 << 20)))" \
	"$(sha_range "/dev/$srd" $((5 * 96 * 1024)) $((1 << 20)))" "4 KiB reads through registered pages"
assert_eq "$(bounce_reads basic0)" 0 "reads through landing buffers with small_read_size=0"
rnbd_unmap "$dev0"
echo 16384 >$P/small_read_size

note "fio: random writes 4k..128k, qd 16, crc32c verify"
fio_run --name=verify --filename="/dev/$dev" --direct=1 --ioengine=libaio \
	--rw=randwrite --bsrange=4k-128k --iodepth=16 --size=48M \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=0
# Up to 128k (33 SGEs with the header) every write went out without a
# memory registration; with direct_writes off, each one registers an MR.
mr_writes() { sed -nE 's/.* mr_writes=([0-9]+)( .*)?$/\1/p' "$CLT_CTL/sessions/basic/paths"; }
assert_eq "$(mr_writes)" 0 "writes through an MR with direct writes on"
note "fio: the same with direct_writes=N (every write through a registered MR)"
echo N >/sys/module/stor_rnbd_client/parameters/direct_writes
on_exit 'echo Y >/sys/module/stor_rnbd_client/parameters/direct_writes 2>/dev/null || true'
fio_run --name=mrverify --filename="/dev/$dev" --direct=1 --ioengine=libaio \
	--rw=randwrite --bsrange=4k-128k --iodepth=16 --size=8M --offset=48M \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=0
n=$(mr_writes)
assert_ge "$n" 64 "writes through an MR (8 MiB in writes of at most 128 KiB)"
echo Y >/sys/module/stor_rnbd_client/parameters/direct_writes
fio_run --name=mrreread --filename="/dev/$dev" --direct=1 --ioengine=libaio \
	--rw=randwrite --bsrange=4k-128k --iodepth=16 --size=8M --offset=48M \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=0
assert_eq "$(mr_writes)" "$n" "writes through an MR after direct_writes=Y"
note "fio: sequential 1M writes (split into 128k requests) and verify"
fio_run --name=seq --filename="/dev/$dev" --direct=1 --ioengine=libaio \
	--rw=write --bs=1M --iodepth=4 --size=32M --verify=crc32c \
	--verify_fatal=1 --do_verify=1
# Buffered I/O through the page cache, unaligned to the 128k chunking.
fio_run --name=buffered --filename="/dev/$dev" --direct=0 --ioengine=psync \
	--rw=randrw --bs=12k --size=8M --offset=50M --verify=md5 --verify_fatal=1 \
	--do_verify=1 --end_fsync=1

note "mkfs.ext4, fsck, a file round trip"
mkfs.ext4 -q -F "/dev/$dev" || fail "mkfs.ext4 failed"
out=$(fsck.ext4 -fn "/dev/$dev" 2>&1) || fail "fsck after mkfs found problems: $out"
mnt=$_T/mnt
mkdir -p "$mnt"
mount "/dev/$dev" "$mnt" || fail "mount failed"
dd if=/dev/urandom of="$mnt/file" bs=1M count=8 status=none
fsum=$(sha256sum <"$mnt/file" | cut -d' ' -f1)
umount "$mnt"
# A mounted device cannot be unmapped normally.
mount "/dev/$dev" "$mnt"
expect_write_err "Device or resource busy" "/sys/block/$dev/stor-rnbd/unmap_device" normal
assert_eq "$(sha256sum <"$mnt/file" | cut -d' ' -f1)" "$fsum" "file after remount"
umount "$mnt"
out=$(fsck.ext4 -fn "/dev/$dev" 2>&1) || fail "fsck after use found problems: $out"

rnbd_unmap "$dev"
[ -z "$(ls "$CLT_CTL/sessions")" ] || fail "client session left: $(ls "$CLT_CTL/sessions")"
wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20
assert_eq "$(cat "$SRV_CTL/devices")" "" "server devices after unmap"
assert_eq "$(cat /sys/module/stor_rnbd_client/refcnt)" 0 "client module refcount"
pass
