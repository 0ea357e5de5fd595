#!/usr/bin/env bash
# create / list / info / resize / remove through storctl, text and --json:
# exact info keys and values, --index, lowest free index reuse, and sysfs
# (/sys/block/srdN/srd/*, /sys/block/srdN/size) agreeing with `info`.
. "$(dirname "$0")/../lib.sh"

MiB=$((1024 * 1024))
INFO_KEYS='["alloc_failures","index","logical_block_size","name","numa_node","open_count","overcommit","path","prealloc","read_only","size_bytes","used_bytes"]'

# check_info NAME: the info object has exactly the documented keys and
# agrees with sysfs and the block layer.  (One jq run: jq is slow to start
# under TCG.)
check_info() {
	local n=$1 keys name path index size used lbs fails numa opts
	IFS=$'\t' read -r keys name path index size used lbs fails numa opts < <(srd_info_json "$n" | jq -r '[
		(keys | tojson), .name, .path, .index, .size_bytes, .used_bytes,
		.logical_block_size, .alloc_failures, (.numa_node // -1),
		([if .prealloc then "prealloc" else empty end,
		  if .read_only then "read_only" else empty end,
		  if .overcommit then "overcommit" else empty end] |
		 if length == 0 then "none" else join(" ") end)] | @tsv')
	assert_eq "$keys" "$INFO_KEYS" "$n info keys"
	assert_eq "$name" "$n" "$n name"
	assert_eq "$path" "/dev/$n" "$n path"
	assert_eq "$index" "${n#srd}" "$n index"
	assert_eq "$(srd_sysfs "$n" size_bytes)" "$size" "$n sysfs size_bytes"
	assert_eq "$(srd_sysfs "$n" used_bytes)" "$used" "$n sysfs used_bytes"
	assert_eq "$(srd_sysfs "$n" alloc_failures)" "$fails" "$n sysfs alloc_failures"
	assert_eq "$(srd_sysfs "$n" numa_node)" "$numa" "$n sysfs numa_node"
	local sysopts
	sysopts=$(srd_sysfs "$n" options)
	assert_eq "$(tr ' ' '\n' <<<"$sysopts" | sort | xargs)" "$(tr ' ' '\n' <<<"$opts" | sort | xargs)" "$n sysfs options"
	assert_eq "$(cat "/sys/block/$n/size")" "$((size / 512))" "/sys/block/$n/size (sectors)"
	assert_eq "$(blockdev --getsize64 "/dev/$n")" "$size" "blockdev --getsize64 /dev/$n"
	assert_eq "$(cat "/sys/block/$n/queue/logical_block_size")" "$lbs" "$n queue/logical_block_size"
	assert_eq "$(cd "/sys/block/$n/srd" && stat -c %a size_bytes used_bytes alloc_failures numa_node options | xargs)" \
		"444 444 444 444 444" "mode of /sys/block/$n/srd/*"
}

note "version"
v=$(sc --version)
[[ "$v" =~ ^storctl\ [0-9]+\.[0-9]+ ]] || fail "--version printed '$v'"

note "empty list"
assert_eq "$(sc --json ramdisk list | jq -c .)" "[]" "list --json with no disks"
assert_eq "$(sc ramdisk list --json | jq -c .)" "[]" "list --json (after verb) with no disks"

note "create (text)"
out=$(sc ramdisk create 64M)
assert_eq "$out" "created srd0 (/dev/srd0, 64.0 MiB)" "create output"
settle
[ -b /dev/srd0 ] || fail "/dev/srd0 is not a block device"
[ -d /sys/block/srd0/srd ] || fail "/sys/block/srd0/srd missing"

note "info --json: exact values"
j=$(srd_info_json srd0)
assert_eq "$(jq -c . <<<"$j")" \
	'{"alloc_failures":0,"index":0,"logical_block_size":512,"name":"srd0","numa_node":null,"open_count":0,"overcommit":false,"path":"/dev/srd0","prealloc":false,"read_only":false,"size_bytes":67108864,"used_bytes":0}' \
	"info --json srd0 (sorted)"
# The object must be the same however the disk is named and wherever --json is.
assert_eq "$(sc ramdisk info srd0 --json | jq -S -c .)" "$(jq -S -c . <<<"$j")" "info srd0 --json"
assert_eq "$(sc --json ramdisk info /dev/srd0 | jq -S -c .)" "$(jq -S -c . <<<"$j")" "info /dev/srd0"
check_info srd0

note "info (text)"
t=$(sc ramdisk info srd0)
while IFS= read -r line; do
	[[ "$line" =~ ^[[:space:]]*[A-Za-z][A-Za-z0-9_\ ./-]*:([[:space:]].*)?$ ]] || fail "info text line is not 'key: value': '$line'"
done <<<"$t"
assert_contains "$t" "srd0" "info text"
assert_contains "$t" "/dev/srd0" "info text"
[[ "$t" =~ 67108864|64\.0\ MiB ]] || fail "info text does not show the size: $t"

note "used_bytes follows writes"
dd if=/dev/urandom of=/dev/srd0 bs=1M count=1 oflag=direct status=none
assert_eq "$(srd_json srd0 used_bytes)" "$MiB" "used_bytes after writing 1 MiB"
check_info srd0
sum0=$(sha_range /dev/srd0 0 $MiB)

note "--index 5 and options"
out=$(sc --json ramdisk create 16M --index 5 --prealloc --logical-block-size 4096)
assert_eq "$(jq -r '.name, .path, .index, .size_bytes, .prealloc, .logical_block_size' <<<"$out" | xargs)" \
	"srd5 /dev/srd5 5 16777216 true 4096" "create --index 5 --json"
settle
[ -b /dev/srd5 ] || fail "/dev/srd5 missing"
check_info srd5
assert_eq "$(srd_sysfs srd5 options)" "prealloc" "srd5 options"

note "lowest free index is reused"
assert_eq "$(srd_create 8M)" srd1 "next disk with srd0 and srd5 present"
settle
sc ramdisk remove srd0 >/dev/null
settle
[ ! -e /sys/block/srd0 ] || fail "/sys/block/srd0 still there after remove"
[ ! -e /dev/srd0 ] || fail "/dev/srd0 still there after remove"
assert_eq "$(srd_create 64M)" srd0 "index 0 reused after removing srd0"
assert_eq "$(used_bytes srd0)" 0 "a recreated srd0 starts empty"
is_zero /dev/srd0 0 $MiB || fail "recreated srd0 does not read zeros"
dd if=/dev/urandom of=/dev/srd0 bs=1M count=1 oflag=direct status=none
sum0=$(sha_range /dev/srd0 0 $MiB)

note "list: text and --json"
l=$(sc --json ramdisk list)
assert_eq "$(jq -r 'type' <<<"$l")" array "list --json type"
assert_eq "$(jq -r '[.[].name] | join(" ")' <<<"$l")" "srd0 srd1 srd5" "list --json names, sorted by index"
assert_eq "$(jq -c '[.[].index]' <<<"$l")" "[0,1,5]" "list --json indexes"
for n in srd0 srd1 srd5; do
	assert_eq "$(jq -S -c --arg n $n '.[] | select(.name == $n)' <<<"$l")" \
		"$(srd_info_json $n | jq -S -c .)" "list entry of $n equals its info"
done
lt=$(sc ramdisk list)
assert_eq "$(head -n1 <<<"$lt" | xargs)" "NAME PATH SIZE USED LBS RO OPTIONS" "list header"
assert_eq "$(tail -n +2 <<<"$lt" | awk '{ print $1 }' | xargs)" "srd0 srd1 srd5" "list rows"
assert_eq "$(awk '$1 == "srd5" { print $2 }' <<<"$lt")" /dev/srd5 "list path column"

note "resize (grow, text)"
out=$(sc ramdisk resize srd0 128M)
assert_eq "$out" "resized srd0 to 128.0 MiB" "resize output"
settle
assert_eq "$(srd_json srd0 size_bytes)" $((128 * MiB)) "size after grow"
check_info srd0
assert_eq "$(sha_range /dev/srd0 0 $MiB)" "$sum0" "data after grow"

note "resize (shrink, --json)"
out=$(sc --json ramdisk resize srd0 32M)
assert_eq "$(jq -r '.name, .size_bytes' <<<"$out" | xargs)" "srd0 $((32 * MiB))" "resize --json"
settle
check_info srd0
assert_eq "$(sha_range /dev/srd0 0 $MiB)" "$sum0" "data after shrink"
# Pages past the new end are freed: only the 1 MiB written remains.
assert_eq "$(used_bytes srd0)" "$MiB" "used_bytes after shrink"

note "remove (text and --json)"
settle
assert_eq "$(sc ramdisk remove srd1)" "removed srd1" "remove output"
assert_eq "$(sc --json ramdisk remove /dev/srd5 | jq -c .)" '{"removed":"srd5"}' "remove --json"
settle
for n in srd1 srd5; do
	[ ! -e /sys/block/$n ] || fail "/sys/block/$n still there after remove"
	[ ! -e /dev/$n ] || fail "/dev/$n still there after remove"
	expect_rc 3 -- "$STORCTL" ramdisk info $n
done
assert_eq "$(sc ramdisk remove srd0 --json | jq -c .)" '{"removed":"srd0"}' "remove srd0 --json"
settle
assert_eq "$(sc --json ramdisk list | jq -c .)" "[]" "list after removing everything"
assert_eq "$(sys_srd_names | xargs)" "" "srd block devices left"

note "--numa 0"
n=$(srd_create 8M --numa 0)
assert_eq "$(srd_json "$n" numa_node)" 0 "info numa_node"
assert_eq "$(srd_sysfs "$n" numa_node)" 0 "sysfs numa_node"
check_info "$n"

pass
