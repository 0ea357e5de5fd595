#!/usr/bin/env bash
# Bad tables and devices that bad_table.sh does not cover: the same device
# as origin and cache under two names, a cache or origin device that is
# mounted, held open exclusively (O_EXCL) or read-only, more modes and block
# sizes that are not valid, devices that do not exist or are not block
# devices, a target longer than its origin, a device that another stor-cache
# target already uses (as cache or origin: shared, they would return each
# other's or stale data), two targets of one table on one cache device.
# Each time "dmsetup create" fails, the kernel log says why and "dmsetup ls" is unchanged (no device
# left behind, also none half made).
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup mkfs.ext4 /usr/bin/python3

o=$(srd_create 32M)
k=$(srd_create 16M)
len=$((32 * 2048))
mnt=$_T/mnt
mkdir -p "$mnt"

ls_before=$(dmsetup ls)

# bad MSG TABLE-ARGS...: "dmsetup create" of "0 $len stor-cache ARGS" (or of
# the whole table line in $TABLE, if set) fails and dmesg has MSG.
bad() {
	local msg=$1 table
	shift
	table=${TABLE:-"0 $len stor-cache $*"}
	dmesg -C
	# No udev sync: nothing waits for the node of a device that never
	# comes to life (faster under TCG); dmsetup ls below is what counts.
	if dmsetup create --noudevsync scbad --table "$table" 2>/dev/null; then
		dmsetup remove scbad
		fail "table '$table' was accepted"
	fi
	kmsg_has "$msg" || fail "table '$table': no '$msg' in dmesg: $(dmesg | tail -3)"
	! dmsetup info scbad >/dev/null 2>&1 || fail "table '$table' left scbad behind"
	assert_eq "$(dmsetup ls)" "$ls_before" "dmsetup ls after '$table'"
}

note "the same device twice"
odev=$(cat "/sys/block/$o/dev")
bad "stor-cache: Origin and cache must be different devices" "/dev/$o $odev 8 wt"
bad "stor-cache: Origin and cache must be different devices" "$odev /dev/$o 8 wa"
bad "stor-cache: Origin and cache must be different devices" "$odev $odev 8 wt"

note "modes and block sizes"
for m in WT w "wt,"; do
	bad "stor-cache: Unknown cache mode" "/dev/$o /dev/$k 8 $m"
done
for b in 0 2 24 1536 2049 -8 0x8 8.0 ""; do
	# An empty block size makes the table one word short.
	if [ -z "$b" ]; then
		bad "stor-cache: Expected <origin>" "/dev/$o /dev/$k wt"
	else
		bad "stor-cache: Invalid cache block size" "/dev/$o /dev/$k $b wt"
	fi
done

note "devices that do not exist or are not block devices"
truncate -s 32M "$_T/file"
for d in 250:250 /dev/null "$_T/file" "$_T" srd0x; do
	bad "stor-cache: Cannot open origin device" "$d /dev/$k 8 wt"
	bad "stor-cache: Cannot open cache device" "/dev/$o $d 8 wt"
done

note "a target longer than its origin"
TABLE="0 $((len + 8)) stor-cache /dev/$o /dev/$k 8 wt" bad "too small for target"

note "a mounted cache device, a mounted origin"
m=$(srd_create 16M)
run_ok mkfs.ext4 -q "/dev/$m"
mount "/dev/$m" "$mnt"
bad "stor-cache: Cannot open cache device" "/dev/$o /dev/$m 8 wt"
bad "stor-cache: Cannot open origin device" "/dev/$m /dev/$k 8 wt"
umount "$mnt"

note "a device held open exclusively (O_EXCL)"
/usr/bin/python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
print("held", flush=True)
time.sleep(300)
' "/dev/$m" >"$_T/held" &
holder=$!
for ((i = 0; i < 100; i++)); do
	[ -s "$_T/held" ] && break
	kill -0 $holder 2>/dev/null || fail "could not open /dev/$m with O_EXCL"
	sleep 0.1
done
[ -s "$_T/held" ] || fail "O_EXCL holder did not start"
bad "stor-cache: Cannot open cache device" "/dev/$o /dev/$m 8 wt"
bad "stor-cache: Cannot open origin device" "/dev/$m /dev/$k 8 wa"
kill $holder
wait $holder 2>/dev/null || true

note "read-only devices"
r=$(srd_create 4M --read-only)
bad "stor-cache: Cannot open cache device" "/dev/$o /dev/$r 8 wt"
bad "stor-cache: Cannot open origin device" "/dev/$r /dev/$k 8 wa"

note "a device another stor-cache device uses"
dmsetup create scother --table "0 $((16 * 2048)) stor-cache /dev/$m /dev/$k 8 wt"
ls_before=$(dmsetup ls)
o2=$(srd_create 16M)
bad "stor-cache: Cache device is already used by another stor-cache target" "/dev/$o /dev/$k 8 wt"
bad "stor-cache: Cache device is already used by another stor-cache target" "/dev/$o2 /dev/$m 8 wa"
bad "stor-cache: Origin device is already used by another stor-cache target" "/dev/$k /dev/$o 8 wt"
bad "stor-cache: Origin device is already used by another stor-cache target" "/dev/$m /dev/$o 8 wt"
# A reload of the device that uses them is not sharing.
dmsetup load scother --table "0 $((16 * 2048)) stor-cache /dev/$m /dev/$k 16 wa"
dmsetup resume scother
assert_contains "$(dmsetup table scother)" " 16 wa" "scother reloaded"
dmsetup remove scother
ls_before=$(dmsetup ls)
note "two targets of one table on one cache device"
TABLE="0 2048 stor-cache /dev/$o /dev/$k 8 wt
2048 2048 stor-cache /dev/$o2 /dev/$k 8 wt" bad "stor-cache: Cache device is already used by another stor-cache target"

note "the devices work once released"
dmsetup create scgood --table "0 $((16 * 2048)) stor-cache /dev/$m /dev/$k 8 wt"
dmsetup remove scgood
assert_eq "$(dmsetup ls)" "$ls_before" "dmsetup ls at the end"
pass "bad devices, modes and block sizes"
