# shellcheck shell=bash
# tests/vm/nvmet/_lib.sh - helpers of the NVMe-oF export VM tests, sourced
# after ../lib.sh (the leading "_" keeps it from being registered as a test):
#
#   NVMET                 the nvmet configfs root
#   HOST_A, HOST_B        host NQNs the tests connect with
#   nvmet_snapshot        every path (and link target) under $NVMET, sorted,
#                         for before/after comparisons
#   nvmet_assert_empty    no port, subsystem or host entry is left
#   nvme_connect TRANSPORT ADDR NQN HOSTNQN [SERVICE]
#                         nvme connect; fails the test on error
#   nvme_try_connect ...  same, returns nvme's exit status instead
#   ns_dev NQN            wait for the connected namespace of NQN, print
#                         its block device name (nvme0n1)
#   nvme_disconnect NQN   disconnect every controller of NQN
#   fio_verify DEV [SIZE] write + crc32c verify through DEV
#
# Cleanup: nvmet_teardown runs from the EXIT trap (before lib.sh removes
# the srd disks nvmet would keep open): disconnect every fabrics
# controller, then remove every nvmet object in the kernel's order.

NVMET=/sys/kernel/config/nvmet
# shellcheck disable=SC2034  # used by the tests sourcing this file
HOST_A=nqn.2014-08.org.storctl:test:host-a
# shellcheck disable=SC2034
HOST_B=nqn.2014-08.org.storctl:test:host-b

need_cmd nvme fio

nvmet_snapshot() {
	[ -d "$NVMET" ] || return 0
	find "$NVMET" -printf '%p %l\n' | sort
}

nvmet_assert_empty() {
	local d left=""
	for d in ports subsystems hosts; do
		[ -d "$NVMET/$d" ] || continue
		left+=$(ls -A "$NVMET/$d")
	done
	[ -z "$left" ] || fail "nvmet configfs not empty: $(nvmet_snapshot | head -20)"
}

nvmet_teardown() {
	local l d
	nvme disconnect-all >/dev/null 2>&1
	[ -d "$NVMET" ] || return 0
	for l in "$NVMET"/ports/*/subsystems/*; do
		[ -L "$l" ] && rm -f "$l"
	done
	for d in "$NVMET"/subsystems/*/namespaces/*; do
		[ -d "$d" ] || continue
		echo 0 >"$d/enable"
		rmdir "$d"
	done
	for l in "$NVMET"/subsystems/*/allowed_hosts/*; do
		[ -L "$l" ] && rm -f "$l"
	done
	for d in "$NVMET"/subsystems/* "$NVMET"/hosts/* "$NVMET"/ports/*; do
		[ -d "$d" ] && rmdir "$d"
	done
	return 0
}
on_exit nvmet_teardown

# The host side of NVMe/TCP and NVMe/RDMA.
modprobe nvme-fabrics 2>/dev/null || true

nvme_try_connect() {
	local transport=$1 addr=$2 nqn=$3 host=$4 service=${5:-4420}
	local args=(-t "$transport" -n "$nqn" --hostnqn "$host")
	# Short timeouts (a lost connection must fail fast); nvme-loop
	# takes neither an address nor these options.
	[ "$transport" = loop ] ||
		args+=(-a "$addr" -s "$service" --ctrl-loss-tmo=1 --reconnect-delay=1)
	modprobe "nvme-$transport" 2>/dev/null || true
	nvme connect "${args[@]}" >"$_T/connect.out" 2>&1
}

nvme_connect() {
	nvme_try_connect "$@" || fail "nvme connect $*: $(cat "$_T/connect.out")"
}

# The block device of the (single) namespace a host sees for NQN.
ns_dev() {
	local nqn=$1 i b
	for ((i = 0; i < 100; i++)); do
		for b in /sys/block/nvme*n*; do
			[ -e "$b" ] || continue
			[[ "${b##*/}" == nvme*c*n* ]] && continue  # multipath path devices
			if [ "$(cat "$b/device/subsysnqn" 2>/dev/null)" = "$nqn" ] ||
				[ "$(cat "$b/device/../subsysnqn" 2>/dev/null)" = "$nqn" ]; then
				settle
				echo "${b##*/}"
				return 0
			fi
		done
		sleep 0.2
	done
	fail "no namespace of $nqn appeared: $(ls /sys/block)"
}

nvme_disconnect() {
	nvme disconnect -n "$1" >/dev/null 2>&1 || fail "nvme disconnect -n $1 failed"
	settle
}

fio_verify() {
	local dev=$1 size=${2:-16M}
	fio_run --name=verify --filename="$dev" --direct=1 --ioengine=libaio --iodepth=16 \
		--rw=randwrite --bs=4k --size="$size" --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --randrepeat=0
}
