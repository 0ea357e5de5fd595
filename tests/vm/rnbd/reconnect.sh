#!/usr/bin/env bash
# rnbd reconnect after a server module reload, idle and during I/O.
# Idle: unloading the server disconnects the device (state), I/O issued
# meanwhile is held; after the reload (and the export, which comes a
# little later) the client reconnects on its own, reopens the device and
# the held read completes with the data written before.  During I/O: a
# rate-limited fio write+crc32c-verify job runs across a reload and
# finishes without an error; the data written before it still verifies.
# A server that stays away makes held I/O fail after io_hold_timeout_ms.
# vm-args: --mem 1536
. "$(dirname "$0")/_lib.sh"

need_cmd fio
rnbd_net_setup 1
rnbd_load
srd=$(srd_create 64M)
export_srd() { rnbd_export "device_path=/dev/$srd"; }
export_srd
a=$(rnbd_addr 1)
dev=$(rnbd_map "sessname=rc path=ip:$a device_path=/dev/$srd")
sess=$CLT_CTL/sessions/rc
dd if=/dev/urandom of="$_T/a" bs=1M count=4 status=none
dd if="$_T/a" of="/dev/$dev" bs=1M oflag=direct status=none
suma=$(sha256sum <"$_T/a" | cut -d' ' -f1)

note "idle: unload the server"
rmmod stor_rnbd_server
wait_for '[ "$(rnbd_sysfs "$dev" state)" == disconnected ]' 30
assert_eq "$(cat "$sess/state")" disconnected "session state"
# A read issued now is held, not failed.
(sha_range "/dev/$dev" 0 $((4 << 20)) >"$_T/held") &
held=$!
sleep 3
kill -0 "$held" 2>/dev/null || fail "read without a server did not wait"
project_modprobe stor_rnbd_server
sleep 2 # the client may connect before the export exists: it retries
export_srd
wait_for '[ "$(rnbd_sysfs "$dev" state)" == open ]' 30
wait "$held" || fail "held read failed"
assert_eq "$(<"$_T/held")" "$suma" "data after the reload"
assert_contains "$(cat "$sess/paths")" "reconnects=1" "paths"

note "during I/O: reload under a fio verify job"
fio --name=rl --filename="/dev/$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--bsrange=4k-128k --iodepth=8 --offset=16M --size=40M --rate=6m \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --eta=never --output="$_T/fio.out" &
fio=$!
sleep 2
kill -0 "$fio" 2>/dev/null || fail "fio finished before the reload"
rmmod stor_rnbd_server
sleep 2
project_modprobe stor_rnbd_server
export_srd
wait "$fio" || { cat "$_T/fio.out" >&2; fail "fio failed across the reload"; }
grep -q "err= 0" "$_T/fio.out" || { cat "$_T/fio.out" >&2; fail "fio reported errors"; }
assert_contains "$(cat "$sess/paths")" "reconnects=2" "paths"
assert_eq "$(sha_range "/dev/$dev" 0 $((4 << 20)))" "$suma" "first data after two reloads"
assert_eq "$(sha_range "/dev/$srd" 0 $((4 << 20)))" "$suma" "first data on the server"

note "no server for longer than io_hold_timeout_ms: I/O fails"
echo 3000 >"$sess/io_hold_timeout_ms"
rmmod stor_rnbd_server
wait_for '[ "$(rnbd_sysfs "$dev" state)" == disconnected ]' 30
start=$SECONDS
if dd if="/dev/$dev" of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null; then
	fail "read succeeded without a server"
fi
[ $((SECONDS - start)) -ge 2 ] || fail "read failed after $((SECONDS - start)) s, before the hold timeout"
project_modprobe stor_rnbd_server
export_srd
wait_for '[ "$(rnbd_sysfs "$dev" state)" == open ]' 30
assert_eq "$(sha_range "/dev/$dev" 0 $((4 << 20)))" "$suma" "data after the outage"
rnbd_unmap "$dev"
pass
