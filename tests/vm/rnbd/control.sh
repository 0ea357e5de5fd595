#!/usr/bin/env bash
# rnbd control files not exercised elsewhere: the client's ctl/devices and
# per-session state, devices and negotiated parameters; the usage texts;
# reconnect_delay_ms and max_reconnect_attempts per session (the delay is
# kept, a path gives up and starts again when the limit is written); the
# server's force_close of one device (the client learns it with its next
# heartbeat and marks the device closed, its I/O fails, a reconnect does
# not reopen it, remap_device does) and of a whole session (the client
# reconnects and reopens, the data is intact) with its input checks;
# unmap_device "force" of a device that is open (the opener reads nothing
# afterwards) and of a device whose I/O is held without a server (the held
# read fails at once instead of after the hold timeout).
# vm-args: --mem 1024
. "$(dirname "$0")/_lib.sh"

rnbd_net_setup 1
rnbd_load
srd=$(srd_create 16M)
rnbd_export "device_path=/dev/$srd"
a=$(rnbd_addr 1)
dev=$(rnbd_map "sessname=fc path=ip:$a device_path=/dev/$srd")
sess=$CLT_CTL/sessions/fc
d=/sys/block/$dev/stor-rnbd

note "listings and usage texts"
assert_eq "$(cat "$CLT_CTL/devices")" "$dev fc /dev/$srd rw open" "client ctl/devices"
assert_eq "$(cat "$sess/devices")" "$dev /dev/$srd open" "session devices"
assert_eq "$(cat "$sess/state")" connected "session state"
assert_eq "$(cat "$sess/nr_io_cons")" "$(nproc)" "nr_io_cons (one per CPU)"
assert_eq "$(cat "$sess/queue_depth")" $((128 / $(nproc) * $(nproc))) "queue_depth"
assert_eq "$(cat "$sess/io_hold_timeout_ms")" 30000 "io_hold_timeout_ms"
assert_eq "$(cat "$sess/reconnect_delay_ms")" 1000 "reconnect_delay_ms"
assert_eq "$(cat "$sess/max_reconnect_attempts")" -1 "max_reconnect_attempts"
expect_write_err "Invalid argument" "$sess/reconnect_delay_ms" 0
expect_write_err "Invalid argument" "$sess/max_reconnect_attempts" -2
for f in "$CLT_CTL/map_device" "$d/unmap_device" "$d/resize" "$d/remap_device" \
	"$sess/add_path" "$sess/remove_path" "$SRV_CTL/export" "$SRV_CTL/unexport" \
	"$SRV_CTL/force_close"; do
	assert_contains "$(cat "$f")" "Usage: " "$f"
done
expect_write_err "Invalid argument" "$d/unmap_device" sometimes
expect_write_err "Invalid argument" "$sess/io_hold_timeout_ms" soon

dd if=/dev/urandom of="$_T/a" bs=1M count=2 status=none
dd if="$_T/a" of="/dev/$dev" bs=1M oflag=direct status=none
suma=$(sha256sum <"$_T/a" | cut -d' ' -f1)

note "force_close of one device"
expect_write_err "Invalid argument" "$SRV_CTL/force_close" "dev_id=1"
expect_write_err "Invalid argument" "$SRV_CTL/force_close" "sessname=fc dev_id=x"
expect_write_err "Invalid argument" "$SRV_CTL/force_close" "sessname=fc device_path=/dev/$srd"
expect_write_err "No such file or directory" "$SRV_CTL/force_close" "sessname=nope"
expect_write_err "No such file or directory" "$SRV_CTL/force_close" "sessname=fc dev_id=99"
assert_contains "$(cat "$SRV_CTL/devices")" "fc 1 rw" "server devices"
sysfs_write "$SRV_CTL/force_close" "sessname=fc dev_id=1" || fail "force_close dev_id=1: $WERR"
assert_eq "$(cat "$SRV_CTL/devices")" "" "server devices after force_close"
# The next heartbeat response tells the client (SRN_DEV_EV_CLOSED).
wait_for '[ "$(rnbd_sysfs "$dev" state)" == closed ]' 15
assert_eq "$(cat "$CLT_CTL/devices")" "$dev fc /dev/$srd rw closed" "client ctl/devices after force_close"
grep -q "$dev: closed by the server" <(dmesg) || fail "no 'closed by the server' message"
if dd if="/dev/$dev" of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null; then
	fail "read from a force-closed device succeeded"
