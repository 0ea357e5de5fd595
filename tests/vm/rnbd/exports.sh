#!/usr/bin/env bash
# rnbd exports: the server serves only exported devices.  An unexported
# device (existing or not) is EACCES; an export limited to a session is
# EACCES for others; after unexport new maps fail while existing ones
# keep working; a device path with a ".." component is EINVAL (also with
# allow_any); allow_any=1 serves any device; dev_search_path with
# %SESSNAME% resolves per session; the export file itself rejects bad
# input.  Nothing is created by a refused map.
. "$(dirname "$0")/_lib.sh"

rnbd_net_setup 1
rnbd_load
srd=$(srd_create 16M)
srd2=$(srd_create 16M)
addr=$(rnbd_addr 1)
map_line() { echo "sessname=$1 path=ip:$addr device_path=$2"; }
map_err() { expect_write_err "$1" "$CLT_CTL/map_device" "$(map_line "$2" "$3")"; }
check_nothing_left() {
	[ -z "$(srnbd_names)" ] || fail "devices left: $(srnbd_names)"
	[ -z "$(ls "$CLT_CTL/sessions")" ] || fail "client sessions left: $(ls "$CLT_CTL/sessions")"
	wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20
}

# Nothing exported: existing and missing devices look the same.
map_err "Permission denied" s1 "/dev/$srd"
map_err "Permission denied" s1 /dev/srd77
check_nothing_left

# The export file checks its input.
expect_write_err "Invalid argument" "$SRV_CTL/export" "device_path=dev/$srd"
expect_write_err "Invalid argument" "$SRV_CTL/export" "device_path=/dev/../dev/$srd"
expect_write_err "Invalid argument" "$SRV_CTL/export" "device_path=/dev/$srd bogus=1"
expect_write_err "Invalid argument" "$SRV_CTL/export" "device_path=/dev/$srd access_mode=migration"
expect_write_err "Invalid argument" "$SRV_CTL/export" "device_path=/dev/$srd sessname=a/b"
expect_write_err "No such file or directory" "$SRV_CTL/export" "device_path=/dev/srd77"
assert_eq "$(cat "$SRV_CTL/exports")" "" "exports after bad input"

# Export to session s2 only.
rnbd_export "device_path=/dev/$srd sessname=s2"
expect_write_err "File exists" "$SRV_CTL/export" "device_path=/dev/$srd sessname=s2"
assert_eq "$(cat "$SRV_CTL/exports")" "/dev/$srd sessname=s2 access_mode=rw" "exports"
map_err "Permission denied" s1 "/dev/$srd"
d2=$(rnbd_map "$(map_line s2 "/dev/$srd")")
# Another path to the same device (the server compares device numbers).
ln -s "/dev/$srd" "$_T/link"
rnbd_unmap "$d2"
d2=$(rnbd_map "$(map_line s2 "$_T/link")")
assert_eq "$(rnbd_sysfs "$d2" mapping_path)" "$_T/link" "mapping_path"

# ".." is refused before anything is opened.
rnbd_export "device_path=/dev/$srd2"
map_err "Invalid argument" s3 "/dev/../dev/$srd2"
map_err "Invalid argument" s3 "../dev/$srd2"
map_err "Invalid argument" s3 "/dev/$srd2/.."
map_err "Invalid argument" s2 "/dev/../dev/$srd2"
[ "$(rnbd_sysfs "$d2" state)" == open ] || fail "$d2 disturbed by refused maps"
# Names with dots that are not ".." are fine.
ln -s "/dev/$srd2" "$_T/..x"
d3=$(rnbd_map "$(map_line s3 "$_T/..x")")

# Unexport: existing mappings stay, new ones are refused.
sysfs_write "$SRV_CTL/unexport" "device_path=/dev/$srd sessname=s2" || fail "unexport: $WERR"
expect_write_err "No such file or directory" "$SRV_CTL/unexport" "device_path=/dev/$srd sessname=s2"
dd if=/dev/zero of="/dev/$d2" bs=4k count=4 oflag=direct status=none || fail "I/O after unexport"
rnbd_unmap "$d2"
map_err "Permission denied" s2 "/dev/$srd"
rnbd_unmap "$d3"
check_nothing_left
rmmod stor_rnbd_server

note "allow_any=1 and dev_search_path with %SESSNAME%"
mkdir -p /run/srnbd-test/t1 /run/srnbd-test/t2
ln -s "/dev/$srd" /run/srnbd-test/t1/disk
ln -s "/dev/$srd2" /run/srnbd-test/t2/disk
project_modprobe stor_rnbd_server allow_any=1 'dev_search_path=/run/srnbd-test/%SESSNAME%'
assert_eq "$(cat "$SRV_CTL/exports")" "" "exports after reload"
t1=$(rnbd_map "$(map_line t1 disk)")
t2=$(rnbd_map "$(map_line t2 disk)")
dd if=/dev/urandom of="$_T/pat" bs=64k count=1 status=none
dd if="$_T/pat" of="/dev/$t2" bs=64k oflag=direct status=none
assert_eq "$(sha_range "/dev/$srd2" 0 65536)" "$(sha256sum <"$_T/pat" | cut -d' ' -f1)" \
	"t2's disk is $srd2"
assert_contains "$(cat "$SRV_CTL/devices")" "t1 1 rw disk /run/srnbd-test/t1/disk" "server devices"
# allow_any does not allow climbing out.
map_err "Invalid argument" t1 "../t2/disk"
map_err "No such file or directory" t1 nothing

note "server limits: max_sessions and max_paths"
# Two sessions of one path each are up (t1, t2).  A third session is
# refused when it would exceed either limit, and nothing of it is left.
P=/sys/module/stor_rnbd_server/parameters
mkdir -p /run/srnbd-test/t3d && ln -s "/dev/$srd2" /run/srnbd-test/t3d/disk
t3_line="sessname=t3d path=ip:$addr device_path=disk access_mode=ro"
assert_eq "$(cat $P/max_sessions) $(cat $P/max_paths)" "64 128" "default limits"
echo 2 >$P/max_sessions
expect_write_err "Too many users" "$CLT_CTL/map_device" "$t3_line"
kmsg_has "stor_rnbd_server: session t3d refused: max_sessions (2) reached" ||
	fail "no log line for the refused session"
echo 0 >$P/max_sessions
echo 2 >$P/max_paths
expect_write_err "Too many users" "$CLT_CTL/map_device" "$t3_line"
kmsg_has "stor_rnbd_server: path from .* refused: max_paths (2) reached" ||
	fail "no log line for the refused path"
[ ! -e "$CLT_CTL/sessions/t3d" ] || fail "client session t3d left after a refused map"
assert_eq "$(awk '{ print $1 }' "$SRV_CTL/sessions" | sort | xargs)" "t1 t2" "server sessions after the refusals"
# Back to the defaults, the same map works.
echo 64 >$P/max_sessions
echo 128 >$P/max_paths
t3=$(rnbd_map "$t3_line")
assert_eq "$(sha_range "/dev/$t3" 0 65536)" "$(sha256sum <"$_T/pat" | cut -d' ' -f1)" "t3d reads $srd2"
rnbd_unmap "$t3"
rnbd_unmap "$t1"
rnbd_unmap "$t2"
check_nothing_left
pass
