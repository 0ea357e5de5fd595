#!/usr/bin/env bash
# Inside the benchmark VM (started by bench/remote/run through
# tests/vm/run-vm): one preallocated RAM disk, read locally, through
# NVMe-oF over TCP (127.0.0.1) and over RDMA (soft-RoCE on a veth end,
# 10.77.0.1), both exported with storctl, and through stor-rnbd over the
# same rxe device and address (stor_rnbd_server/client from the build
# tree, exported and mapped through their sysfs control files; the mapped
# srnbd device passes a fio crc32c verify before it is measured), and
# through a second stor-rnbd session with a poll queue (nr_poll_queues=1),
# driven by io_uring with hipri.
# nvme_core is loaded with
# multipath=N so each transport's controller has its own namespace device
# and the devices can be interleaved run by run (drift in the host's speed
# then hits all of them alike).  Appends
# "dev<TAB>workload<TAB>run<TAB>iops<TAB>MiB/s<TAB>mean latency us<TAB>fio
# CPU %" lines to $VM_RESULTS/results.tsv (the last column is the fio job's
# usr + sys CPU, for reading the numbers; the table does not use it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-512}
RUNTIME=${BENCH_RUNTIME:-5}
RUNS=${BENCH_RUNS:-3}
IOENGINE=${BENCH_IOENGINE:-libaio}
WORKLOADS=(randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd1 randwrite-4k-qd32 read-1m write-1m)
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

# stor-rnbd: the project's modules from the build tree (run-vm leaves the
# on-demand ones unloaded), the same RAM disk exported to every session,
# mapped over the rxe device NVMe/RDMA uses.
SRV_CTL=/sys/class/stor-rnbd-server/ctl
CLT_CTL=/sys/class/stor-rnbd-client/ctl
load_project_module() {
	local name=$1 dir=${VM_MODULES_DIR:-$STORCTL_BUILD/modules/$KVER} ko dep
	ko=$(find "$dir" -name "$name.ko" -type f | head -n 1)
	[ -n "$ko" ] || die "no $name.ko under $dir (make modules-all)"
	for dep in $(modinfo -F depends "$ko" | tr , ' '); do
		modprobe "$dep"
	done
	insmod "$ko"
}
load_project_module stor_rnbd_server
load_project_module stor_rnbd_client
echo "device_path=$srd" >"$SRV_CTL/export"
before=$(ls /sys/block)
echo "sessname=bench path=ip:10.77.0.1 device_path=$srd" >"$CLT_CTL/map_device"
udevadm settle 2>/dev/null || true
d=$(comm -13 <(echo "$before") <(ls /sys/block) | grep '^srnbd' | head -n1 || true)
if [ -z "$d" ] || [ ! -b "/dev/$d" ]; then
	die "no srnbd device appeared after map_device"
fi
DEVS[srnbd]=/dev/$d
# The same disk through a second session with one poll queue, measured
# with io_uring and hipri (polled completions).  Access mode migration:
# the second writer of the disk.
before=$(ls /sys/block)
echo "sessname=benchpoll path=ip:10.77.0.1 device_path=$srd access_mode=migration nr_poll_queues=1" \
	>"$CLT_CTL/map_device"
udevadm settle 2>/dev/null || true
d=$(comm -13 <(echo "$before") <(ls /sys/block) | grep '^srnbd' | head -n1 || true)
if [ -z "$d" ] || [ ! -b "/dev/$d" ]; then
	die "no srnbd device appeared after the polled map_device"
fi
DEVS[srnbd-poll]=/dev/$d
polldir=$(mktemp -d)
for w in "${WORKLOADS[@]}"; do
	sed 's/^ioengine=.*/ioengine=io_uring\nhipri=1/' "$here/$w.fio" >"$polldir/$w.fio"
