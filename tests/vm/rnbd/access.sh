#!/usr/bin/env bash
# rnbd access modes: a read-only mapping is read-only on the client (writes
# refused, reads work, no discard), many read-only mappings and one
# read-write mapping coexist, a second rw mapping (another session) is
# refused with EBUSY, "migration" allows exactly one more writer, the same
# device twice in one session is EEXIST, and a read-only export refuses rw.
. "$(dirname "$0")/_lib.sh"

need_cmd blockdev
rnbd_net_setup 1
rnbd_load
srd=$(srd_create 16M)
srd2=$(srd_create 16M)
rnbd_export "device_path=/dev/$srd"
rnbd_export "device_path=/dev/$srd2 access_mode=ro"
addr=$(rnbd_addr 1)
map() { rnbd_map "sessname=$1 path=ip:$addr device_path=/dev/$2 access_mode=$3"; }
map_err() {
	expect_write_err "$1" "$CLT_CTL/map_device" \
		"sessname=$2 path=ip:$addr device_path=/dev/$3 access_mode=$4"
}

dd if=/dev/urandom of="$_T/pat" bs=1M count=1 status=none
dd if="$_T/pat" of="/dev/$srd" bs=1M oflag=direct status=none
want=$(sha256sum <"$_T/pat" | cut -d' ' -f1)

ro1=$(map a "$srd" ro)
assert_eq "$(rnbd_sysfs "$ro1" access_mode)" ro "access_mode"
assert_eq "$(cat "/sys/block/$ro1/ro")" 1 "ro flag of a read-only mapping"
assert_eq "$(cat "/sys/block/$ro1/queue/discard_max_bytes")" 0 "discard on a read-only mapping"
assert_eq "$(sha_range "/dev/$ro1" 0 $((1 << 20)))" "$want" "read through the ro mapping"
if dd if=/dev/zero of="/dev/$ro1" bs=4k count=1 oflag=direct status=none 2>"$_T/err"; then
	fail "writing to the read-only mapping $ro1 succeeded"
fi
assert_contains "$(<"$_T/err")" "Read-only file system" "dd to $ro1"
expect_rc 1 -- blkdiscard "/dev/$ro1"
assert_eq "$(sha_range "/dev/$srd" 0 $((1 << 20)))" "$want" "server data after refused writes"

# More readers, then one writer, in other sessions.
ro2=$(map b "$srd" ro)
rw1=$(map c "$srd" rw)
assert_eq "$(cat "/sys/block/$rw1/ro")" 0 "ro flag of the rw mapping"
dd if=/dev/urandom of="$_T/pat2" bs=64k count=1 status=none
dd if="$_T/pat2" of="/dev/$rw1" bs=64k seek=3 oflag=direct status=none
assert_eq "$(sha_range "/dev/$ro2" $((3 * 65536)) 65536)" \
	"$(sha256sum <"$_T/pat2" | cut -d' ' -f1)" "rw write seen through ro mapping"

# A second writer is refused, from any session; nothing is created.
before=$(srnbd_names | tr '\n' ' ')
map_err "Device or resource busy" d "$srd" rw
map_err "Device or resource busy" a2 "$srd" rw
assert_eq "$(srnbd_names | tr '\n' ' ')" "$before" "devices after refused maps"
[ ! -e "$CLT_CTL/sessions/d" ] || fail "session d was left behind"
# The same device twice in one session.
map_err "File exists" c "$srd" rw
map_err "File exists" a "$srd" ro

# Migration: one more writer, not two.
mig=$(map e "$srd" migration)
assert_eq "$(rnbd_sysfs "$mig" access_mode)" migration "access_mode"
map_err "Device or resource busy" f "$srd" migration
map_err "Device or resource busy" g "$srd" rw
dd if=/dev/zero of="/dev/$mig" bs=4k count=1 oflag=direct status=none ||
	fail "write through the migration mapping failed"

# When the rw mapping goes, a new writer is allowed again.
rnbd_unmap "$rw1"
rnbd_unmap "$mig"
rw2=$(map g "$srd" rw)
rnbd_unmap "$rw2"

# A read-only export: ro works, rw and migration do not.
map_err "Read-only file system" h "$srd2" rw
map_err "Read-only file system" h "$srd2" migration
ro3=$(map h "$srd2" ro)
assert_eq "$(cat "/sys/block/$ro3/ro")" 1 "ro flag"

for d in "$ro1" "$ro2" "$ro3"; do
	rnbd_unmap "$d"
done
wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20
pass
