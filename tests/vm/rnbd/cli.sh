#!/usr/bin/env bash
# rnbd cli: `storctl rdma link add` makes the soft-RoCE device on the veth
# end (no `rdma` tool involved) and `storctl rdma link list` shows it;
# `storctl rnbd export/map` over it, fio verify through the mapped device,
# `list --json` and `sessions --json` contents; bad input (module missing,
# unexported device, '..', bad names, addresses and modes, duplicate
# export, 16 poll queues) gives the right exit code and changes nothing;
# --poll-queues 1 reaches the session (nr_poll_queues, io_poll) and another
# number for that session is refused; unmap of an open device is refused
# without --force and works with it; unmap, unexport, link delete.
# vm-args: --mem 1536
. "$(dirname "$0")/_lib.sh"

need_cmd fio jq
S=$STORCTL

# The veth pair of _net.sh, but the RDMA device is made by storctl.
modprobe rdma_rxe || fail "modprobe rdma_rxe failed"
ip netns add "$RNBD_NETNS" || fail "ip netns add failed"
ip link add rxv0 type veth peer name rxv1 || fail "ip link add failed"
ip link set rxv1 netns "$RNBD_NETNS"
addr=$(rnbd_addr 1)
ip addr add "$addr/24" dev rxv0
ip link set rxv0 up
ip -n "$RNBD_NETNS" link set rxv1 up
ip -n "$RNBD_NETNS" addr add 10.77.0.2/24 dev rxv1

note "rdma link: bad input"
expect_rc 3 "no network interface" -- "$S" rdma link add --netdev nosuch0
expect_rc 2 "invalid RDMA link name" -- "$S" rdma link add --netdev rxv0 --name 'a%d'
expect_rc 2 "invalid network interface" -- "$S" rdma link add --netdev 'a/b'
expect_rc 2 -- "$S" rdma link add --name rxe0
assert_eq "$("$S" --json rdma link list | jq -c '[.[] | select(.netdev == "rxv0")]')" "[]" "no link yet"

note "rdma link add"
out=$("$S" --json rdma link add --netdev rxv0 --name rxe0) || fail "rdma link add failed"
assert_eq "$(jq -r '.name + " " + .netdev + " " + (.port|tostring)' <<<"$out")" "rxe0 rxv0 1" "link add output"
[ -d /sys/class/infiniband/rxe0 ] || fail "rxe0 not in /sys/class/infiniband"
assert_contains "$(rdma link show rxe0/1)" "netdev rxv0" "rdma link show"
wait_for '[ "$("$S" --json rdma link list | jq -r ".[] | select(.name == \"rxe0\") | .state")" = ACTIVE ]' 10
list=$("$S" --json rdma link list)
assert_eq "$(jq -c '[.[] | select(.name == "rxe0") | {name, port, netdev, state, physical_state}]' <<<"$list")" \
	'[{"name":"rxe0","port":1,"netdev":"rxv0","state":"ACTIVE","physical_state":"LINK_UP"}]' "link list"
assert_contains "$("$S" rdma link list)" "rxe0" "link list text"
expect_rc 5 "already" -- "$S" rdma link add --netdev rxv0 --name rxe9
expect_rc 5 "already exists" -- "$S" rdma link add --netdev rxv0 --name rxe0

note "rnbd without the modules"
expect_rc 7 "neither stor_rnbd_server nor stor_rnbd_client" -- "$S" rnbd list
expect_rc 7 "stor_rnbd_server is not loaded" -- "$S" rnbd export /dev/null

rnbd_load
srd=$(srd_create 64M)
other=$(srd_create 16M)

note "export: bad input changes nothing"
expect_rc 2 "'..' component" -- "$S" rnbd export "/dev/../dev/$srd"
expect_rc 2 "session name" -- "$S" rnbd export "/dev/$srd" --session ..
expect_rc 2 "session name" -- "$S" rnbd export "/dev/$srd" --session a/b
expect_rc 3 -- "$S" rnbd export /dev/nosuchdisk
assert_eq "$(cat "$SRV_CTL/exports")" "" "exports after bad input"

