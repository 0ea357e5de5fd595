#!/usr/bin/env bash
# storctl cache over srd disks: create (wt, wa, wb; default name sc_<origin>),
# list, stats and remove, as text and --json; the table read back from the
# kernel; data written through the cache is on the origin after remove (for
# wb only then); a RAM disk under a cache can be neither removed nor resized
# (exit 4, message naming the cache); remove is refused while the cache is
# open, and --force remaps it to the origin and removes it on close.
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup

MiB=$((1024 * 1024))
o=$(srd_create 32M)
k=$(srd_create 16M)
odev=$(cat "/sys/block/$o/dev")
kdev=$(cat "/sys/block/$k/dev")
name=sc_$o
len=$((32 * MiB / 512))
# 1 MiB of data at 4 MiB (64 KiB blocks 64..79).
OFF=$((4 * MiB))

info_keys='["block_size","cache","cache_devno","mode","name","open_count","options","origin","origin_devno","path","policy","size_bytes","target"]'

# Wait until dmsetup status field $2 (after the target name) of $1 is >= $3.
wait_status_ge() {
	local i v
	for ((i = 0; i < 100; i++)); do
		v=$(dmsetup status "$1" | awk -v f="$2" '{ print $(3 + f) }')
		[ "$v" -ge "$3" ] && return 0
		sleep 0.1
	done
	fail "status field $2 of $1 stayed at $v, expected >= $3"
}

expect_rc 0 -- "$STORCTL" --json cache list
assert_eq "$OUT" "[]" "cache list --json without caches"
expect_rc 0 -- "$STORCTL" cache list
assert_eq "$OUT" "NAME  MODE  CACHE  ORIGIN  BLOCK  SIZE  POLICY" "cache list without caches"

for mode in wt wa wb; do
	note "mode $mode"
	if [ $mode = wb ]; then
		bs="4.0 KiB" policy=- table="0 $len writecache s $odev $kdev 4096 0"
	else
		bs="64.0 KiB" policy=s3fifo table="0 $len stor-cache $odev $kdev 128 $mode"
	fi
	expect_rc 0 -- "$STORCTL" cache create --cache "/dev/$k" --origin "/dev/$o" --mode $mode
	assert_eq "$OUT" "created $name ($mode, cache /dev/$k, origin /dev/$o, 32.0 MiB, $bs blocks)" \
		"create output"
	# udev synchronisation: the node exists when create returns.
	[ -b "/dev/mapper/$name" ] || fail "/dev/mapper/$name missing right after create"
	assert_eq "$(dmsetup table "$name")" "$table" "table of $name"

	expect_rc 0 -- "$STORCTL" cache list
	[[ "$OUT" =~ $'\n'"$name "+"$mode "+"/dev/$k "+"/dev/$o "+"$bs "+"32.0 MiB "+"$policy"$ ]] ||
		fail "cache list: no row for $name: $OUT"
	j=$(sc cache list --json)
	assert_eq "$(jq -r length <<<"$j")" 1 "caches listed"
	assert_eq "$(jq -c '.[0] | keys' <<<"$j")" "$info_keys" "keys of the info object"
	want="$name /dev/mapper/$name $mode /dev/$k /dev/$o $kdev $odev 33554432"
	got=$(jq -r '.[0] | [.name, .path, .mode, .cache, .origin, .cache_devno, .origin_devno,
		.size_bytes] | map(tostring) | join(" ")' <<<"$j")
	assert_eq "$got" "$want" "cache list --json"
	if [ $mode = wb ]; then
		assert_eq "$(jq -r '.[0] | "\(.target) \(.block_size) \(.policy)"' <<<"$j")" \
			"writecache 4096 null" "wb target, block size, policy"
	else
		assert_eq "$(jq -r '.[0] | "\(.target) \(.block_size) \(.policy)"' <<<"$j")" \
			"stor-cache 65536 s3fifo" "$mode target, block size, policy"
	fi

	note "$mode: data through the cache"
	head -c $MiB /dev/urandom >"$_T/data"
	sum=$(sha256sum <"$_T/data" | cut -d' ' -f1)
	dd if="$_T/data" of="/dev/mapper/$name" bs=64K seek=64 oflag=direct status=none
	assert_eq "$(sha_range "/dev/mapper/$name" $OFF $MiB)" "$sum" "data read back through $name"

	if [ $mode = wb ]; then
		# Written back only on remove: the origin does not have it yet.
		assert_ne "$(sha_range "/dev/$o" $OFF $MiB)" "$sum" "origin before the write-back"
		j=$(sc cache stats "$name" --json)
		assert_eq "$(jq 'keys | length' <<<"$j")" 22 "number of wb stats keys"
		assert_eq "$(jq -r '"\(.target) \(.error) \(.total_blocks) \(.dirty_blocks) \(.used_blocks)"' <<<"$j")" \
			"writecache 0 $(dmsetup status "$name" | awk '{ print $5 }') 256 256" \
			"wb stats: target error total dirty used"
		jq -e '.total_blocks - .free_blocks == .used_blocks and .writes >= 256' <<<"$j" >/dev/null ||
			fail "wb stats inconsistent: $j"
	else
		# A second pass over the same whole blocks hits.
		dd if="/dev/mapper/$name" of=/dev/null bs=64K skip=64 count=16 iflag=direct status=none
		wait_status_ge "$name" 10 16
		dd if="/dev/mapper/$name" of=/dev/null bs=64K skip=64 count=16 iflag=direct status=none
		j=$(sc --json cache stats "$name")
		assert_eq "$(jq 'keys | length' <<<"$j")" 20 "number of stor-cache stats keys"
		for key in read_hits read_misses write_hits write_misses promotions evictions \
			invalidations cache_errors origin_errors cached_blocks total_blocks \
			promotion_failures retries fills_in_flight read_hit_ratio; do
			jq -e --arg k "$key" 'has($k)' <<<"$j" >/dev/null || fail "stats: no $key in $j"
		done
		jq -e '.read_hits >= 16 and .total_blocks == 256 and .cache_errors == 0 and
			.read_hit_ratio > 0 and
			.read_hit_ratio == (.read_hits / (.read_hits + .read_misses))' <<<"$j" >/dev/null ||
			fail "stor-cache stats: $j"
		assert_eq "$(sha_range "/dev/$o" $OFF $MiB)" "$sum" "origin before remove ($mode)"
	fi
	expect_rc 0 -- "$STORCTL" cache stats "/dev/mapper/$name"
	assert_contains "$OUT" $'\nmode: '"$mode"$'\n' "stats text"
	assert_contains "$OUT" "read_hit_ratio: " "stats text"

	note "$mode: the RAM disks under the cache stay"
	expect_rc 4 "$name" -- "$STORCTL" ramdisk remove "$k"
	expect_rc 4 "$name" -- "$STORCTL" ramdisk remove "/dev/$o"
	expect_rc 4 "$name" -- "$STORCTL" ramdisk resize "$k" 32M
	expect_rc 4 "$name" -- "$STORCTL" ramdisk resize "$o" 64M
	assert_eq "$(blockdev --getsize64 "/dev/$o")" $((32 * MiB)) "origin size after refused resize"

	note "$mode: remove"
	case $mode in
	wt)
		expect_rc 0 -- "$STORCTL" cache remove "$name"
		assert_eq "$OUT" "removed $name" "remove output"
		;;
	wa)
		expect_rc 0 -- "$STORCTL" cache remove "$name" --json
		assert_eq "$OUT" "{\"deferred\":false,\"removed\":\"$name\",\"written_back_blocks\":0}" \
			"remove --json output"
		;;
	wb)
		expect_rc 0 -- "$STORCTL" cache remove "$name"
		assert_eq "$OUT" "removed $name (wrote back 256 blocks)" "wb remove output"
		;;
	esac
	! dmsetup info "$name" >/dev/null 2>&1 || fail "$name still exists after remove"
	[ ! -e "/dev/mapper/$name" ] || fail "/dev/mapper/$name still exists after remove"
	assert_eq "$(sha_range "/dev/$o" $OFF $MiB)" "$sum" "data on the origin after remove ($mode)"
