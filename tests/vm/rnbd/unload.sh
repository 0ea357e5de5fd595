#!/usr/bin/env bash
# rnbd module unload with live sessions: the client module cannot go while
# one of its devices is open (and nothing breaks trying); it can go with
# devices mapped (they are unmapped, the server closes its side), also
# while a session has no server and is reconnecting; the server module can
# go with sessions attached.  Afterwards both load again and work.
# vm-args: --mem 1024
. "$(dirname "$0")/_lib.sh"

rnbd_net_setup 1
rnbd_load
s1=$(srd_create 16M)
s2=$(srd_create 16M)
rnbd_export "device_path=/dev/$s1"
rnbd_export "device_path=/dev/$s2"
a=$(rnbd_addr 1)
d1=$(rnbd_map "sessname=u1 path=ip:$a device_path=/dev/$s1")
d2=$(rnbd_map "sessname=u2 path=ip:$a device_path=/dev/$s2 access_mode=ro")
dd if=/dev/urandom of="/dev/$d1" bs=64k count=16 oflag=direct status=none

note "client with an open device: refused"
exec 7<"/dev/$d2"
expect_rc 1 "in use" -- rmmod stor_rnbd_client
assert_eq "$(rnbd_sysfs "$d2" state)" open "state of the open device"
exec 7<&-

note "client with two mapped devices"
rmmod stor_rnbd_client || fail "rmmod stor_rnbd_client failed"
[ -z "$(srnbd_names)" ] || fail "devices left after unload: $(srnbd_names)"
wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20
assert_eq "$(cat "$SRV_CTL/devices")" "" "server devices"

note "client reconnecting to a server that is gone"
project_modprobe stor_rnbd_client
d1=$(rnbd_map "sessname=u1 path=ip:$a device_path=/dev/$s1")
rmmod stor_rnbd_server
wait_for '[ "$(rnbd_sysfs "$d1" state)" == disconnected ]' 30
sleep 2 # a reconnect attempt or two
rmmod stor_rnbd_client || fail "rmmod stor_rnbd_client while reconnecting failed"
[ -z "$(srnbd_names)" ] || fail "devices left: $(srnbd_names)"

note "server with a session attached, then both again"
rnbd_load
rnbd_export "device_path=/dev/$s1"
d1=$(rnbd_map "sessname=u1 path=ip:$a device_path=/dev/$s1")
rmmod stor_rnbd_server || fail "rmmod stor_rnbd_server with a session failed"
wait_for '[ "$(rnbd_sysfs "$d1" state)" == disconnected ]' 30
project_modprobe stor_rnbd_server
rnbd_export "device_path=/dev/$s1"
wait_for '[ "$(rnbd_sysfs "$d1" state)" == open ]' 30
dd if="/dev/$d1" of=/dev/null bs=64k count=16 iflag=direct status=none || fail "I/O after reload"
rnbd_unmap "$d1"
pass
