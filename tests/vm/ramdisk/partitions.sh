#!/usr/bin/env bash
# Partitions: a 2-partition MBR table on srdN makes /dev/srdNp1 and
# /dev/srdNp2 appear with the right sizes; write+verify on p2 lands at the
# right offset of the disk and does not touch p1; removing the disk removes
# the partitions.
. "$(dirname "$0")/../lib.sh"
need_cmd fio blockdev

MiB=$((1024 * 1024))
d=$(srd_create 32M)
dev=/dev/$d
# Sectors: p1 = [2048, 2048 + 12 MiB), p2 = right after it, 16 MiB.
P1_START=2048 P1_SECTORS=$((12 * MiB / 512))
P2_START=$((P1_START + P1_SECTORS)) P2_SECTORS=$((16 * MiB / 512))

if command -v sfdisk >/dev/null; then
	note "partitioning with sfdisk"
	printf 'label: dos\nstart=%d, size=%d, type=83\nstart=%d, size=%d, type=83\n' \
		$P1_START $P1_SECTORS $P2_START $P2_SECTORS | run_ok sfdisk -q "$dev" >/dev/null
else
	# util-linux's sfdisk is not installed (package fdisk): write the MBR
	# ourselves and ask the kernel to re-read it, as sfdisk would.
	note "partitioning with a hand-written MBR (no sfdisk)"
	le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
	# Entry: status, CHS first (unused: fe ff ff), type 83, CHS last, LBA, count.
	entry() { printf '\x00\xfe\xff\xff\x83\xfe\xff\xff'; printf "$(le32 "$1")$(le32 "$2")"; }
	{
		head -c 440 /dev/zero
		printf '\x53\x52\x44\x01\x00\x00' # disk signature + 2 reserved bytes
		entry $P1_START $P1_SECTORS
		entry $P2_START $P2_SECTORS
		head -c 32 /dev/zero
		printf '\x55\xaa'
	} >/tmp/mbr.bin
	assert_eq "$(stat -c %s /tmp/mbr.bin)" 512 "MBR size"
	run_ok dd if=/tmp/mbr.bin of="$dev" bs=512 count=1 oflag=direct status=none
	run_ok blockdev --rereadpt "$dev"
fi
settle

for p in 1 2; do
	[ -b "${dev}p$p" ] || fail "${dev}p$p did not appear"
	[ -d "/sys/block/$d/${d}p$p" ] || fail "/sys/block/$d/${d}p$p missing"
done
assert_eq "$(cat "/sys/block/$d/${d}p1/start")" $P1_START "p1 start"
assert_eq "$(cat "/sys/block/$d/${d}p1/size")" $P1_SECTORS "p1 size"
assert_eq "$(cat "/sys/block/$d/${d}p2/start")" $P2_START "p2 start"
assert_eq "$(blockdev --getsize64 "${dev}p2")" $((P2_SECTORS * 512)) "p2 size (blockdev)"
# Partitions are not disks: storctl lists only srd0.
assert_eq "$(sc --json ramdisk list | jq -r '[.[].name] | join(" ")')" "$d" "storctl list with partitions"

note "fill p1, write+verify p2"
run_ok dd if=/dev/urandom of="${dev}p1" bs=1M oflag=direct status=none count=12
p1sum=$(sha_range "${dev}p1" 0 $((P1_SECTORS * 512)))
mbrsum=$(sha_range "$dev" 0 512)
fio_run --name=p2 --filename="${dev}p2" --ioengine=libaio --iodepth=8 --direct=1 \
	--rw=randwrite --bs=16k --verify=crc32c --do_verify=1 --verify_fatal=1
assert_eq "$(sha_range "${dev}p1" 0 $((P1_SECTORS * 512)))" "$p1sum" "p1 after writing p2"
assert_eq "$(sha_range "$dev" 0 512)" "$mbrsum" "partition table after writing p2"
assert_eq "$(sha_range "$dev" $((P2_START * 512)) $((P2_SECTORS * 512)))" \
	"$(sha_range "${dev}p2" 0 $((P2_SECTORS * 512)))" "p2 data seen through the whole disk"
is_zero "$dev" $(((P2_START + P2_SECTORS) * 512)) $((32 * MiB - (P2_START + P2_SECTORS) * 512)) ||
	fail "space after p2 was written"

note "remove takes the partitions with it"
settle
run_ok "$STORCTL" ramdisk remove "$d" >/dev/null
settle
for p in 1 2; do
	[ ! -e "${dev}p$p" ] || fail "${dev}p$p still there after remove"
done

pass
