#!/usr/bin/env bash
# Export a RAM disk and a cache (a stor-cache device-mapper table) over
# NVMe/TCP on 127.0.0.1:4420, connect with an allowed host NQN, verify data
# with fio through /dev/nvmeXnY (and read it back through the local
# device), disconnect, unexport: configfs is empty afterwards.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd dmsetup

d=$(srd_create 32M)
o=$(srd_create 32M)
k=$(srd_create 16M)

note "port"
json=$(sc --json nvmet port add --transport tcp --address 127.0.0.1)
assert_eq "$(jq -r '.id, .transport, .family, .address, .service, .created' <<<"$json" | tr '\n' ' ')" \
	"1 tcp ipv4 127.0.0.1 4420 true " "port add"
assert_eq "$(cat "$NVMET/ports/1/addr_traddr")" 127.0.0.1 "addr_traddr"
# The same address again: reused, not duplicated.
json=$(sc --json nvmet port add --address 127.0.0.1 --service 4420)
assert_eq "$(jq -r '.id, .created' <<<"$json" | tr '\n' ' ')" "1 false " "port add again"
assert_eq "$(ls "$NVMET/ports")" 1 "ports"

note "export /dev/$d"
json=$(sc --json nvmet export "/dev/$d" --host "$HOST_A" --port 1)
nqn=$(jq -r .nqn <<<"$json")
assert_eq "$nqn" "nqn.2014-08.org.storctl:$(hostname):$d" "default NQN"
assert_eq "$(jq -r '.created, .volume, .namespaces[0].nsid, .namespaces[0].enabled, .hosts[0], .ports[0], .allow_any_host' <<<"$json" | tr '\n' ' ')" \
	"true /dev/$d 1 true $HOST_A 1 false " "export"
uuid=$(jq -r '.namespaces[0].uuid' <<<"$json")
assert_eq "$(cat "$NVMET/subsystems/$nqn/namespaces/1/device_uuid")" "$uuid" "device_uuid"
serial=$(tr -d ' ' <"$NVMET/subsystems/$nqn/attr_serial")
[[ "$serial" == storctl-* ]] || fail "attr_serial '$serial' does not identify storctl"
assert_eq "$(cat "$NVMET/subsystems/$nqn/attr_model")" "storctl $d" "attr_model"
[ -L "$NVMET/ports/1/subsystems/$nqn" ] || fail "subsystem not linked to port 1"
[ -L "$NVMET/subsystems/$nqn/allowed_hosts/$HOST_A" ] || fail "host not allowed"
sc nvmet list | grep -q "^$nqn  */dev/$d  *1  *$HOST_A" || fail "list: $(sc nvmet list)"

note "connect"
nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_A"
ns=$(ns_dev "$nqn")
assert_eq "$(cat "/sys/block/$ns/size")" $((32 * 2048)) "size of /dev/$ns"
# Identify data the host sees: storctl's serial, model and namespace UUID.
assert_eq "$(cat "/sys/block/$ns/device/serial" 2>/dev/null || cat "/sys/block/$ns/device/../serial")" \
	"$serial" "serial seen by the host"
assert_eq "$(cat "/sys/block/$ns/uuid")" "$uuid" "namespace UUID seen by the host"
fio_verify "/dev/$ns" 16M
# What the host wrote is on the RAM disk.
assert_eq "$(sha_range "/dev/$ns" 0 $((16 << 20)))" "$(sha_range "/dev/$d" 0 $((16 << 20)))" \
	"data through NVMe/TCP vs the RAM disk"
nvme_disconnect "$nqn"

note "export a stor-cache device"
dmsetup create sc_nv --table "0 $((32 * 2048)) stor-cache /dev/$o /dev/$k 8 wt"
settle
json=$(sc --json nvmet export sc_nv --host "$HOST_A")
cnqn=$(jq -r .nqn <<<"$json")
assert_eq "$cnqn" "nqn.2014-08.org.storctl:$(hostname):sc_nv" "cache NQN"
assert_eq "$(jq -r '.volume, .ports[0]' <<<"$json" | tr '\n' ' ')" "/dev/mapper/sc_nv 1 " "cache export"
nvme_connect tcp 127.0.0.1 "$cnqn" "$HOST_A"
cns=$(ns_dev "$cnqn")
fio_verify "/dev/$cns" 16M
# Through the cache, and on its origin (write-through).
assert_eq "$(sha_range "/dev/$cns" 0 $((16 << 20)))" "$(sha_range "/dev/$o" 0 $((16 << 20)))" \
	"data through NVMe/TCP vs the cache origin"
reads=$(dmsetup status sc_nv | awk '{ print $4 + $5 }')
assert_ge "$reads" 1 "reads seen by the stor-cache target"
nvme_disconnect "$cnqn"

note "unexport"
assert_eq "$(sc --json nvmet list | jq length)" 2 "exports"
json=$(sc --json nvmet unexport "/dev/$d")
assert_eq "$(jq -r '.removed, .nqn, .host_entries_removed | tostring' <<<"$json" | tr '\n' ' ')" \
	"true $nqn [] " "unexport (host A is still used by the cache export)"
[ -d "$NVMET/hosts/$HOST_A" ] || fail "shared host entry removed too early"
json=$(sc --json nvmet unexport /dev/mapper/sc_nv)
assert_eq "$(jq -r '.host_entries_removed[0]' <<<"$json")" "$HOST_A" "last user removes the host entry"
expect_rc 3 "not exported" -- "$STORCTL" nvmet unexport "/dev/$d"
sc nvmet port remove 1
nvmet_assert_empty
assert_eq "$(sc --json nvmet list)" "[]" "list after unexport"
dmsetup remove sc_nv
sc ramdisk remove "$d"
pass
