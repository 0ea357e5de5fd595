#!/usr/bin/env bash
# The scale-out case: a volume living on another machine, reached over
# NVMe/TCP, fronted by a local stor-cache.  RAM disk A is exported over
# tcp and connected (/dev/nvmeXnY plays the remote volume); a stor-cache
# table uses it as origin and RAM disk B as cache; fio verifies through the
# cache, the data is on A, and re-reads are served from the cache.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup

a=$(srd_create 32M)
b=$(srd_create 16M)
sc nvmet port add --address 127.0.0.1 >/dev/null
nqn=$(sc --json nvmet export "/dev/$a" --host "$HOST_A" | jq -r .nqn)
nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_A"
ns=$(ns_dev "$nqn")

note "stor-cache over /dev/$ns (origin) and /dev/$b (cache)"
dmsetup create sco --table "0 $((32 * 2048)) stor-cache /dev/$ns /dev/$b 8 wt"
on_exit "dmsetup remove --retry sco"
settle
st() { dmsetup status sco | awk -v f="$1" '{ print $(3 + f) }'; }

fio_verify /dev/mapper/sco 16M
assert_eq "$(sha_range /dev/mapper/sco 0 $((16 << 20)))" "$(sha_range "/dev/$a" 0 $((16 << 20)))" \
	"data through the cache vs the exported RAM disk"
assert_eq "$(st 9)" 0 "origin_errors"
assert_eq "$(st 8)" 0 "cache_errors"

# Reads of data the cache holds do not go to the remote origin.
dmsetup message sco 0 clear_stats
dd if=/dev/mapper/sco of=/dev/null bs=4k count=256 skip=1024 iflag=direct status=none
for ((i = 0; i < 100; i++)); do
	[ "$(st 14)" -eq 0 ] && break
	sleep 0.1
done
reads_before=$(awk '{ print $1 }' "/sys/block/$a/stat")
dd if=/dev/mapper/sco of=/dev/null bs=4k count=256 skip=1024 iflag=direct status=none
assert_ge "$(st 1)" 256 "read_hits on the second pass"
assert_eq "$(awk '{ print $1 }' "/sys/block/$a/stat")" "$reads_before" \
	"reads reaching the remote RAM disk on the second pass"

dmsetup remove sco
nvme_disconnect "$nqn"
sc nvmet unexport "/dev/$a" >/dev/null
sc nvmet port remove 1 >/dev/null
nvmet_assert_empty
pass
