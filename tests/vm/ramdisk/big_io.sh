#!/usr/bin/env bash
# 1 MiB bios are not split: with iostats on, N 1 MiB O_DIRECT writes (and
# reads) show up in /sys/block/srdN/stat as exactly N I/Os of 2048 sectors,
# and queue/max_sectors_kb is at least 1024.
. "$(dirname "$0")/../lib.sh"

N=32
d=$(srd_create 64M)
q=/sys/block/$d/queue
assert_eq "$(cat $q/iostats)" 1 "queue/iostats (on by default)"
assert_ge "$(cat $q/max_sectors_kb)" 1024 "queue/max_sectors_kb"
assert_ge "$(cat $q/max_hw_sectors_kb)" 1024 "queue/max_hw_sectors_kb"

# stat fields: 1 read I/Os, 3 read sectors, 5 write I/Os, 7 write sectors.
stat() { awk -v f="$1" '{ print $f }' "/sys/block/$d/stat"; }

settle
w0=$(stat 5) ws0=$(stat 7)
run_ok dd if=/dev/urandom of="/dev/$d" bs=1M count=$N oflag=direct status=none
w1=$(stat 5) ws1=$(stat 7)
assert_eq "$((ws1 - ws0))" $((N * 2048)) "sectors written"
assert_eq "$((w1 - w0))" $N "write I/Os for $N x 1 MiB (more means the bios were split)"

settle
r0=$(stat 1) rs0=$(stat 3)
run_ok dd if="/dev/$d" of=/dev/null bs=1M count=$N iflag=direct status=none
r1=$(stat 1) rs1=$(stat 3)
assert_eq "$((rs1 - rs0))" $((N * 2048)) "sectors read"
assert_eq "$((r1 - r0))" $N "read I/Os for $N x 1 MiB (more means the bios were split)"

pass