out=$("$S" --json rnbd export "$srd") || fail "rnbd export failed"
assert_eq "$(jq -cS . <<<"$out")" \
	"{\"device_path\":\"/dev/$srd\",\"id\":\"$srd\",\"read_only\":false,\"session\":null}" "export output"
assert_eq "$(cat "$SRV_CTL/exports")" "/dev/$srd sessname=* access_mode=rw" "server exports"
expect_rc 5 "already exists" -- "$S" rnbd export "/dev/$srd"

note "map: bad input changes nothing"
expect_rc 2 "session name" -- "$S" rnbd map --session .. --path "ip:$addr" --device "/dev/$srd"
expect_rc 2 "session name" -- "$S" rnbd map --session a/b --path "ip:$addr" --device "/dev/$srd"
expect_rc 2 "'..' component" -- "$S" rnbd map --session cli --path "ip:$addr" --device "/dev/../dev/$srd"
expect_rc 2 "'..' component" -- "$S" rnbd map --session cli --path "ip:$addr" --device ../etc/passwd
expect_rc 2 "empty path" -- "$S" rnbd map --session cli --path "" --device "/dev/$srd"
expect_rc 2 "not an IPv4 or IPv6" -- "$S" rnbd map --session cli --path ip:10.77.0.999 --device "/dev/$srd"
expect_rc 2 "expected ip:ADDR" -- "$S" rnbd map --session cli --path "$addr" --device "/dev/$srd"
expect_rc 2 "access mode" -- "$S" rnbd map --session cli --path "ip:$addr" --device "/dev/$srd" --access wo
expect_rc 2 -- "$S" rnbd map --session cli --device "/dev/$srd"
expect_rc 2 "poll queues" -- "$S" rnbd map --session cli --path "ip:$addr" --device "/dev/$srd" --poll-queues 16
# Not exported: the server refuses the open (EACCES), storctl says not found.
expect_rc 3 "does not export" -- "$S" rnbd map --session cli --path "ip:$addr" --device "/dev/$other"
settle
assert_eq "$(srnbd_names)" "" "srnbd devices after refused maps"
assert_eq "$(cat "$CLT_CTL/devices")" "" "client devices after refused maps"
assert_eq "$(ls "$CLT_CTL/sessions")" "" "client sessions after refused maps"

note "map"
out=$("$S" --json rnbd map --session cli --path "ip:$addr" --device "/dev/$srd") || fail "rnbd map failed"
dev=$(jq -r .name <<<"$out")
[[ "$dev" == srnbd[0-9]* ]] || fail "map printed name '$dev'"
settle
[ -b "/dev/$dev" ] || fail "/dev/$dev is not a block device"
assert_eq "$(jq -cS . <<<"$out")" \
	"{\"access\":\"rw\",\"device_path\":\"/dev/$srd\",\"name\":\"$dev\",\"path\":\"/dev/$dev\",\"session\":\"cli\",\"state\":\"open\"}" \
	"map output"
expect_rc 5 "already exists" -- "$S" rnbd map --session cli --path "ip:$addr" --device "/dev/$srd"

list=$("$S" --json rnbd list) || fail "rnbd list failed"
assert_eq "$(jq -cS . <<<"$list")" \
	"{\"exports\":[{\"device_path\":\"/dev/$srd\",\"id\":\"$srd\",\"read_only\":false,\"session\":null}],\"mappings\":[{\"access\":\"rw\",\"device_path\":\"/dev/$srd\",\"name\":\"$dev\",\"path\":\"/dev/$dev\",\"session\":\"cli\",\"state\":\"open\"}]}" \
	"list --json"
text=$("$S" rnbd list)
assert_contains "$text" "/dev/$dev" "list text"
assert_contains "$text" "cli" "list text"

