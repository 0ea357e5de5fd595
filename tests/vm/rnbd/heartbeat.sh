#!/usr/bin/env bash
# rnbd heartbeats.  Server side: a client that stops sending heartbeats
# (its hb_interval_ms raised to a minute) has its path closed by the
# server after the server's hb_timeout_ms; the client reconnects.  Client
# side: a path that received nothing for hb_timeout_ms fails with
# "heartbeat timeout" (forced with a 1 ms timeout) and reconnects.  With
# sane settings again the path stays up, and the data is intact.  A
# request the server never answers (its drop_responses hook) while
# heartbeats go on: after the device's io_timeout (2 s here) the client
# fails the path ("request timed out"), reconnects, and the read completes
# with the right data.
# vm-args: --mem 1024
. "$(dirname "$0")/_lib.sh"

rnbd_net_setup 1
rnbd_load hb_timeout_ms=3000
P=/sys/module/stor_rnbd_client/parameters
srd=$(srd_create 16M)
rnbd_export "device_path=/dev/$srd"
dev=$(rnbd_map "sessname=hb path=ip:$(rnbd_addr 1) device_path=/dev/$srd")
sess=$CLT_CTL/sessions/hb
dd if=/dev/urandom of="$_T/a" bs=1M count=2 status=none
dd if="$_T/a" of="/dev/$dev" bs=1M oflag=direct status=none
suma=$(sha256sum <"$_T/a" | cut -d' ' -f1)
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$sess/paths"; }

note "idle for 8 s with heartbeats: the path stays"
sleep 8
assert_eq "$(field errors)" 0 "path errors with heartbeats on"

note "client stops sending heartbeats: the server closes the path"
echo 60000 >"$P/hb_interval_ms"
wait_for 'kmsg_has "stor_rnbd_server: session hb: no heartbeat from"' 30
wait_for '[ "$(field reconnects)" -ge 1 ]' 30
echo 1000 >"$P/hb_interval_ms"
# The path reconnected with the 60 s interval may still be closed once.
wait_for '[ "$(rnbd_sysfs "$dev" state)" == open ]' 30
sleep 5
errs=$(field errors)
sleep 8
assert_eq "$(field errors)" "$errs" "path errors once heartbeats are back"

note "client-side heartbeat timeout"
echo 1 >"$P/hb_timeout_ms"
wait_for 'kmsg_has "stor_rnbd_client: session hb: path .* failed: heartbeat timeout"' 30
echo 10000 >"$P/hb_timeout_ms"
wait_for '[ "$(rnbd_sysfs "$dev" state)" == open ]' 30
wait_for 'grep -q " connected " "$sess/paths"' 30
assert_eq "$(sha_range "/dev/$dev" 0 $((2 << 20)))" "$suma" "data"

note "a request the server never answers while heartbeats go on"
S=/sys/module/stor_rnbd_server/parameters
recs=$(field reconnects)
echo 2000 >"/sys/block/$dev/queue/io_timeout"
echo 1 >"$S/drop_responses"
t0=$SECONDS
# In the background: if the timeout never fired, the read would wait
# forever (in D state), and the test should say so rather than hang.
sha_range "/dev/$dev" 0 $((2 << 20)) >"$_T/sum" &
rp=$!
wait_for '! kill -0 "$rp" 2>/dev/null' 20
wait "$rp"
assert_eq "$(<"$_T/sum")" "$suma" "data read while a response is dropped"
note "read completed after $((SECONDS - t0)) s"
assert_eq "$(cat "$S/drop_responses")" 0 "drop_responses tokens left"
kmsg_has "stor_rnbd_server: session hb: response to chunk [0-9]* dropped" ||
	fail "the server dropped no response"
kmsg_has "stor_rnbd_client: session hb: path .* failed: request timed out" ||
	fail "the client did not fail the path on the request timeout"
wait_for 'grep -q " connected " "$sess/paths"' 30
assert_ge "$(field reconnects)" $((recs + 1)) "reconnects after the request timeout"
echo 30000 >"/sys/block/$dev/queue/io_timeout"
rnbd_unmap "$dev"
pass
