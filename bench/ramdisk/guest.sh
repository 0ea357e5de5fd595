#!/usr/bin/env bash
# Inside the benchmark VM (started by bench/ramdisk/run through
# tests/vm/run-vm): set up srd, brd and null_blk of the same size, prefill
# them, and run every workload on every device BENCH_RUNS times,
# interleaving the devices so that any drift in the host's speed hits all
# three alike.  Appends "dev<TAB>workload<TAB>jobs<TAB>run<TAB>value" lines to
# $VM_RESULTS/results.tsv (value: IOPS for 4 KiB workloads, MiB/s for 1 MiB).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZE_MIB=$((${BENCH_SIZE_GIB:-1} * 1024))
RUNTIME=${BENCH_RUNTIME:-5}
RUNS=${BENCH_RUNS:-3}
IOENGINE=${BENCH_IOENGINE:-libaio}
WORKLOADS=(randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd1 randwrite-4k-qd32 read-1m write-1m)
out=$VM_RESULTS/results.tsv
log=$VM_RESULTS/fio.log
: >"$out"
: >"$log"

say() { echo "[bench] $*"; }

declare -A DEVS=()

say "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"

# srd: the module under test, loaded by run-vm.
j=$(storctl --json ramdisk create "${SIZE_MIB}M")
DEVS[srd]=$(jq -r .path <<<"$j")
# brd: the kernel's RAM disk; rd_size is in KiB.
modprobe brd rd_nr=1 rd_size=$((SIZE_MIB * 1024)) max_part=0
DEVS[brd]=/dev/ram0
# null_blk: blk-mq (queue_mode=2; 6.12 has no bio mode any more), completion
# inline in the submitter (irqmode=0), data kept in memory (memory_backed=1).
modprobe null_blk nr_devices=1 queue_mode=2 irqmode=0 memory_backed=1 \
	gb=$((SIZE_MIB / 1024)) bs=512 hw_queue_depth=128
DEVS[null_blk]=/dev/nullb0
udevadm settle 2>/dev/null || true
ORDER=(srd brd null_blk)

for dev in "${ORDER[@]}"; do
	d=${DEVS[$dev]}
	[ -b "$d" ] || { echo "bench: $d ($dev) missing" >&2; exit 1; }
	sz=$(blockdev --getsize64 "$d")
	[ "$sz" -eq $((SIZE_MIB * 1024 * 1024)) ] ||
		{ echo "bench: $d is $sz bytes, expected $((SIZE_MIB * 1024 * 1024))" >&2; exit 1; }
	say "prefill $dev ($d)"
	DEV=$d IOENGINE=$IOENGINE fio --output-format=terse "$here/prefill.fio" >>"$log"
done

total=$((RUNS * ${#WORKLOADS[@]} * 2 * ${#ORDER[@]}))
n=0
for run in $(seq 1 "$RUNS"); do
	for w in "${WORKLOADS[@]}"; do
		for jobs in 1 2; do
			for dev in "${ORDER[@]}"; do
				n=$((n + 1))
				json=$(DEV=${DEVS[$dev]} JOBS=$jobs RUNTIME=$RUNTIME IOENGINE=$IOENGINE \
					fio --output-format=json "$here/$w.fio")
				echo "$json" >>"$log"
				err=$(jq -r '.jobs[0].error' <<<"$json")
				[ "$err" = 0 ] || { echo "bench: fio $w on $dev: error $err" >&2; exit 1; }
				case $w in
				*-1m) v=$(jq -r '.jobs[0] | (.read.bw_bytes + .write.bw_bytes) / 1048576' <<<"$json") ;;
				*) v=$(jq -r '.jobs[0] | .read.iops + .write.iops' <<<"$json") ;;
				esac
				printf '%s\t%s\t%s\t%s\t%s\n' "$dev" "$w" "$jobs" "$run" "$v" >>"$out"
				say "[$n/$total] run $run $w jobs=$jobs $dev: $v"
			done
		done
	done
done

storctl ramdisk remove "${DEVS[srd]}" >/dev/null
rmmod brd null_blk
say "done"