done
say "srnbd session: $(tr '\n' ' ' <"$SRV_CTL/paths")"
say "srnbd queue: nr_hw_queues $(find "/sys/block/$d/mq" -mindepth 1 -maxdepth 1 -name '[0-9]*' | wc -l)," \
	"nr_requests $(cat "/sys/block/$d/queue/nr_requests")," \
	"max_hw_sectors_kb $(cat "/sys/block/$d/queue/max_hw_sectors_kb")"

# A benchmark of a device that loses data is worthless: check srnbd first
# (fio fails on a crc32c mismatch or an I/O error), then that what it wrote
# is what the RAM disk holds.
say "verify ${DEVS[srnbd]}"
DEV=${DEVS[srnbd]} IOENGINE=$IOENGINE fio --output-format=terse "$here/verify.fio" >>"$log" ||
	die "fio verify of ${DEVS[srnbd]} failed (see fio.log)"
a=$(dd if="${DEVS[srnbd]}" bs=1M count=128 iflag=direct status=none | sha256sum)
b=$(dd if="$srd" bs=1M count=128 iflag=direct status=none | sha256sum)
[ "$a" = "$b" ] || die "${DEVS[srnbd]} and $srd differ in the first 128 MiB"
say "verify ${DEVS[srnbd]}: ok"

ORDER=(local nvme-tcp nvme-rdma srnbd srnbd-poll)
for dev in "${ORDER[@]}"; do
	sz=$(blockdev --getsize64 "${DEVS[$dev]}")
	[ "$sz" -eq $((SIZE_MIB << 20)) ] || die "${DEVS[$dev]} ($dev) is $sz bytes"
	say "$dev: ${DEVS[$dev]}"
done

total=$((RUNS * (${#WORKLOADS[@]} * ${#ORDER[@]} - 2)))
n=0
for run in $(seq 1 "$RUNS"); do
	for w in "${WORKLOADS[@]}"; do
		for dev in "${ORDER[@]}"; do
			# Polled I/O only where it needs no split (4 KiB): on 6.1 a
			# polled bio that the block layer must split never reaches
			# the driver (docs/rnbd.md, "Poll queues").
			if [ "$dev" = srnbd-poll ] && [[ "$w" != *-4k-* ]]; then
				continue
			fi
			n=$((n + 1))
			job=$here/$w.fio
			[ "$dev" != srnbd-poll ] || job=$polldir/$w.fio
			json=$(DEV=${DEVS[$dev]} RUNTIME=$RUNTIME IOENGINE=$IOENGINE \
				fio --output-format=json "$job")
			echo "$json" >>"$log"
			line=$(jq -r '.jobs[0] | (if .read.io_bytes > 0 then .read else .write end) |
				[.iops, (.bw_bytes / 1048576), (.lat_ns.mean / 1000)] | @tsv' <<<"$json")
			cpu=$(jq -r '.jobs[0] | (.usr_cpu + .sys_cpu)' <<<"$json")
			line="$line"$'\t'"$cpu"
			printf '%s\t%s\t%s\t%s\n' "$dev" "$w" "$run" "$line" >>"$out"
			say "[$n/$total] run $run $w $dev: $line"
		done
	done
done

say "srnbd-poll: polled completions per path: $(grep -o 'polled=[0-9]*' "$CLT_CTL/sessions/benchpoll/paths" | tr '\n' ' ')"
echo normal >"/sys/block/${DEVS[srnbd-poll]#/dev/}/stor-rnbd/unmap_device"
echo normal >"/sys/block/${DEVS[srnbd]#/dev/}/stor-rnbd/unmap_device"
echo "device_path=$srd" >"$SRV_CTL/unexport"
rmmod stor_rnbd_client stor_rnbd_server
nvme disconnect -n "$nqn" >/dev/null
storctl nvmet unexport "$srd" >/dev/null
storctl nvmet port remove "$tcp" >/dev/null
storctl nvmet port remove "$rdma" >/dev/null
rdma link delete rxe0
ip link delete $END
ip netns delete $NS
say "done"
