#!/usr/bin/env bash
# Inside the benchmark VM (started by bench/cache/run through tests/vm/run-vm):
# build a slow origin per configuration, put each cache in front of its own
# origin, warm the read caches, then measure (every run interleaves all
# configurations, so drift in the host's speed hits them alike):
#
#   warm   4 KiB randread QD1 over the warm working set   anchor: raw srd
#   write  4 KiB randwrite QD1 and QD8 over the same set  anchor: raw origin
#   cold   4 KiB randread QD1, cache emptied first, one   anchor: raw origin
#          read per 64 KiB block of a never-read region
#
# plus dm-linear over each read anchor, which shows what device-mapper
# itself costs on this machine.  To stay near 10 minutes, rows that would
# repeat a code path are left out: stor-cache wa reads like wt (it is only
# measured for writes), dm-writecache passes cold reads through (no cold row).
#
# Appends "phase<TAB>config<TAB>qd<TAB>run<TAB>iops<TAB>mean_lat_us<TAB>hits
# <TAB>misses" lines to $VM_RESULTS/results.tsv (hits/misses: the change of
# the target's read or write hit counters during that run, "-" for raw
# devices) and "config<TAB>passes<TAB>per-pass read hit %" lines to
# $VM_RESULTS/warm.tsv.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNTIME=${BENCH_RUNTIME:-5}
RUNS=${BENCH_RUNS:-3}
IOENGINE=${BENCH_IOENGINE:-libaio}
LAT_US=${BENCH_ORIGIN_LAT_US:-1000}
WARM_MIB=${BENCH_WARM_MIB:-32}
CACHE_MIB=${BENCH_CACHE_MIB:-128}
MAX_PASSES=${BENCH_WARM_PASSES:-10}
ORIGIN_MIB=1024 # null_blk gb=1
META_MIB=8
# The cold region starts well after the warm set and holds one 64 KiB slot
# per cold read.
COLD_OFF_MIB=$((WARM_MIB * 2 > 64 ? WARM_MIB * 2 : 64))
COLD_SLOTS=$(((ORIGIN_MIB - COLD_OFF_MIB) * 16))
WARM_BYTES=$((WARM_MIB * 1048576))
LEN=$((ORIGIN_MIB * 2048))

out=$VM_RESULTS/results.tsv
warm_out=$VM_RESULTS/warm.tsv
log=$VM_RESULTS/fio.log
tmp=$(mktemp -d)
: >"$out"
: >"$warm_out"
: >"$log"

say() { echo "[bench +${SECONDS}s] $*"; }
die() {
	echo "bench: $*" >&2
	exit 1
}

CACHES=(sc-wt-4k sc-wt-64k sc-wa-4k dm-cache dm-writecache)
WARM_CFGS=(srd linear-srd sc-wt-4k sc-wt-64k dm-cache dm-writecache)
WRITE_CFGS=(origin "${CACHES[@]}")
COLD_CFGS=(origin linear-origin sc-wt-4k sc-wt-64k dm-cache)
declare -A DEV=() ORIG=() CDEV=()

ko=$STORCTL_BUILD/modules/$KVER/cache/dm-stor-cache.ko
echo "[bench] kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB," \
	"dm-stor-cache.ko sha256 $(sha256sum "$ko" 2>/dev/null | cut -c1-12 || echo '?')"

# --- devices ------------------------------------------------------------------

# Slow origins: null_blk with timer completion (irqmode=2) after LAT_US,
# data kept in memory.  One per configuration plus one raw anchor, so no
# configuration sees another's writes or write-back.
modprobe null_blk nr_devices=$((1 + ${#CACHES[@]})) queue_mode=2 irqmode=2 \
	completion_nsec=$((LAT_US * 1000)) memory_backed=1 gb=$((ORIGIN_MIB / 1024)) \
	bs=512 hw_queue_depth=64
modprobe dm-cache
modprobe dm-cache-smq
modprobe dm-writecache
udevadm settle 2>/dev/null || true

# The cache devices are preallocated: a real cache device has no sparse
# allocation on first write, and the cost of srd's would be charged to the
# cache target's fills.
srd_new() { storctl --json ramdisk create "$@" | jq -r .path; }

DEV[origin]=/dev/nullb0
DEV[srd]=$(srd_new "${CACHE_MIB}M" --prealloc)
DEV[linear-origin]=/dev/mapper/bench-linear-origin
DEV[linear-srd]=/dev/mapper/bench-linear-srd
i=1
for c in "${CACHES[@]}"; do
	ORIG[$c]=/dev/nullb$i
	CDEV[$c]=$(srd_new "${CACHE_MIB}M" --prealloc)
	DEV[$c]=/dev/mapper/bench-$c
	i=$((i + 1))
done
META=$(srd_new "${META_MIB}M")

table() {
	case $1 in
	sc-wt-4k) echo "0 $LEN stor-cache ${ORIG[$1]} ${CDEV[$1]} 8 wt" ;;
	sc-wt-64k) echo "0 $LEN stor-cache ${ORIG[$1]} ${CDEV[$1]} 128 wt" ;;
	sc-wa-4k) echo "0 $LEN stor-cache ${ORIG[$1]} ${CDEV[$1]} 8 wa" ;;
	# 64 KiB blocks (dm-cache's minimum is 32 KiB), metadata on its own srd.
	dm-cache) echo "0 $LEN cache $META ${CDEV[$1]} ${ORIG[$1]} 128 1 writethrough smq 0" ;;
	# ssd mode, 4 KiB blocks, default watermarks (write-back starts at 50 %).
	dm-writecache) echo "0 $LEN writecache s ${ORIG[$1]} ${CDEV[$1]} 4096 0" ;;
	linear-origin) echo "0 $LEN linear ${DEV[origin]} 0" ;;
	linear-srd) echo "0 $((CACHE_MIB * 2048)) linear ${DEV[srd]} 0" ;;
	esac
}

