#!/usr/bin/env bash
# Data integrity: fio crc32c write+verify, random and sequential, block sizes
# 512 B..1 MiB, libaio and io_uring, O_DIRECT.  Data survives a grow (also
# while open) and a shrink; shrinking an open disk is refused (exit 4).
. "$(dirname "$0")/../lib.sh"
need_cmd fio

MiB=$((1024 * 1024))

note "write+verify matrix"
d=$(srd_create 64M)
job=$(mktemp --suffix=.fio)
cat >"$job" <<EOF
[global]
filename=/dev/$d
direct=1
iodepth=16
verify=crc32c
do_verify=1
verify_fatal=1
verify_dump=0
stonewall
EOF
i=0
for eng in libaio io_uring; do
	for rw in randwrite write; do
		for bs in 512 4k 32k 256k 1m; do
			case $bs in
			512) size=2m ;;
			4k) size=4m ;;
			*) size=16m ;;
			esac
			cat >>"$job" <<EOF
[$eng-$rw-$bs]
ioengine=$eng
rw=$rw
bs=$bs
size=$size
offset=$(((i % 4) * 16))m
EOF
			i=$((i + 1))
		done
	done
done
fio_run "$job"
assert_eq "$(srd_json "$d" alloc_failures)" 0 "alloc_failures"

note "data survives a grow while open"
g=$(srd_create 32M)
# The same job (name, bs, pattern) writes and later verifies, so fio can
# recompute every block's header.
grow_job() { fio_run --name=grow --filename="/dev/$g" --ioengine=libaio --iodepth=8 \
	--direct=1 --rw=write --bs=64k --verify=crc32c --verify_fatal=1 "$@"; }
grow_job --size=32m --do_verify=1
sum_old=$(sha_range "/dev/$g" 0 $((32 * MiB)))
exec 3<>"/dev/$g"
sc ramdisk resize "$g" 64M >/dev/null
settle
assert_eq "$(blockdev --getsize64 "/dev/$g")" $((64 * MiB)) "size seen by the block layer after grow"
assert_eq "$(srd_json "$g" size_bytes)" $((64 * MiB)) "size_bytes after grow"
grow_job --size=32m --verify_only=1
assert_eq "$(sha_range "/dev/$g" 0 $((32 * MiB)))" "$sum_old" "old region checksum after grow"
is_zero "/dev/$g" $((32 * MiB)) $((32 * MiB)) || fail "grown region does not read zeros"
note "write+verify past the old end"
fio_run --name=past --filename="/dev/$g" --ioengine=io_uring --iodepth=8 --direct=1 \
	--rw=randwrite --bs=4k --offset=32m --size=32m --verify=crc32c --do_verify=1 --verify_fatal=1
assert_eq "$(sha_range "/dev/$g" 0 $((32 * MiB)))" "$sum_old" "old region after writing the new one"

note "shrink refused while open"
expect_rc 4 open -- "$STORCTL" ramdisk resize "$g" 16M
assert_eq "$(srd_json "$g" size_bytes)" $((64 * MiB)) "size after refused shrink"
assert_eq "$(blockdev --getsize64 "/dev/$g")" $((64 * MiB)) "block layer size after refused shrink"
exec 3>&-

note "shrink when closed keeps the remaining data"
sum16=$(sha_range "/dev/$g" 0 $((16 * MiB)))
sc ramdisk resize "$g" 16M >/dev/null
settle
assert_eq "$(blockdev --getsize64 "/dev/$g")" $((16 * MiB)) "size after shrink"
grow_job --size=16m --verify_only=1
assert_eq "$(sha_range "/dev/$g" 0 $((16 * MiB)))" "$sum16" "first 16 MiB after shrink"

pass
