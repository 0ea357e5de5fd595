#!/usr/bin/env bash
# An exported RAM disk cannot be removed (busy, the message names the NQN);
# growing it grows the namespace a connected host sees, without any action
# on the host (storctl makes nvmet revalidate the size, which sends the
# host a namespace-changed event).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"

d=$(srd_create 32M)
sc nvmet port add --address 127.0.0.1 >/dev/null
nqn=$(sc --json nvmet export "/dev/$d" --host "$HOST_A" | jq -r .nqn)

note "remove is refused while exported"
expect_rc 4 "$nqn" -- "$STORCTL" ramdisk remove "$d"
assert_contains "$ERR" "exported over NVMe-oF" "remove error"
[ -b "/dev/$d" ] || fail "/dev/$d is gone"

nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_A"
ns=$(ns_dev "$nqn")
assert_eq "$(cat "/sys/block/$ns/size")" $((32 * 2048)) "namespace size before"
# Something to find again after the resize.
head -c 1M /dev/urandom >"$_T/data"
dd if="$_T/data" of="/dev/$ns" bs=1M oflag=direct status=none
expect_rc 4 "$nqn" -- "$STORCTL" ramdisk remove "$d"

note "grow the exported disk"
json=$(sc --json ramdisk resize "$d" 64M)
assert_eq "$(jq -r .size_bytes <<<"$json")" $((64 << 20)) "disk size after resize"
for ((i = 0; i < 100; i++)); do
	[ "$(cat "/sys/block/$ns/size")" -eq $((64 * 2048)) ] && break
	sleep 0.2
done
assert_eq "$(cat "/sys/block/$ns/size")" $((64 * 2048)) "namespace size seen by the host after resize"
assert_eq "$(sha_range "/dev/$ns" 0 $((1 << 20)))" "$(sha256sum <"$_T/data" | cut -d' ' -f1)" \
	"data after the resize"
# The new space is usable through NVMe/TCP.
dd if="$_T/data" of="/dev/$ns" bs=1M seek=60 oflag=direct status=none
assert_eq "$(sha_range "/dev/$d" $((60 << 20)) $((1 << 20)))" "$(sha256sum <"$_T/data" | cut -d' ' -f1)" \
	"data written to the new space"

note "after unexport the disk can go"
nvme_disconnect "$nqn"
sc nvmet unexport "/dev/$d" >/dev/null
sc ramdisk remove "$d" >/dev/null
sc nvmet port remove 1 >/dev/null
nvmet_assert_empty
pass