done

note "named cache with policy, tunable, block size; list sorted by name"
o2=$(srd_create 32M)
k2=$(srd_create 16M)
sc cache create --cache "/dev/$k" --origin "/dev/$o" --mode wt >/dev/null
j=$(sc --json cache create --cache "/dev/$k2" --origin "/dev/$o2" --mode wa --name aa_named \
	--policy lru --block-size 4K --tunable write_promote=1)
assert_eq "$(jq -c 'keys' <<<"$j")" "$info_keys" "keys of the create --json object"
assert_eq "$(jq -r '"\(.name) \(.mode) \(.block_size) \(.policy) \(.options.write_promote)"' <<<"$j")" \
	"aa_named wa 4096 lru 1" "create --json"
assert_eq "$(dmsetup table aa_named)" \
	"0 $len stor-cache $(cat "/sys/block/$o2/dev") $(cat "/sys/block/$k2/dev") 8 wa 4 policy lru write_promote 1" \
	"table of aa_named"
assert_eq "$(sc cache list --json | jq -c '[.[].name]')" "[\"aa_named\",\"$name\"]" "list order"
expect_rc 0 -- "$STORCTL" cache list
assert_eq "$(sed -n 2p <<<"$OUT" | awk '{ print $1 }')" aa_named "first row of the text list"

note "remove refused while open; --force remaps to the origin and removes on close"
head -c $MiB /dev/urandom >"$_T/data2"
dd if="$_T/data2" of=/dev/mapper/aa_named bs=64K seek=64 oflag=direct status=none
sum2=$(sha256sum <"$_T/data2" | cut -d' ' -f1)
settle
exec 3</dev/mapper/aa_named
expect_rc 4 "open" -- "$STORCTL" cache remove aa_named
assert_contains "$ERR" "--force" "busy message"
dmsetup info aa_named >/dev/null || fail "aa_named gone after a refused remove"
expect_rc 0 -- "$STORCTL" cache remove aa_named --force
assert_eq "$OUT" "removed aa_named (deferred: still open, now maps the origin directly and goes away when closed)" \
	"remove --force output"
assert_eq "$(dmsetup table aa_named)" "0 $len linear $(cat "/sys/block/$o2/dev") 0" \
	"table after remove --force"
assert_eq "$(sha_range /dev/mapper/aa_named $OFF $MiB)" "$sum2" "data through the remapped device"
# The cache disk is free again, the origin is still held.
expect_rc 0 -- "$STORCTL" ramdisk remove "$k2"
expect_rc 4 aa_named -- "$STORCTL" ramdisk remove "$o2"
exec 3<&-
for ((i = 0; i < 50; i++)); do
	dmsetup info aa_named >/dev/null 2>&1 || break
	sleep 0.1
done
! dmsetup info aa_named >/dev/null 2>&1 || fail "aa_named still exists after the last close"
assert_eq "$(sha_range "/dev/$o2" $OFF $MiB)" "$sum2" "data on the origin after the deferred remove"

expect_rc 0 -- "$STORCTL" --json cache remove "$name"
assert_eq "$(jq -r .removed <<<"$OUT")" "$name" "removed"
assert_eq "$(sc --json cache list)" "[]" "cache list at the end"
pass