for c in linear-origin linear-srd "${CACHES[@]}"; do
	say "$c: $(table "$c")"
	dmsetup create "bench-$c" --table "$(table "$c")"
done
udevadm settle 2>/dev/null || true
for d in "${DEV[@]}" "$META"; do
	[ -b "$d" ] || die "$d missing"
done

cleanup() {
	local c
	for c in linear-origin linear-srd "${CACHES[@]}"; do
		dmsetup remove --retry "bench-$c" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- counters -----------------------------------------------------------------

# counters CONFIG: "read_hits read_misses write_hits write_misses" from the
# status line, "- - - -" for the raw devices.
counters() {
	case $1 in
	origin | srd | linear-*) echo "- - - -" ;;
	# stor-cache: 1 read_hits 2 read_misses 3 write_hits 4 write_misses ...
	sc-*) dmsetup status "bench-$1" | awk '{ print $4, $5, $6, $7 }' ;;
	# cache: md_bs md_used/total cache_bs used/total read_hits read_misses
	# write_hits write_misses demotions promotions dirty ...
	dm-cache) dmsetup status "bench-$1" | awk '{ print $8, $9, $10, $11 }' ;;
	# writecache: errors blocks free writeback reads read_hits writes
	# write_hits_uncommitted write_hits_committed writes_around ...
	dm-writecache) dmsetup status "bench-$1" |
		awk '{ print $9, $8 - $9, $11 + $12, $10 - $11 - $12 }' ;;
	esac
}

# status_field CONFIG N: field N (1-based, after "<start> <len> <target>").
status_field() { dmsetup status "bench-$1" | awk -v f="$2" '{ print $(3 + f) }'; }

# quiesce CONFIG: wait for the cache's background work after a pass.
quiesce() {
	local i p q
	case $1 in
	sc-*)
		for ((i = 0; i < 100; i++)); do
			[ "$(status_field "$1" 14)" = 0 ] && return 0
			sleep 0.1
		done
		die "$1: fills still in flight after 10 s"
		;;
	dm-cache)
		# Promotions run in the background once the origin was idle for
		# 100 ms: wait until their count stops moving.
		p=$(status_field "$1" 10)
		for ((i = 0; i < 30; i++)); do
			sleep 0.5
			q=$(status_field "$1" 10)
			[ "$q" = "$p" ] && [ "$i" -ge 1 ] && return 0
			p=$q
		done
		;;
	esac
}

# --- fio ------------------------------------------------------------------------

seq_pass() { # DEV RW
	DEV=$1 RW=$2 SIZE=$WARM_BYTES FSYNC=$([ "$2" = write ] && echo 1 || echo 0) \
		IOENGINE=$IOENGINE fio --output-format=terse "$here/seq-pass.fio" >>"$log"
}

