#!/usr/bin/env bash
# rnbd with two paths (two veth pairs, two rxe devices): both connect and
# round-robin uses both; a fio write+verify job runs while first path 2,
# then path 1 loses its RDMA device and gets it back: requests in flight
# on the lost path fail over, nothing is lost, the device never leaves
# "open", and each path reconnects.  The same with the min-inflight
# policy.  A path removed and added back at run time.  Seven paths are
# refused (badmap.sh); six are fine.
# vm-args: --mem 1536
. "$(dirname "$0")/_lib.sh"

need_cmd fio
rnbd_net_setup 2
rnbd_load
srd=$(srd_create 64M)
rnbd_export "device_path=/dev/$srd"
a1=$(rnbd_addr 1) a2=$(rnbd_addr 2)
dev=$(rnbd_map "sessname=mp path=ip:$a1 path=ip:$a2 device_path=/dev/$srd")
sess=$CLT_CTL/sessions/mp
paths=$(cat "$sess/paths")
note "paths: $paths"
[ "$(grep -c ' connected ' <<<"$paths")" -eq 2 ] || fail "not both paths connected: $paths"
assert_eq "$(cat "$SRV_CTL/sessions")" "mp paths=2 devices=1" "server sessions"
assert_eq "$(cat "$sess/mp_policy")" round-robin "mp_policy"

dd if=/dev/urandom of="$_T/a" bs=1M count=4 status=none
dd if="$_T/a" of="/dev/$dev" bs=64k oflag=direct status=none
suma=$(sha256sum <"$_T/a" | cut -d' ' -f1)
reqs() { sed -n "s/^$1 .* requests=\([0-9]*\) .*/\1/p" "$sess/paths"; }
if [ "$(reqs 0)" -lt 10 ] || [ "$(reqs 1)" -lt 10 ]; then
	fail "round-robin did not use both paths: $(cat "$sess/paths")"
fi

# path N (1-based) loses its device during fio; the device stays open.
fail_path_under_io() {
	local p=$1 name=$2 fio state_log=$_T/states
	fio --name="$name" --filename="/dev/$dev" --direct=1 --ioengine=libaio \
		--rw=randwrite --bsrange=4k-128k --iodepth=16 --offset=16M --size=32M \
		--rate=6m --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--eta=never --output="$_T/fio.out" &
	fio=$!
	: >"$state_log"
	(while kill -0 "$fio" 2>/dev/null; do
		cat "/sys/block/$dev/stor-rnbd/state" >>"$state_log"
		sleep 0.2
	done) &
	sleep 2
	kill -0 "$fio" 2>/dev/null || fail "fio finished before path $p went away"
	rnbd_rxe_del "$p"
	wait_for "grep -q '^$((p - 1)) .* disconnected ' '$sess/paths'" 30
	sleep 1
	rnbd_rxe_add "$p"
	wait_for "grep -q '^$((p - 1)) .* connected ' '$sess/paths'" 30
	wait "$fio" || { cat "$_T/fio.out" >&2; fail "fio failed while path $p was lost"; }
	grep -q "err= 0" "$_T/fio.out" || { cat "$_T/fio.out" >&2; fail "fio reported errors"; }
	wait
	[ "$(sort -u "$state_log")" == open ] ||
		fail "device state left 'open' while one path remained: $(sort -u "$state_log" | tr '\n' ' ')"
	grep -q "^$((p - 1)) .* reconnects=[1-9]" "$sess/paths" ||
		fail "path $p did not count a reconnect: $(cat "$sess/paths")"
	note "path $p lost and back: $(tr '\n' ';' <"$sess/paths")"
}

fail_path_under_io 2 rr2
fail_path_under_io 1 rr1
echo min-inflight >"$sess/mp_policy"
assert_eq "$(cat "$sess/mp_policy")" min-inflight "mp_policy"
fail_path_under_io 2 mi2
expect_write_err "Invalid argument" "$sess/mp_policy" "fastest"

note "remove_path and add_path at run time"
fio --name=rm --filename="/dev/$dev" --direct=1 --ioengine=libaio --rw=randwrite \
	--bsrange=4k-64k --iodepth=8 --offset=16M --size=16M --rate=4m \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --eta=never --output="$_T/fio.out" &
fio=$!
sleep 1
sysfs_write "$sess/remove_path" 1 || fail "remove_path 1: $WERR"
[ "$(grep -c . "$sess/paths")" -eq 1 ] || fail "paths after remove_path: $(cat "$sess/paths")"
assert_contains "$(cat "$sess/paths")" "0 ip:$a1 connected" "paths"
expect_write_err "Device or resource busy" "$sess/remove_path" 0
expect_write_err "Invalid argument" "$sess/remove_path" 3
expect_write_err "Invalid argument" "$sess/add_path" "10.78.0.1"
sysfs_write "$sess/add_path" "ip:$a2" || fail "add_path: $WERR"
wait "$fio" || { cat "$_T/fio.out" >&2; fail "fio failed across remove/add_path"; }
grep -q "err= 0" "$_T/fio.out" || { cat "$_T/fio.out" >&2; fail "fio reported errors"; }
[ "$(grep -c ' connected ' "$sess/paths")" -eq 2 ] || fail "paths after add_path: $(cat "$sess/paths")"
wait_for '[ "$(cat "$SRV_CTL/sessions")" == "mp paths=2 devices=1" ]' 20
dd if="/dev/$dev" of=/dev/null bs=64k count=64 iflag=direct status=none
if [ "$(reqs 1)" -lt 10 ]; then
	fail "the added path carries no I/O: $(cat "$sess/paths")"
fi

assert_eq "$(sha_range "/dev/$dev" 0 $((4 << 20)))" "$suma" "first data"

assert_eq "$(cat "$SRV_CTL/sessions")" "mp paths=2 devices=1" "server sessions"
rnbd_unmap "$dev"

note "six paths"
six="path=ip:$a1 path=ip:$a2 path=ip:$a1 path=ip:$a2 path=ip:$a1 path=ip:$a2"
d6=$(rnbd_map "sessname=six $six device_path=/dev/$srd")
[ "$(grep -c ' connected ' "$CLT_CTL/sessions/six/paths")" -eq 6 ] ||
	fail "six paths: $(cat "$CLT_CTL/sessions/six/paths")"
dd if="/dev/$d6" of=/dev/null bs=64k count=64 iflag=direct status=none || fail "I/O on six paths"
rnbd_unmap "$d6"
pass
