#!/usr/bin/env bash
# No leaks: 210 create/write/remove cycles (plain, preallocated, 4096-byte
# blocks, read-only, explicit index), then rmmod + insmod of stor_ramdisk.
# 10 cycles go through storctl (the whole path a user takes), 200 through
# the control device directly (tests/vm/helpers/srd_cycles.c: the same five
# kinds of disk, milliseconds per cycle where storctl takes about a second
# under TCG).  Free memory (MemAvailable plus the per-CPU free lists) and
# Slab, measured after dropping caches, must come back: free memory within
# 16 MiB of the starting value (given up to 30 s), Slab within 4 MiB.
# Why these numbers: between two quiet moments MemAvailable moves by up to
# ~10 MiB on its own under TCG (per-CPU page lists, RCU-deferred frees),
# Slab by a few hundred KiB; while a leak of the data pages would be
# 168 MiB (1 MiB written in 168 of the cycles) or 336 MiB (42 preallocated
# 8 MiB disks), and a leak of each disk's kernel objects (gendisk, queue,
# sysfs, tens of KiB) several MiB of Slab.
. "$(dirname "$0")/../lib.sh"

CYCLES=10
DIRECT_CYCLES=200
MEM_TOLERANCE_KB=$((16 * 1024))
SLAB_TOLERANCE_KB=$((4 * 1024))
KO=$STORCTL_BUILD/modules/$KVER/ramdisk/stor_ramdisk.ko
[ -f "$KO" ] || fail "$KO missing"

cycle() {
	local i=$1 args=() j n rc out
	case $((i % 5)) in
	0) args=(8M) ;;
	1) args=(8M --prealloc) ;;
	2) args=(8M --logical-block-size 4096) ;;
	3) args=(8M --read-only) ;;
	4) args=(4M --index 7) ;;
	esac
	j=$("$STORCTL" --json ramdisk create "${args[@]}" 2>&1) || fail "cycle $i: create ${args[*]}: $j"
	n=$(json_name "$j") || fail "cycle $i: no name in $j"
	if [ $((i % 5)) -ne 3 ]; then
		dd if=/dev/zero of="/dev/$n" bs=1M count=1 oflag=direct status=none ||
			fail "cycle $i: write to $n failed"
	fi
	# udevd opens (and flocks) a new disk while it handles the "add"
	# event; a remove racing with that is rightly EBUSY (exit 4): wait for
	# udev and try once more.
	rc=0
	out=$("$STORCTL" ramdisk remove "$n" 2>&1) || rc=$?
	if [ "$rc" -eq 4 ]; then
		settle
		rc=0
		out=$("$STORCTL" ramdisk remove "$n" 2>&1) || rc=$?
	fi
	[ "$rc" -eq 0 ] || fail "cycle $i: remove $n: $out"
}

# Free memory: MemAvailable plus the free pages on the per-CPU lists, which
# MemFree does not count.  Those lists hold anything from under 1 MiB to
# 40 MiB between two quiet moments (seen on 6.1 and 6.12 after the direct
# cycles' burst of frees): a fresh-clone CI run failed on MemAvailable
# alone, -36 MiB, with nothing else moved.
pcp_kb() { awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo; }
free_kb() { echo $(($(mem_kb MemAvailable) + $(pcp_kb))); }

# quiesce: let udev finish, RCU-deferred page frees run and caches drop.
quiesce() {
	settle
	drop_caches
	sleep 2
	drop_caches
}

# Warm up: first-use allocations (caches, udev, the binaries' page cache)
# are not leaks.
for i in 0 1 2 3 4; do cycle $i; done
quiesce
mem0=$(free_kb) slab0=$(mem_kb Slab)
cp /proc/meminfo "$_T/meminfo.0"
note "before: free $mem0 KiB (per-CPU lists $(pcp_kb) KiB), Slab $slab0 KiB"

t0=$SECONDS
for i in $(seq 1 $CYCLES); do cycle "$i"; done
note "$CYCLES cycles through storctl in $((SECONDS - t0)) s"
t0=$SECONDS
run_ok srd_cycles $DIRECT_CYCLES
note "$DIRECT_CYCLES cycles through $SRD_CONTROL in $((SECONDS - t0)) s"
assert_eq "$(sys_srd_names | xargs)" "" "srd devices left after the cycles"

note "rmmod + insmod"
settle
run_ok rmmod stor_ramdisk
[ ! -e /sys/module/stor_ramdisk ] || fail "stor_ramdisk still loaded after rmmod"
settle
[ ! -e "$SRD_CONTROL" ] || fail "$SRD_CONTROL still there after rmmod"
expect_rc 7 -- "$STORCTL" ramdisk list
run_ok insmod "$KO"
settle
[ -c "$SRD_CONTROL" ] || fail "$SRD_CONTROL missing after insmod"
assert_eq "$(sc --json ramdisk list | jq -c .)" "[]" "list after reload"

quiesce
mem1=$(free_kb) slab1=$(mem_kb Slab)
# A leak does not come back; the RCU-deferred frees do: wait up to 30 s.
t0=$SECONDS
while [ "$mem1" -lt $((mem0 - MEM_TOLERANCE_KB)) ] && [ $((SECONDS - t0)) -lt 30 ]; do
	sleep 2
	drop_caches
	mem1=$(free_kb)
done
[ $((SECONDS - t0)) -eq 0 ] ||
	note "free memory took $((SECONDS - t0)) s more to come back within the tolerance"
# For the log: every /proc/meminfo field that moved by 256 KiB or more.
note "meminfo changes: $(awk 'NR == FNR { a[$1] = $2; next }
	($1 in a) && ($2 - a[$1] >= 256 || a[$1] - $2 >= 256) { printf "%s%+d KiB ", $1, $2 - a[$1] }' \
	"$_T/meminfo.0" /proc/meminfo)"
note "after:  free $mem1 KiB ($(((mem1 - mem0) / 1024)) MiB; per-CPU lists $(pcp_kb) KiB), Slab $slab1 KiB ($(((slab1 - slab0))) KiB)"
assert_ge "$mem1" $((mem0 - MEM_TOLERANCE_KB)) "free memory (KiB) after $((CYCLES + DIRECT_CYCLES)) cycles and a reload"
assert_le "$slab1" $((slab0 + SLAB_TOLERANCE_KB)) "Slab (KiB) after $((CYCLES + DIRECT_CYCLES)) cycles and a reload"

note "the reloaded module works"
d=$(srd_create 8M)
run_ok dd if=/dev/urandom of="/dev/$d" bs=1M count=8 oflag=direct status=none
assert_eq "$(used_bytes "$d")" $((8 * 1024 * 1024)) "used_bytes on the reloaded module"

pass
