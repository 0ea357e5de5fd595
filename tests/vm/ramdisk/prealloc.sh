#!/usr/bin/env bash
# --prealloc: every page is allocated at create (used_bytes == size, the
# memory really is gone from MemAvailable); writes, discard and write-zeroes
# keep used_bytes == size (discarded ranges read zeros).  A preallocation
# the machine cannot satisfy fails cleanly (ENOMEM, exit 1), leaves nothing
# behind and gives the memory back.
# vm-args: --mem 1024
. "$(dirname "$0")/../lib.sh"
need_cmd blkdiscard

MiB=$((1024 * 1024))
SIZE=$((64 * MiB))

note "the memory is really taken"
# 256 MiB, so the ~10-20 MiB that MemAvailable moves by on its own under
# TCG cannot hide (or fake) it.
drop_caches
avail0=$(mem_kb MemAvailable)
m=$(srd_create 256M --prealloc)
assert_eq "$(srd_json "$m" used_bytes)" $((256 * MiB)) "used_bytes right after create (256 MiB)"
drop_caches
avail1=$(mem_kb MemAvailable)
taken=$(((avail0 - avail1) / 1024))
note "MemAvailable dropped by $taken MiB"
assert_ge "$taken" 224 "MiB of MemAvailable taken by a 256 MiB preallocated disk"
settle
run_ok "$STORCTL" ramdisk remove "$m" >/dev/null

d=$(srd_create 64M --prealloc)
dev=/dev/$d
assert_eq "$(srd_json "$d" used_bytes)" $SIZE "used_bytes right after create"
assert_eq "$(srd_sysfs "$d" used_bytes)" $SIZE "sysfs used_bytes right after create"
assert_eq "$(srd_json "$d" prealloc)" true "info prealloc"
assert_eq "$(srd_sysfs "$d" options)" prealloc "sysfs options"
is_zero "$dev" 0 $SIZE || fail "a new preallocated disk does not read zeros"

note "writes keep used_bytes"
run_ok dd if=/dev/urandom of="$dev" bs=1M count=64 oflag=direct status=none
assert_eq "$(used_bytes "$d")" $SIZE "used_bytes after writing"
sum=$(sha_range "$dev" $((32 * MiB)) $((32 * MiB)))

note "discard and write-zeroes keep used_bytes"
run_ok blkdiscard -o 0 -l $((16 * MiB)) "$dev"
assert_eq "$(used_bytes "$d")" $SIZE "used_bytes after discard"
is_zero "$dev" 0 $((16 * MiB)) || fail "discarded range does not read zeros"
run_ok blkdiscard -z -o $((16 * MiB)) -l $((8 * MiB)) "$dev"
assert_eq "$(used_bytes "$d")" $SIZE "used_bytes after write-zeroes"
is_zero "$dev" $((16 * MiB)) $((8 * MiB)) || fail "zeroed range does not read zeros"
run_ok blkdiscard -o $((24 * MiB + 512)) -l 1024 "$dev"
is_zero "$dev" $((24 * MiB + 512)) 1024 || fail "partial-page discard does not read zeros"
assert_eq "$(sha_range "$dev" $((32 * MiB)) $((32 * MiB)))" "$sum" "data outside the discarded ranges"
assert_eq "$(srd_sysfs "$d" used_bytes)" $SIZE "sysfs used_bytes after discards"

settle
run_ok "$STORCTL" ramdisk remove "$d" >/dev/null
settle

note "a preallocation larger than RAM fails cleanly"
ram=$(($(mem_kb MemTotal) * 1024))
big=$(((ram * 2 / MiB + 4095) / 4096 * 4096))M
drop_caches
avail0=$(mem_kb MemAvailable)
before=$(sc --json ramdisk list | jq -c .)
expect_rc 1 "memory" -- "$STORCTL" ramdisk create "$big" --prealloc --overcommit
settle
assert_eq "$(sc --json ramdisk list | jq -c .)" "$before" "disk list after failed preallocation"
assert_eq "$(sys_srd_names | xargs)" "" "srd devices after failed preallocation"
drop_caches
avail1=$(mem_kb MemAvailable)
note "MemAvailable before $((avail0 / 1024)) MiB, after $((avail1 / 1024)) MiB"
# 32 MiB: room for the noise (see above), far below any leak of the
# partial preallocation (hundreds of MiB).
assert_ge "$avail1" $((avail0 - 32 * 1024)) "MemAvailable (KiB) after the failed preallocation"

note "the machine still works: a normal preallocated disk"
e=$(srd_create 16M --prealloc)
assert_eq "$(used_bytes "$e")" $((16 * MiB)) "used_bytes of a new preallocated disk"

pass