sess=$("$S" --json rnbd sessions) || fail "rnbd sessions failed"
assert_eq "$(jq -c '[.server[] | {name, path_count, device_count, closing, st: [.paths[].state]}]' <<<"$sess")" \
	'[{"name":"cli","path_count":1,"device_count":1,"closing":false,"st":["connected"]}]' "server sessions"
assert_eq "$(jq -c '[.client[] | {name, state, devices, p: [.paths[] | .address + " " + .state]}]' <<<"$sess")" \
	"[{\"name\":\"cli\",\"state\":\"connected\",\"devices\":[\"$dev\"],\"p\":[\"ip:$addr connected\"]}]" \
	"client sessions"

note "fio verify through /dev/$dev"
fio_run --name=verify --filename="/dev/$dev" --direct=1 --ioengine=libaio \
	--rw=randwrite --bsrange=4k-128k --iodepth=16 --size=32M \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=0
dd if=/dev/urandom of="$_T/pat" bs=1M count=2 status=none
dd if="$_T/pat" of="/dev/$dev" bs=1M seek=40 oflag=direct status=none
assert_eq "$(sha_range "/dev/$srd" $((40 << 20)) $((2 << 20)))" \
	"$(sha256sum <"$_T/pat" | cut -d' ' -f1)" "data on the server's disk"

note "unmap: bad input, busy, force"
expect_rc 2 "invalid device" -- "$S" rnbd unmap ../srnbd0
expect_rc 2 "invalid device" -- "$S" rnbd unmap sda
expect_rc 3 "no RNBD device" -- "$S" rnbd unmap srnbd99
exec 3<"/dev/$dev"
expect_rc 4 "in use" -- "$S" rnbd unmap "$dev"
[ -e "/sys/block/$dev" ] || fail "$dev gone after a refused unmap"
exec 3<&-
out=$("$S" --json rnbd unmap "$dev") || fail "rnbd unmap failed"
assert_eq "$(jq -cS . <<<"$out")" "{\"force\":false,\"unmapped\":\"$dev\"}" "unmap output"
[ ! -e "/sys/block/$dev" ] || fail "$dev still exists after unmap"

# Again, read-only, in a session with a poll queue; held open, with --force.
dev=$("$S" --json rnbd map --session cli --path "ip:$addr" --device "$srd" --access ro --poll-queues 1 |
	jq -r .name)
settle
assert_eq "$(rnbd_sysfs "$dev" access_mode)" ro "access of the second mapping"
assert_eq "$(cat "$CLT_CTL/sessions/cli/nr_poll_queues")" 1 "nr_poll_queues of the session"
assert_eq "$(cat "/sys/block/$dev/queue/io_poll")" 1 "io_poll of $dev"
# The session's number of poll queues is fixed: another one is EINVAL.
expect_rc 2 -- "$S" rnbd map --session cli --path "ip:$addr" --device "$srd" --access ro --poll-queues 0
exec 3<"/dev/$dev"
expect_rc 4 -- "$S" rnbd unmap "/dev/$dev"
sc rnbd unmap --force "/dev/$dev"
exec 3<&-
[ ! -e "/sys/block/$dev" ] || fail "$dev still exists after unmap --force"
assert_eq "$("$S" --json rnbd list | jq -c .mappings)" "[]" "mappings at the end"
wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20

note "unexport"
expect_rc 3 "not exported" -- "$S" rnbd unexport "/dev/$other"
expect_rc 2 "'..' component" -- "$S" rnbd unexport "/dev/../dev/$srd"
sc rnbd unexport "$srd"
assert_eq "$(cat "$SRV_CTL/exports")" "" "exports after unexport"
expect_rc 3 -- "$S" rnbd unexport "$srd"

note "rdma link delete"
expect_rc 3 "no RDMA link" -- "$S" rdma link delete rxe7
expect_rc 2 -- "$S" rdma link delete ../rxe0
sc rdma link delete rxe0
[ ! -e /sys/class/infiniband/rxe0 ] || fail "rxe0 still exists"
assert_eq "$("$S" --json rdma link list | jq -c '[.[] | select(.name == "rxe0")]')" "[]" "link list after delete"
pass
