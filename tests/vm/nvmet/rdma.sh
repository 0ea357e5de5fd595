#!/usr/bin/env bash
# NVMe/RDMA over soft-RoCE: a veth pair whose peer lives in a network
# namespace the test creates, 10.77.0.1/24 on the init-namespace end, an
# rxe device on that end.  The port is given by interface name (its
# address is resolved through libnl-3), the host connects with
# `nvme connect -t rdma` and fio verifies the data.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd ip rdma

NS=storctl-nvr
END=nvr0
modprobe rdma_rxe || fail "no rdma_rxe module"
modprobe veth || true

ip netns add $NS
on_exit "ip netns delete $NS"
ip link add $END type veth peer name nvr1
on_exit "ip link delete $END"
ip link set nvr1 netns $NS
ip addr add 10.77.0.1/24 dev $END
ip link set $END up
ip -n $NS addr add 10.77.0.2/24 dev nvr1
ip -n $NS link set nvr1 up
ip -n $NS link set lo up
rdma link add rxe0 type rxe netdev $END
on_exit "rdma link delete rxe0"
for ((i = 0; i < 50; i++)); do
	rdma link show rxe0/1 | grep -q "state ACTIVE" && break
	sleep 0.1
done
rdma link show rxe0/1 | grep -q "state ACTIVE" || fail "rxe0 not active: $(rdma link show)"

d=$(srd_create 16M)
json=$(sc --json nvmet port add --transport rdma --interface $END)
assert_eq "$(jq -r '.transport, .family, .address, .service' <<<"$json" | tr '\n' ' ')" \
	"rdma ipv4 10.77.0.1 4420 " "rdma port from --interface"
id=$(jq -r .id <<<"$json")
[ -d /sys/module/nvmet_rdma ] || fail "nvmet-rdma was not loaded"
nqn=$(sc --json nvmet export "/dev/$d" --host "$HOST_A" --port "$id" | jq -r .nqn)

note "connect over rdma"
nvme_connect rdma 10.77.0.1 "$nqn" "$HOST_A"
ns=$(ns_dev "$nqn")
grep -qx rdma /sys/class/nvme/nvme*/transport || fail "no rdma controller"
fio_verify "/dev/$ns" 8M
assert_eq "$(sha_range "/dev/$ns" 0 $((8 << 20)))" "$(sha_range "/dev/$d" 0 $((8 << 20)))" \
	"data through NVMe/RDMA vs the RAM disk"
nvme_disconnect "$nqn"

sc nvmet unexport "/dev/$d" >/dev/null
sc nvmet port remove "$id" >/dev/null
nvmet_assert_empty
pass
