# shellcheck shell=bash
# tests/vm/rnbd/_net.sh - soft-RoCE (rdma_rxe) test network for the rnbd
# tests, sourced by _lib.sh.
#
# Soft-RoCE on lo does not work for kernel RDMA CM.  What does, on both
# kernels: a veth pair with one end moved to another network namespace and
# an rxe device on the end that stays.  Server and client run in the same
# VM and both use that end's address; rxe loops the traffic back.
#
#   rnbd_net_setup [N]   N paths (1 or 2): path 1 is rxv0 = 10.77.0.1 with
#                        rxe0, path 2 is rxv2 = 10.78.0.1 with rxe1
#   rnbd_addr N          address of path N
#   rnbd_rxe_del N / rnbd_rxe_add N
#                        remove / re-add the rxe device of path N
#   rnbd_link_down N / rnbd_link_up N
#                        carrier of path N off / on (the rxe port follows).
#                        Not used by the tests: after a carrier down and up
#                        no new RDMA CM connection gets through this rxe
#                        setup, for nvme-rdma no more than for stor-rnbd
#                        (docs/rnbd.md, "What is missing"); the tests take
#                        a path down by removing its rxe device instead.

RNBD_NETNS=srnbd-peer

rnbd_addr() {
	echo "10.$((76 + $1)).0.1"
}

rnbd_net_setup() {
	local n=${1:-1} i a b
	modprobe rdma_rxe || fail "modprobe rdma_rxe failed"
	ip netns add "$RNBD_NETNS" || fail "ip netns add failed"
	for ((i = 1; i <= n; i++)); do
		a=rxv$((2 * i - 2)) b=rxv$((2 * i - 1))
		ip link add "$a" type veth peer name "$b" || fail "ip link add $a failed"
		ip link set "$b" netns "$RNBD_NETNS"
		ip addr add "$(rnbd_addr "$i")/24" dev "$a"
		ip link set "$a" up
		ip -n "$RNBD_NETNS" link set "$b" up
		ip -n "$RNBD_NETNS" addr add "10.$((76 + i)).0.2/24" dev "$b"
		rdma link add "rxe$((i - 1))" type rxe netdev "$a" ||
			fail "rdma link add rxe$((i - 1)) failed"
	done
	# Wait for the rxe ports to be ACTIVE (they follow the veth carrier).
	for ((i = 1; i <= n; i++)); do
		rnbd_wait_port "$i" ACTIVE
	done
}

rnbd_wait_port() {
	local i=$1 want=$2 t
	for ((t = 0; t < 100; t++)); do
		if rdma link show "rxe$((i - 1))/1" 2>/dev/null | grep -q "state $want"; then
			return 0
		fi
		sleep 0.1
	done
	fail "rxe$((i - 1)) is not $want: $(rdma link show 2>&1)"
}

rnbd_link_down() {
	ip link set "rxv$((2 * $1 - 2))" down
}

rnbd_link_up() {
	ip link set "rxv$((2 * $1 - 2))" up
	rnbd_wait_port "$1" ACTIVE
}

# The RDMA device of path N goes away (as a hot-unplugged HCA would) and
# comes back.
rnbd_rxe_del() {
	rdma link delete "rxe$(($1 - 1))" || fail "rdma link delete rxe$(($1 - 1)) failed"
}

rnbd_rxe_add() {
	rdma link add "rxe$(($1 - 1))" type rxe netdev "rxv$((2 * $1 - 2))" ||
		fail "rdma link add rxe$(($1 - 1)) failed"
	rnbd_wait_port "$1" ACTIVE
}
