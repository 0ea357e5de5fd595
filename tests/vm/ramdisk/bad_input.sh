#!/usr/bin/env bash
# Bad input is refused with a clear error and the documented exit code, and
# NOTHING is created or changed: the disk list, /sys/block/srd* and /dev/srd*
# are the same before and after every refused command.
. "$(dirname "$0")/../lib.sh"

GiB=$((1024 * 1024 * 1024))
ram=$(($(mem_kb MemTotal) * 1024))
# Clearly above physical RAM, a whole number of GiB.
big=$((ram * 2 / GiB + 1))G

# One existing disk, so "unchanged" is not just "still empty".
d=$(srd_create 8M)
assert_eq "$d" srd0 "first disk"

snapshot() {
	# Raw storctl output (no jq: it is slow to start under TCG).
	echo "list: $(sc --json ramdisk list)"
	echo "sys+dev: $(sys_srd_set)"
}
before=$(snapshot)

# refused CODE SUBSTR ARGS...: storctl ARGS fails with CODE, says SUBSTR on
# stderr in one "storctl: error: " line, and changes nothing.  ARGS may
# also be a whole command line that runs storctl (setpriv ... storctl ...).
refused() {
	local code=$1 substr=$2
	shift 2
	if [ "$1" != setpriv ]; then
		set -- "$STORCTL" "$@"
	fi
	expect_rc "$code" "$substr" -- "$@"
	[[ "$ERR" != *$'\n'* ]] || fail "'$*': more than one line on stderr: $ERR"
	[[ "$ERR" == "storctl: error: "* ]] || fail "'$*': stderr is not 'storctl: error: ...': $ERR"
	assert_eq "$OUT" "" "stdout of refused '$*'"
	assert_eq "$(snapshot)" "$before" "state after refused '$*'"
}

note "sizes"
refused 2 "size" ramdisk create 0
refused 2 "multiple of 4096" ramdisk create 4097
refused 2 "size" ramdisk create 1.5M
refused 2 "" ramdisk create -- -4096
refused 2 "size" ramdisk create 99999999999999999999
refused 2 "size" ramdisk create 17179869184T
refused 2 "size" ramdisk create 4096X
refused 2 "size" ramdisk create ""
refused 2 "overcommit" ramdisk create "$big"
refused 2 "multiple of 4096" ramdisk resize srd0 4097
refused 2 "size" ramdisk resize srd0 0
refused 2 "overcommit" ramdisk resize srd0 "$big"

note "names"
refused 3 "srd42" ramdisk info srd42
refused 3 "srd42" ramdisk remove srd42
refused 3 "srd42" ramdisk resize srd42 8M
for bad in ../sda srd1/x sda srd01 srd-1 /dev/sda /dev/../dev/srd0 srd ""; do
	refused 2 "'$bad'" ramdisk info "$bad"
	refused 2 "'$bad'" ramdisk remove "$bad"
done

note "options"
refused 2 "1024" ramdisk create 8M --logical-block-size 1024
refused 2 "99" ramdisk create 8M --numa 99
refused 2 "" ramdisk create 8M --index 100000
refused 5 "srd0" ramdisk create 8M --index 0
refused 2 "" ramdisk create 8M --no-such-option
refused 2 "" ramdisk frobnicate
refused 2 "" ramdisk create

note "permission: an unprivileged user"
need_cmd setpriv
unpriv=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
refused 6 "" "${unpriv[@]}" "$STORCTL" ramdisk create 8M
refused 6 "" "${unpriv[@]}" "$STORCTL" ramdisk remove srd0
refused 6 "" "${unpriv[@]}" "$STORCTL" ramdisk resize srd0 16M

note "--overcommit allows a sparse disk larger than RAM"
o=$(srd_create "$big" --overcommit)
assert_eq "$(srd_json "$o" overcommit)" true "overcommit flag"
assert_eq "$(srd_json "$o" used_bytes)" 0 "used_bytes of the sparse disk"
assert_eq "$(srd_sysfs "$o" options)" overcommit "sysfs options"
dd if=/dev/urandom of="/dev/$o" bs=1M count=1 seek=$((ram * 2 / 1024 / 1024)) oflag=direct status=none
assert_eq "$(srd_json "$o" used_bytes)" $((1024 * 1024)) "used_bytes after 1 MiB written past RAM size"
settle
run_ok "$STORCTL" ramdisk remove "$o" >/dev/null
settle
assert_eq "$(snapshot)" "$before" "state after removing the overcommitted disk"

pass