# measure PHASE CONFIG QD RUN JOBFILE [VAR=VALUE...]: one fio run, one line.
total=$((RUNS * (${#WARM_CFGS[@]} + 2 * ${#WRITE_CFGS[@]} + ${#COLD_CFGS[@]})))
n=0
measure() {
	local phase=$1 cfg=$2 qd=$3 run=$4 job=$5 before after json err iops lat ms hm r
	shift 5
	udevadm settle 2>/dev/null || true
	before=$(counters "$cfg")
	json=$(env "$@" QD="$qd" RUNTIME="$RUNTIME" IOENGINE="$IOENGINE" \
		fio --output-format=json "$here/$job")
	after=$(counters "$cfg")
	echo "$json" >>"$log"
	# One jq (slow under TCG): error, IOPS, mean latency in us, run time.
	r=$(jq -r '.jobs[0] | "\(.error) \(.read.iops + .write.iops)" +
		" \((if .read.iops > 0 then .read else .write end).lat_ns.mean / 1000)" +
		" \(.job_runtime)"' <<<"$json")
	read -r err iops lat ms <<<"$r"
	[ "$err" = 0 ] || die "fio $job on $cfg: error $err"
	# The cold iolog is not looped: running out of it ends the run early.
	[ "$ms" -ge $((RUNTIME * 900)) ] ||
		die "fio $job on $cfg ran $ms ms of ${RUNTIME} s (cold log of $COLD_SLOTS reads used up?)"
	hm=$(awk -v phase="$phase" -v b="$before" -v a="$after" 'BEGIN {
		split(b, x, " "); split(a, y, " ")
		if (x[1] == "-") { print "-\t-"; exit }
		o = phase == "write" ? 2 : 0
		print y[1 + o] - x[1 + o] "\t" y[2 + o] - x[2 + o] }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$phase" "$cfg" "$qd" "$run" "$iops" "$lat" "$hm" >>"$out"
	n=$((n + 1))
	say "[$n/$total] run $run $phase QD$qd $cfg: $(printf '%.0f' "$iops") IOPS, hits/misses $(tr '\t' / <<<"$hm")"
}

# The cold workload replays one shuffled iolog per run (made once: awk and
# shuf are slow under TCG) on $tmp/cold-dev, a symlink to the device.
for run in $(seq 1 "$RUNS"); do
	{
		echo "fio version 2 iolog"
		echo "$tmp/cold-dev add"
		echo "$tmp/cold-dev open"
		shuf -i "0-$((COLD_SLOTS - 1))" |
			awk -v d="$tmp/cold-dev" -v off=$((COLD_OFF_MIB * 1048576)) \
				'{ printf "%s read %d 4096\n", d, off + $1 * 65536 }'
		echo "$tmp/cold-dev close"
	} >"$tmp/cold-$run.log"
done

# reset CONFIG: an empty cache for the cold workload.
reset_cache() {
	local used
	case $1 in
	sc-*)
		quiesce "$1"
		dmsetup message "bench-$1" 0 invalidate_all
		[ "$(status_field "$1" 10)" = 0 ] || die "$1: cached_blocks not 0 after invalidate_all"
		;;
	dm-cache)
		dmsetup remove --retry "bench-$1"
		dd if=/dev/zero of="$META" bs=1M count=$META_MIB oflag=direct status=none
		dmsetup create "bench-$1" --table "$(table "$1")"
		udevadm settle 2>/dev/null || true
		# udev's probe of the new device may promote a few blocks (at the
		# start and end of the device, away from the cold region).
		used=$(status_field "$1" 4)
		[ "${used%%/*}" -lt 64 ] || die "$1: not empty after re-creation: $(dmsetup status "bench-$1")"
		;;
	esac
}

# --- prefill and warm ----------------------------------------------------------

say "prefill the warm set (${WARM_MIB} MiB) of every origin and of the raw srd"
seq_pass "${DEV[origin]}" write
seq_pass "${DEV[srd]}" write
for c in "${CACHES[@]}"; do
	seq_pass "${ORIG[$c]}" write
done

for c in "${CACHES[@]}"; do
	ratios=
	if [ "$c" = dm-writecache ]; then
		# It caches writes only: warm it by writing the set through it.
		seq_pass "${DEV[$c]}" write
		passes=1 ratios=write
	else
		prev=-1
		for ((p = 1; p <= MAX_PASSES; p++)); do
			b=$(counters "$c")
			seq_pass "${DEV[$c]}" read
			quiesce "$c"
			a=$(counters "$c")
			r=$(awk -v b="$b" -v a="$a" 'BEGIN { split(b, x, " "); split(a, y, " ")
				h = y[1] - x[1]; m = y[2] - x[2]; printf "%.1f", h + m ? 100 * h / (h + m) : 0 }')
			ratios=${ratios:+$ratios,}$r
			passes=$p
			# Full, or no longer rising (give a slow promoter 3 passes).
			awk -v r="$r" -v prev="$prev" -v p="$p" 'BEGIN { exit !(r >= 99 || (p >= 3 && r < prev + 1)) }' && break
			prev=$r
		done
	fi
	udevadm settle 2>/dev/null || true
	printf '%s\t%s\t%s\n' "$c" "$passes" "$ratios" >>"$warm_out"
	say "warm $c: $passes passes, read hit % per pass: $ratios"
done

# --- measure --------------------------------------------------------------------

for run in $(seq 1 "$RUNS"); do
	for c in "${WARM_CFGS[@]}"; do
		measure warm "$c" 1 "$run" randread-4k.fio DEV="${DEV[$c]}" SIZE=$WARM_BYTES
	done
done

for run in $(seq 1 "$RUNS"); do
	for qd in 1 8; do
		for c in "${WRITE_CFGS[@]}"; do
			measure write "$c" "$qd" "$run" randwrite-4k.fio DEV="${DEV[$c]}" SIZE=$WARM_BYTES
		done
	done
done

for run in $(seq 1 "$RUNS"); do
	for c in "${COLD_CFGS[@]}"; do
		reset_cache "$c"
		ln -sfn "${DEV[$c]}" "$tmp/cold-dev"
		measure cold "$c" 1 "$run" cold-randread-4k.fio IOLOG="$tmp/cold-$run.log"
	done
done

say "status lines at the end:"
for c in "${CACHES[@]}"; do
	say "  $c: $(dmsetup status "bench-$c")"
done
say "done"
