#!/usr/bin/env bash
# rnbd request types: DISCARD and WRITE_ZEROES reach the server's disk
# (its discard counter moves, its pages are freed, the range reads as
# zeroes; fallocate --punch-hole succeeds only with real WRITE_ZEROES
# support); on a server disk with a volatile write cache (null_blk,
# cache_size) the mapping advertises write-back + FUA and fsync / O_SYNC
# writes arrive as flushes at the server's disk.  Polled I/O: a session
# mapped with nr_poll_queues=1 has a poll hardware queue (io_poll on), fio
# io_uring --hipri verifies through it (I/O up to 128 KiB) and its request
# count moves; before 6.5 the map warns that polled I/O the block layer
# must split never completes (and does not warn on later kernels); a map
# into that session with another nr_poll_queues is EINVAL.
. "$(dirname "$0")/_lib.sh"

need_cmd blkdiscard fallocate fio
rnbd_net_setup 1
rnbd_load
srd=$(srd_create 32M)
rnbd_export "device_path=/dev/$srd"
a=$(rnbd_addr 1)
dev=$(rnbd_map "sessname=ops path=ip:$a device_path=/dev/$srd")
q=/sys/block/$dev/queue
[ "$(cat "$q/discard_max_bytes")" -gt 0 ] || fail "no discard on $dev"
[ "$(cat "$q/write_zeroes_max_bytes")" -gt 0 ] || fail "no write zeroes on $dev"
assert_eq "$(cat "$q/write_cache")" "write through" "write cache of $dev (srd has none)"
stat_field() { awk -v f="$2" '{ print $f }' "/sys/block/$1/stat"; }

dd if=/dev/urandom of="/dev/$dev" bs=1M count=24 oflag=direct status=none
used0=$(used_bytes "$srd")
[ "$used0" -ge $((24 << 20)) ] || fail "srd used_bytes $used0 after writing 24 MiB"

note "DISCARD of 8 MiB"
disc0=$(stat_field "$srd" 12)
blkdiscard -o $((4 << 20)) -l $((8 << 20)) "/dev/$dev"
is_zero "/dev/$dev" $((4 << 20)) $((8 << 20)) || fail "discarded range does not read as zeroes"
is_zero "/dev/$srd" $((4 << 20)) $((8 << 20)) || fail "discarded range is not zero on the server"
[ "$(stat_field "$srd" 12)" -gt "$disc0" ] || fail "no discard reached $srd"
used1=$(used_bytes "$srd")
[ "$used1" -le $((used0 - (8 << 20))) ] || fail "srd used_bytes $used0 -> $used1 after discarding 8 MiB"
is_zero "/dev/$dev" $((12 << 20)) 4096 && fail "data after the discarded range was lost"

note "WRITE_ZEROES (punch hole: no fallback to writes) of 4 MiB"
fallocate -p -o $((16 << 20)) -l $((4 << 20)) "/dev/$dev" ||
	fail "fallocate --punch-hole failed: no WRITE_ZEROES end to end"
is_zero "/dev/$srd" $((16 << 20)) $((4 << 20)) || fail "punched range is not zero on the server"
used2=$(used_bytes "$srd")
[ "$used2" -le $((used1 - (4 << 20))) ] || fail "srd used_bytes $used1 -> $used2 after punching 4 MiB"
note "BLKZEROOUT (REQ_NOUNMAP) of 1 MiB"
blkdiscard -z -o $((21 << 20)) -l $((1 << 20)) "/dev/$dev"
is_zero "/dev/$dev" $((21 << 20)) $((1 << 20)) || fail "zeroed range does not read as zeroes"
is_zero "/dev/$dev" $((20 << 20)) 4096 && fail "data before the zeroed range was lost"
rnbd_unmap "$dev"

note "FLUSH and FUA against a disk with a write cache (null_blk)"
modprobe null_blk nr_devices=1 queue_mode=2 memory_backed=1 cache_size=16 gb=1 ||
	fail "modprobe null_blk failed"
on_exit "rmmod null_blk"
rnbd_export device_path=/dev/nullb0
nb=$(rnbd_map "sessname=ops2 path=ip:$a device_path=/dev/nullb0")
q=/sys/block/$nb/queue
assert_eq "$(cat "$q/write_cache")" "write back" "write cache of $nb"
assert_eq "$(cat "$q/fua")" 1 "fua of $nb"
flush0=$(stat_field nullb0 16)
cflush0=$(stat_field "$nb" 16)
fio_run --name=fsync --filename="/dev/$nb" --ioengine=psync --rw=write --bs=16k \
	--size=1M --fsync=4 --verify=crc32c --do_verify=1 --verify_fatal=1
dd if=/dev/urandom of="/dev/$nb" bs=4k count=16 oflag=direct,sync status=none
[ "$(stat_field "$nb" 16)" -gt "$cflush0" ] || fail "no flush was issued on $nb"
[ "$(stat_field nullb0 16)" -gt "$flush0" ] || fail "no flush reached nullb0"
note "flushes: client $(( $(stat_field "$nb" 16) - cflush0 )), server disk $(( $(stat_field nullb0 16) - flush0 ))"
rnbd_unmap "$nb"

note "polled I/O: nr_poll_queues=1"
srd2=$(srd_create 16M)
rnbd_export "device_path=/dev/$srd2"
pd=$(rnbd_map "sessname=pollq path=ip:$a device_path=/dev/$srd2 nr_poll_queues=1")
sess=$CLT_CTL/sessions/pollq
assert_eq "$(cat "$sess/nr_poll_queues")" 1 "nr_poll_queues of the session"
ncons=$(cat "$sess/nr_io_cons")
assert_ge "$ncons" 2 "I/O connections (one interrupt-driven, one polled)"
assert_eq "$(cat "/sys/block/$pd/queue/io_poll")" 1 "io_poll of $pd"
# The poll queue is the last hardware queue.
assert_eq "$(cat "/sys/kernel/debug/block/$pd/hctx$((ncons - 1))/type")" poll \
	"type of hctx$((ncons - 1))"
polled() { sed -nE 's/.* polled=([0-9]+)( .*)?$/\1/p' "$sess/paths"; }
assert_eq "$(polled)" 0 "polled requests after the map"
# Up to max_io_size (128 KiB): the largest polled I/O the block layer need
# not split.
assert_eq "$(cat "/sys/block/$pd/queue/max_sectors_kb")" 128 "max_sectors_kb of $pd"
fio_run --name=polled --filename="/dev/$pd" --ioengine=io_uring --hipri=1 --direct=1 \
	--rw=randwrite --bsrange=4k-128k --iodepth=8 --size=8M --verify=crc32c \
	--verify_fatal=1 --do_verify=1 --randrepeat=0
note "requests sent from the poll queue: $(polled)"
assert_ge "$(polled)" 128 "requests through the poll queue (8 MiB of writes of at most 128 KiB, and their reads)"
# Before 6.5 a polled I/O that must be split never completes (compat.h,
# STOR_POLLED_SPLIT_HANGS): the map says so there, and only there.
warn="stor_rnbd_client: $pd: on this kernel polled I/O the block layer must split (over 128 KiB"
IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
if [ "$kmaj" -lt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -lt 5 ]; }; then
	kmsg_has "$warn" || fail "no warning about split polled I/O on $(uname -r)"
else
	! kmsg_has "$warn" || fail "a warning about split polled I/O on $(uname -r)"
fi
expect_write_err "Invalid argument" "$CLT_CTL/map_device" \
	"sessname=pollq path=ip:$a device_path=/dev/$srd nr_poll_queues=0"
rnbd_unmap "$pd"
pass