fi

note "a reconnect leaves a closed device closed"
sysfs_write "$SRV_CTL/force_close" "sessname=fc" || fail "force_close sessname=fc: $WERR"
wait_for 'grep -q " reconnects=1" "$sess/paths"' 30
wait_for '[ "$(cat "$sess/state")" == connected ]' 30
sleep 2
assert_eq "$(rnbd_sysfs "$dev" state)" closed "state after the reconnect"
assert_eq "$(cat "$SRV_CTL/devices")" "" "server devices after the reconnect"
sysfs_write "$d/remap_device" 1 || fail "remap_device after force_close: $WERR"
assert_eq "$(rnbd_sysfs "$dev" state)" open "state after remap_device"
# The session is new on the server since the reconnect: ids start at 1.
assert_contains "$(cat "$SRV_CTL/devices")" "fc 1 rw" "server devices after remap"
assert_eq "$(sha_range "/dev/$dev" 0 $((2 << 20)))" "$suma" "data after remap"

note "force_close of the session (reconnect_delay_ms 3000)"
echo 3000 >"$sess/reconnect_delay_ms"
start=$SECONDS
sysfs_write "$SRV_CTL/force_close" "sessname=fc" || fail "force_close sessname=fc: $WERR"
wait_for 'grep -q " reconnects=2" "$sess/paths"' 30
[ $((SECONDS - start)) -ge 2 ] || fail "reconnected after $((SECONDS - start)) s despite reconnect_delay_ms 3000"
wait_for '[ "$(rnbd_sysfs "$dev" state)" == open ]' 30
assert_eq "$(cat "$SRV_CTL/sessions")" "fc paths=1 devices=1" "server sessions after reconnect"
assert_eq "$(sha_range "/dev/$dev" 0 $((2 << 20)))" "$suma" "data after the session came back"

note "unmap force of an open device"
exec 7<"/dev/$dev"
expect_write_err "Device or resource busy" "$d/unmap_device" normal
rnbd_unmap "$dev" force
# The disk is dead with size 0: a read fails or finds the end.
if dd of="$_T/after" bs=4k count=1 iflag=direct status=none <&7 2>/dev/null; then
	[ ! -s "$_T/after" ] || fail "read through a descriptor of a force-unmapped device returned data"
fi
exec 7<&-
wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20
[ -z "$(ls "$CLT_CTL/sessions")" ] || fail "client session left: $(ls "$CLT_CTL/sessions")"

note "max_reconnect_attempts: a path gives up, and starts again when told"
dev=$(rnbd_map "sessname=fc2 path=ip:$a device_path=/dev/$srd")
sess=$CLT_CTL/sessions/fc2
echo 200 >"$sess/reconnect_delay_ms"
echo 2 >"$sess/max_reconnect_attempts"
rmmod stor_rnbd_server
wait_for '[ "$(rnbd_sysfs "$dev" state)" == disconnected ]' 30
wait_for 'kmsg_has "stor_rnbd_client: session fc2: giving up on"' 30
project_modprobe stor_rnbd_server
rnbd_export "device_path=/dev/$srd"
sleep 2
assert_eq "$(rnbd_sysfs "$dev" state)" disconnected "state of a path that gave up, with the server back"
echo -1 >"$sess/max_reconnect_attempts"
wait_for '[ "$(rnbd_sysfs "$dev" state)" == open ]' 30
assert_eq "$(sha_range "/dev/$dev" 0 $((2 << 20)))" "$suma" "data after the restarted reconnect"

note "unmap force with I/O held for lack of a server"
rmmod stor_rnbd_server
wait_for '[ "$(rnbd_sysfs "$dev" state)" == disconnected ]' 30
(if dd if="/dev/$dev" of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null; then
	echo ok >"$_T/held_rc"
else
	echo failed >"$_T/held_rc"
fi) &
held=$!
sleep 2
kill -0 "$held" 2>/dev/null || fail "read without a server did not wait"
start=$SECONDS
rnbd_unmap "$dev" force
wait "$held" || true
[ $((SECONDS - start)) -lt 10 ] || fail "held read took $((SECONDS - start)) s to fail after unmap force"
assert_eq "$(<"$_T/held_rc")" failed "held read after unmap force"
[ -z "$(ls "$CLT_CTL/sessions")" ] || fail "client session left: $(ls "$CLT_CTL/sessions")"
pass
