#!/usr/bin/env bash
# REQ_NOWAIT is advertised and honoured: fio with ioengine=pvsync2 nowait=1
# (RWF_NOWAIT) and O_DIRECT works on srd.  A block device that does not
# advertise nowait fails such I/O with EOPNOTSUPP.
. "$(dirname "$0")/../lib.sh"
need_cmd fio

d=$(srd_create 32M)
# Prefill: with every page present no write needs an allocation, so a
# correct driver has no reason to answer EAGAIN.
run_ok dd if=/dev/urandom of="/dev/$d" bs=1M count=32 oflag=direct status=none

common=(--filename="/dev/$d" --ioengine=pvsync2 --nowait=1 --direct=1 --size=16m)
note "nowait random writes + verify"
fio_run --name=nowait-w "${common[@]}" --rw=randwrite --bs=4k \
	--verify=crc32c --do_verify=1 --verify_fatal=1
note "nowait random reads"
fio_run --name=nowait-r "${common[@]}" --rw=randread --bs=4k --offset=16m
note "nowait 1 MiB sequential write + verify"
fio_run --name=nowait-seq "${common[@]}" --rw=write --bs=1m --offset=16m \
	--verify=crc32c --do_verify=1 --verify_fatal=1
note "nowait through io_uring"
fio_run --name=nowait-uring --filename="/dev/$d" --ioengine=io_uring --nowait=1 --direct=1 \
	--size=8m --rw=randrw --bs=4k --iodepth=8
note "nowait through libaio"
fio_run --name=nowait-aio --filename="/dev/$d" --ioengine=libaio --nowait=1 --direct=1 \
	--size=8m --rw=randrw --bs=4k --iodepth=8
assert_eq "$(srd_json "$d" alloc_failures)" 0 "alloc_failures"

pass
