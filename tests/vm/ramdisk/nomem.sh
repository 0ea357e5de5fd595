#!/usr/bin/env bash
# Running out of memory is an I/O error, not a crash: an --overcommit disk
# twice the VM's RAM is written with O_DIRECT until a write fails with EIO;
# alloc_failures counts it; the kernel stays healthy (no OOM kill, no
# allocation-failure splat: the harness fails on Call Trace lines); removing
# the disk gives the memory back (MemAvailable within 32 MiB of before).
# vm-args: --mem 768
. "$(dirname "$0")/../lib.sh"
need_cmd fio

MiB=$((1024 * 1024))
ram=$(($(mem_kb MemTotal) * 1024))
size=$(((ram * 2 / MiB + 3) / 4 * 4))M

drop_caches
avail0=$(mem_kb MemAvailable)
note "MemTotal $((ram / MiB)) MiB, MemAvailable $((avail0 / 1024)) MiB, disk $size"
d=$(srd_create "$size" --overcommit)

note "writing until the memory runs out"
# fio as usual (a parent process and a forked job): other processes keep
# allocating memory while srd fills it, as they would on a real machine.
fio --output-format=json --output="$_T/fill.json" --name=fill --filename="/dev/$d" \
	--ioengine=psync --direct=1 --rw=write --bs=1m --size="$size" \
	--buffer_pattern=0x5a5aa5a5 >"$_T/fill.log" 2>&1 || true
oom=$(dmesg | grep -E 'invoked oom-killer|Out of memory: Killed|oom-kill:|page allocation failure' || true)
[ -z "$oom" ] || fail "the kernel ran the OOM killer / reported allocation failures while srd filled memory: $oom"
[ -s "$_T/fill.json" ] || fail "fio left no result (killed?): $(<"$_T/fill.log")"
# fio puts its error messages into --output too, before the JSON.
read -r err written < <(sed -n '/^{/,$p' "$_T/fill.json" | jq -r '.jobs[0] | "\(.error) \(.write.io_bytes)"') ||
	fail "cannot parse fio output: $(<"$_T/fill.json")"
note "fio stopped with error $err after $((written / MiB)) MiB"
assert_eq "$err" 5 "fio error (5 = EIO)"
assert_ge "$written" $((64 * MiB)) "bytes written before the failure"

failures=$(srd_json "$d" alloc_failures)
used=$(used_bytes "$d")
note "alloc_failures $failures, used $((used / MiB)) MiB"
assert_ge "$failures" 1 "alloc_failures"
assert_eq "$(srd_sysfs "$d" alloc_failures)" "$failures" "sysfs alloc_failures"
assert_le "$used" "$ram" "used_bytes (cannot exceed RAM)"

note "the system is still usable"
# Reads of what was written still work, and show the pattern.
run_ok dd if="/dev/$d" of=/dev/null bs=1M count=16 iflag=direct status=none
[ "$(dd if="/dev/$d" bs=512 count=1 iflag=direct status=none | head -c 4 | od -An -tx1 | tr -d ' ')" = "5a5aa5a5" ] ||
	fail "data written before the failure does not read back"

note "removing the disk frees the memory"
settle
run_ok "$STORCTL" ramdisk remove "$d" >/dev/null
settle
drop_caches
avail1=$(mem_kb MemAvailable)
note "MemAvailable after remove: $((avail1 / 1024)) MiB (before: $((avail0 / 1024)) MiB)"
assert_ge "$avail1" $((avail0 - 32 * 1024)) "MemAvailable (KiB) after removing the disk"

pass
