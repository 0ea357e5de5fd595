#!/usr/bin/env bash
# Concurrency: fio write+verify keeps running on one disk while other disks
# are created, written and removed 15 times and the disk list is read in a
# loop.  Everything succeeds (and the harness finds the dmesg clean).
# Two guest CPUs, so the racing parties really run at the same time.
# vm-args: --smp 2
. "$(dirname "$0")/../lib.sh"
need_cmd fio

CYCLES=15
v=$(srd_create 64M)
state=$(mktemp -d)

# Background 1: repeated complete write+verify passes on $v until told to stop.
(
	n=0
	while [ ! -e "$state/stop" ]; do
		if ! fio --minimal --name=conc --filename="/dev/$v" --ioengine=libaio --iodepth=16 \
			--direct=1 --rw=randwrite --bs=4k --size=16m --offset=$(((n % 4) * 16))m \
			--verify=crc32c --do_verify=1 --verify_fatal=1 >"$state/fio.out" 2>&1; then
			cp "$state/fio.out" "$state/fio.failed"
			break
		fi
		n=$((n + 1))
		echo $n >"$state/fio.passes"
	done
) &
fio_pid=$!

# Background 2: list in a loop; disks coming and going must not make it fail.
(
	n=0
	while [ ! -e "$state/stop" ]; do
		if ! out=$("$STORCTL" --json ramdisk list 2>&1) || ! jq -e 'type == "array"' <<<"$out" >/dev/null; then
			echo "$out" >"$state/list.failed"
			break
		fi
		n=$((n + 1))
		echo $n >"$state/list.passes"
	done
) &
list_pid=$!

note "$CYCLES create/write/remove cycles next to fio"
for i in $(seq 1 $CYCLES); do
	j=$("$STORCTL" --json ramdisk create $(((i % 4 + 1) * 4))M 2>&1) || fail "cycle $i: create: $j"
	n=$(json_name "$j") || fail "cycle $i: no name in $j"
	dd if=/dev/urandom of="/dev/$n" bs=64k count=8 oflag=direct status=none ||
		fail "cycle $i: write to $n failed"
	[ "$(used_bytes "$n")" = $((512 * 1024)) ] || fail "cycle $i: used_bytes of $n"
	settle # udevd holds a new disk open while it handles the "add" event
	out=$("$STORCTL" ramdisk remove "$n" 2>&1) || fail "cycle $i: remove $n: $out"
	[ -e "$state/fio.failed" ] && break
done
# At least one full fio pass must overlap with the cycles.
while [ ! -s "$state/fio.passes" ] && [ ! -e "$state/fio.failed" ]; do sleep 0.5; done
touch "$state/stop"
wait "$fio_pid" "$list_pid"

[ ! -e "$state/fio.failed" ] || fail "fio verify failed during create/remove: $(cat "$state/fio.failed")"
[ ! -e "$state/list.failed" ] || fail "list failed during create/remove: $(cat "$state/list.failed")"
note "fio passes: $(cat "$state/fio.passes"), lists: $(cat "$state/list.passes" 2>/dev/null || echo 0)"
assert_ge "$(cat "$state/list.passes" 2>/dev/null || echo 0)" 1 "successful list calls"
assert_eq "$(sc --json ramdisk list | jq -r '[.[].name] | join(" ")')" "$v" "disks left"
assert_eq "$(srd_json "$v" alloc_failures)" 0 "alloc_failures"

pass
