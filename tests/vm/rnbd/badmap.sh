#!/usr/bin/env bash
# rnbd bad map strings: missing fields, seven paths, unknown or repeated
# keys, overlong names, malformed addresses and values (nr_poll_queues
# above the CPUs or 15) are EINVAL; a well-formed map to a port nobody
# listens on fails to connect.  After each, nothing exists: no srnbd
# device, no client session, no server session, no leaked RDMA resources.
# The device that was mapped before all this keeps working.
. "$(dirname "$0")/_lib.sh"

rnbd_net_setup 1
rnbd_load
srd=$(srd_create 16M)
rnbd_export "device_path=/dev/$srd"
a=$(rnbd_addr 1)
good="path=ip:$a device_path=/dev/$srd"

# A mapping that must survive everything below.
keep=$(rnbd_map "sessname=keep $good")
# shellcheck disable=SC2034 # used in wait_for below
res_before=$(rdma resource show | tr -s ' ')

long63=$(printf 'a%.0s' {1..63})
long64=$(printf 'a%.0s' {1..64})
path255=/$(printf 'p%.0s' {1..254})
path256=/$(printf 'p%.0s' {1..255})
seven=""
for i in 1 2 3 4 5 6 7; do seven+=" path=ip:$a"; done

bad=(
	"$good"
	"sessname=x device_path=/dev/$srd"
	"sessname=x path=ip:$a"
	"sessname=x$seven device_path=/dev/$srd"
	"sessname=x $good foo=bar"
	"sessname=x $good sessname=y"
	"sessname=x $good device_path=/dev/$srd"
	"sessname=x $good access_mode=rw access_mode=ro"
	"sessname=x $good dest_port=1 dest_port=2"
	"sessname=$long64 $good"
	"sessname=x path=ip:$a device_path=$path256"
	"sessname= $good"
	"sessname=x path= device_path=/dev/$srd"
	"sessname=x path=ip: device_path=/dev/$srd"
	"sessname=x device_path=/dev/$srd path=$a"
	"sessname=x device_path=/dev/$srd path=gid:fe80::1"
	"sessname=x device_path=/dev/$srd path=ip:10.77.0.300"
	"sessname=x device_path=/dev/$srd path=ip:$a@10.77.0.1"
	"sessname=x device_path=/dev/$srd path=ip:$a@ip:nonsense"
	"sessname=x $good access_mode=rwx"
	"sessname=x $good dest_port=0"
	"sessname=x $good dest_port=70000"
	"sessname=x $good dest_port=12ab"
	"sessname=x $good nr_poll_queues=-1"
	"sessname=x $good nr_poll_queues=100000"
	"sessname=x $good nr_poll_queues=16"
	"sessname=a/b $good"
	"sessname=.. $good"
	"sessname=.x $good"
	"sessname=x $good justaword"
	"sessname=x $good =value"
	"sessname=x path=ip:$a device_path="
	""
)
for m in "${bad[@]}"; do
	expect_write_err "Invalid argument" "$CLT_CTL/map_device" "$m"
done
note "${#bad[@]} malformed map strings refused"

# Well-formed but unreachable: nobody listens on port 4999.
expect_write_err "Connection refused" "$CLT_CTL/map_device" "sessname=x $good dest_port=4999"

# Limits themselves are fine.
d=$(rnbd_map "sessname=$long63 path=ip:$a device_path=/dev/$srd access_mode=ro nr_poll_queues=0")
rnbd_unmap "$d"
expect_write_err "Permission denied" "$CLT_CTL/map_device" "sessname=y path=ip:$a device_path=$path255"

assert_eq "$(srnbd_names)" "$keep" "srnbd devices"
assert_eq "$(ls "$CLT_CTL/sessions")" keep "client sessions"
wait_for '[ "$(cat "$SRV_CTL/sessions")" == "keep paths=1 devices=1" ]' 20
wait_for '[ "$(rdma resource show | tr -s " ")" == "$res_before" ]' 20
dd if=/dev/zero of="/dev/$keep" bs=64k count=4 oflag=direct status=none || fail "I/O on $keep"
rnbd_unmap "$keep"
pass
