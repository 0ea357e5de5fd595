#!/usr/bin/env bash
# Inside the benchmark VM (started by bench/remote/run through
# tests/vm/run-vm): one preallocated RAM disk, read locally and through
# NVMe-oF over TCP (127.0.0.1) and over RDMA (soft-RoCE on a veth end,
# 10.77.0.1), all exported with storctl.  nvme_core is loaded with
# multipath=N so each transport's controller has its own namespace device
# and the devices can be interleaved run by run (drift in the host's speed
# then hits all of them alike).  Appends
# "dev<TAB>workload<TAB>run<TAB>iops<TAB>MiB/s<TAB>mean latency us" lines to
# $VM_RESULTS/results.tsv.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-512}
RUNTIME=${BENCH_RUNTIME:-5}
RUNS=${BENCH_RUNS:-3}
IOENGINE=${BENCH_IOENGINE:-libaio}
WORKLOADS=(randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 read-1m write-1m)
HOSTNQN=nqn.2014-08.org.storctl:bench:host
NS=storctl-bench
END=bnr0
out=$VM_RESULTS/results.tsv
log=$VM_RESULTS/fio.log
: >"$out"
: >"$log"

say() { echo "[bench] $*"; }
die() { echo "bench: $*" >&2; exit 1; }

say "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"

declare -A DEVS=()
j=$(storctl --json ramdisk create "${SIZE_MIB}M" --prealloc)
srd=$(jq -r .path <<<"$j")
DEVS[local]=$srd
udevadm settle 2>/dev/null || true
say "prefill $srd"
DEV=$srd IOENGINE=$IOENGINE fio --output-format=terse "$here/prefill.fio" >>"$log"

# The RDMA network: rxe on a veth end whose peer is in a namespace.
modprobe rdma_rxe
modprobe veth 2>/dev/null || true
ip netns add $NS
ip link add $END type veth peer name bnr1
ip link set bnr1 netns $NS
ip addr add 10.77.0.1/24 dev $END
ip link set $END up
ip -n $NS addr add 10.77.0.2/24 dev bnr1
ip -n $NS link set bnr1 up
rdma link add rxe0 type rxe netdev $END
for ((i = 0; i < 50; i++)); do
	rdma link show rxe0/1 | grep -q "state ACTIVE" && break
	sleep 0.1
done

# One controller (and namespace device) per transport.
if [ -d /sys/module/nvme_core ]; then
	[ "$(cat /sys/module/nvme_core/parameters/multipath)" = N ] ||
		die "nvme_core is loaded with multipath on; cannot separate the transports"
else
	modprobe nvme_core multipath=N
fi
modprobe nvme-fabrics
tcp=$(storctl --json nvmet port add --transport tcp --address 127.0.0.1 | jq -r .id)
rdma=$(storctl --json nvmet port add --transport rdma --address 10.77.0.1 | jq -r .id)
nqn=$(storctl --json nvmet export "$srd" --allow-any-host --port "$tcp" --port "$rdma" | jq -r .nqn)

# connect TRANSPORT: print the namespace device the new controller brings.
connect() {
	local t=$1 before after d i
	before=$(ls /sys/block)
	modprobe "nvme-$t"
	nvme connect -t "$t" -a "$([ "$t" = tcp ] && echo 127.0.0.1 || echo 10.77.0.1)" -s 4420 \
		-n "$nqn" --hostnqn "$HOSTNQN" >/dev/null
	for ((i = 0; i < 100; i++)); do
		after=$(ls /sys/block)
		d=$(comm -13 <(echo "$before") <(echo "$after") | grep '^nvme' | head -n1 || true)
		[ -n "$d" ] && break
		sleep 0.1
	done
	[ -n "$d" ] || die "no namespace appeared after nvme connect -t $t"
	udevadm settle 2>/dev/null || true
	grep -qx "$t" "/sys/block/$d/device/transport" || die "$d is not on $t"
	echo "/dev/$d"
}
DEVS[nvme-tcp]=$(connect tcp)
DEVS[nvme-rdma]=$(connect rdma)
ORDER=(local nvme-tcp nvme-rdma)
for dev in "${ORDER[@]}"; do
	sz=$(blockdev --getsize64 "${DEVS[$dev]}")
	[ "$sz" -eq $((SIZE_MIB << 20)) ] || die "${DEVS[$dev]} ($dev) is $sz bytes"
	say "$dev: ${DEVS[$dev]}"
done

total=$((RUNS * ${#WORKLOADS[@]} * ${#ORDER[@]}))
n=0
for run in $(seq 1 "$RUNS"); do
	for w in "${WORKLOADS[@]}"; do
		for dev in "${ORDER[@]}"; do
			n=$((n + 1))
			json=$(DEV=${DEVS[$dev]} RUNTIME=$RUNTIME IOENGINE=$IOENGINE \
				fio --output-format=json "$here/$w.fio")
			echo "$json" >>"$log"
			line=$(jq -r '.jobs[0] | (if .read.io_bytes > 0 then .read else .write end) |
				[.iops, (.bw_bytes / 1048576), (.lat_ns.mean / 1000)] | @tsv' <<<"$json")
			printf '%s\t%s\t%s\t%s\n' "$dev" "$w" "$run" "$line" >>"$out"
			say "[$n/$total] run $run $w $dev: $line"
		done
	done
done

nvme disconnect -n "$nqn" >/dev/null
storctl nvmet unexport "$srd" >/dev/null
storctl nvmet port remove "$tcp" >/dev/null
storctl nvmet port remove "$rdma" >/dev/null
rdma link delete rxe0
ip link delete $END
ip netns delete $NS
say "done"
