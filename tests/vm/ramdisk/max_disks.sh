#!/usr/bin/env bash
# Module parameter max_disks: shown read-only (0444) in sysfs; with
# max_disks=2 a third disk is refused (ENOSPC: exit 1, the message names the
# limit) and --index 2 is invalid (EINVAL: exit 2), nothing is created;
# freeing a slot makes room again.  The default is 64.
. "$(dirname "$0")/../lib.sh"

KO=$STORCTL_BUILD/modules/$KVER/ramdisk/stor_ramdisk.ko
P=/sys/module/stor_ramdisk/parameters/max_disks
[ -f "$KO" ] || fail "$KO missing"

assert_eq "$(cat $P)" 64 "default max_disks"
assert_eq "$(stat -c %a $P)" 444 "mode of $P"

reload() {
	settle
	run_ok rmmod stor_ramdisk
	run_ok insmod "$KO" "$@"
	settle
	[ -c "$SRD_CONTROL" ] || fail "$SRD_CONTROL missing after insmod $*"
}
# Whatever happens, leave the module loaded with its defaults.
on_exit "rmmod stor_ramdisk; insmod '$KO'"

reload max_disks=2
assert_eq "$(cat $P)" 2 "max_disks after insmod max_disks=2"
a=$(srd_create 4M)
b=$(srd_create 4M)
assert_eq "$a $b" "srd0 srd1" "the two disks"
before=$("$STORCTL" --json ramdisk list)
expect_rc 1 "max_disks" -- "$STORCTL" ramdisk create 4M
expect_rc 2 "" -- "$STORCTL" ramdisk create 4M --index 2
settle
assert_eq "$("$STORCTL" --json ramdisk list)" "$before" "list after refused creates"
assert_eq "$(sys_srd_names | xargs)" "srd0 srd1" "srd devices after refused creates"

note "a freed slot can be used again"
run_ok "$STORCTL" ramdisk remove srd0 >/dev/null
assert_eq "$(srd_create 4M)" srd0 "disk created in the freed slot"

note "removing everything lets the module go"
for n in srd0 srd1; do run_ok "$STORCTL" ramdisk remove "$n" >/dev/null; done
reload
assert_eq "$(cat $P)" 64 "max_disks after reloading without parameters"

pass
