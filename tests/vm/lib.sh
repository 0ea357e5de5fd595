# shellcheck shell=bash
# tests/vm/lib.sh - helpers sourced by every VM test (tests/vm/<group>/*.sh).
#
# A VM test runs inside tests/vm/run-vm as root, in the repo root, with
# KVER, STORCTL_SRC, STORCTL_BUILD and VM_RESULTS set and
# $STORCTL_BUILD/bin on PATH.  Source this file first:
#
#   . "$(dirname "$0")/../lib.sh"
#
# What it gives you:
#   note MSG...              progress line on stdout
#   fail MSG...              "FAIL: <test>: MSG" on stderr, exit 1
#   pass [MSG]               "PASS: <test>" (call it last)
#   expect_rc CODE [SUBSTR] -- CMD...
#                            run CMD, assert its exit status is CODE and, if
#                            SUBSTR is given, that its stderr contains SUBSTR
#                            (case-insensitive).  Leaves RC, OUT and ERR.
#   run_ok CMD...            run CMD, fail (showing its stderr) unless it exits 0;
#                            its stdout is passed through
#   assert_eq ACTUAL EXPECTED [WHAT]   (also assert_ne, assert_ge, assert_le,
#                            assert_contains HAYSTACK NEEDLE [WHAT])
#   srd_create ARGS...       storctl --json ramdisk create ARGS, waits for udev,
#                            prints the name (srdN); the disk is removed by
#                            the cleanup trap
#   srd_json NAME KEY        one field of `storctl --json ramdisk info NAME`
#                            (jq -r: null/true/false/numbers as text)
#   srd_sysfs NAME ATTR      cat /sys/block/NAME/srd/ATTR
#   used_bytes NAME          used_bytes (from sysfs, which lifecycle.sh
#                            checks against info)
#   json_name JSON           "name" of an info object without running jq
#   srd_names                names of all disks, from `storctl --json ramdisk list`
#   mem_kb FIELD             a /proc/meminfo field in KiB (MemAvailable, Slab...)
#   drop_caches              sync + drop page/slab caches (before memory readings)
#   settle                   wait for udev to finish processing events
#   kmsg_has REGEX           a kernel log line matches (without the SIGPIPE
#                            race of dmesg | grep -q under pipefail)
#   sha_range DEV OFF LEN    sha256 of LEN bytes of DEV at byte OFF (O_DIRECT read)
#   is_zero DEV OFF LEN      true if that range reads back as zeros
#   fio_run ARGS...          fio with the given arguments, fail on error
#   on_exit CMD              run CMD (eval'd) in the cleanup trap, LIFO
#   project_modprobe NAME [PARAM=VALUE...]
#                            load an on-demand project module (ONDEMAND_MODULES
#                            in run-vm, e.g. stor_rnbd_server): modprobe its
#                            in-kernel dependencies (modinfo -F depends), then
#                            insmod $VM_MODULES_DIR/<dir>/NAME.ko with the
#                            parameters; the cleanup trap unloads it
#
# set -Eeuo pipefail is on: a command failing outside fail() also ends the
# test, with a "FAIL: <test>: exit N from <command> at <file>:<line>" line.
#
# The EXIT trap runs the on_exit hooks, kills background jobs, closes fds
# 3..9, unmounts anything mounted from an srnbd device, unmaps every srnbd
# device and unloads the modules project_modprobe loaded (last loaded
# first), unmounts anything mounted from an srd device, removes dm devices
# stacked on srd and then every srd disk that did not exist when the test
# started.  It never changes the test's exit status.

set -Eeuo pipefail
shopt -s inherit_errexit

TEST_NAME=$(basename "${0%.sh}")
STORCTL=${STORCTL:-storctl}
SRD_CONTROL=/dev/srd-control

note() { echo "[$TEST_NAME +${SECONDS}s] $*"; }

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

pass() { echo "PASS: $TEST_NAME${1:+: $1}"; }

# A command failing outside fail() (set -e) still says what and where.
trap 'echo "FAIL: $TEST_NAME: exit $? from \"$BASH_COMMAND\" at ${BASH_SOURCE[0]##*/}:$LINENO" >&2' ERR

# --- assertions -------------------------------------------------------------

assert_eq() {
	[ "$1" == "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-value}: expected anything but '$2'"
}

assert_ge() {
	[ "$1" -ge "$2" ] || fail "${3:-value}: expected >= $2, got $1"
}

assert_le() {
	[ "$1" -le "$2" ] || fail "${3:-value}: expected <= $2, got $1"
}

assert_contains() {
	[[ "${1,,}" == *"${2,,}"* ]] || fail "${3:-output}: expected to contain '$2', got '$1'"
}

# Scratch files of the helpers below (no mktemp/cat per call: every
# process costs under TCG).
_T=$(mktemp -d /tmp/vmtest.XXXXXX)

# expect_rc CODE [SUBSTR] -- CMD...
expect_rc() {
	local want=$1 substr=""
	shift
	if [ "$1" != "--" ]; then
		substr=$1
		shift
	fi
	[ "$1" == "--" ] || fail "expect_rc: usage: expect_rc CODE [SUBSTR] -- CMD..."
	shift
	local f=$_T/expect.$BASHPID
	RC=0
	"$@" >"$f.out" 2>"$f.err" || RC=$?
	OUT=$(<"$f.out") ERR=$(<"$f.err")
	if [ "$RC" != "$want" ]; then
		fail "'$*': exit code $RC, expected $want (stderr: ${ERR:-<empty>})"
	fi
	if [ -n "$substr" ]; then
		assert_contains "$ERR" "$substr" "stderr of '$*'"
	fi
	return 0
}

run_ok() {
	local rc=0 err f=$_T/run_ok.$BASHPID
	"$@" 2>"$f" || rc=$?
	err=$(<"$f")
	[ "$rc" -eq 0 ] || fail "'$*' exited $rc: ${err:-<no stderr>}"
	[ -z "$err" ] || echo "$err" >&2
}

# --- storctl / srd helpers --------------------------------------------------

# storctl with the error surfaced as a test failure.
sc() { run_ok "$STORCTL" "$@"; }

# Sorted names of srd block devices the kernel has (not via storctl).
sys_srd_names() {
	local p
	for p in /sys/block/srd[0-9]*; do
		[ -e "$p" ] || continue
		echo "${p##*/}"
	done | sort -V
}

# Same, unsorted (glob order) and without starting any process.
sys_srd_set() {
	local p
	for p in /sys/block/srd[0-9]* /dev/srd[0-9]*; do
		[ -e "$p" ] && printf '%s ' "$p"
	done
	return 0
}

# Disks that existed before the test started are left alone by cleanup.
_SRD_BEFORE=" $(sys_srd_names | tr '\n' ' ')"

srd_create() {
	local json
	json=$(sc --json ramdisk create "$@")
	# udevd opens the new disk while it handles the "add" event: wait, so
	# open_count and remove are not disturbed by it.
	settle
	json_name "$json" || fail "create $*: no name in '$json'"
}

# json_name JSON: the "name" of an info object, without starting jq (jq
# takes ~0.5 s to start under TCG; loops use this).
json_name() {
	[[ "$1" =~ \"name\"[[:space:]]*:[[:space:]]*\"(srd[0-9]+)\" ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

srd_info_json() { sc --json ramdisk info "$1"; }

srd_json() {
	local v
	v=$(srd_info_json "$1" | jq -r --arg k "$2" 'if has($k) then .[$k] else error("no key " + $k) end') ||
		fail "srd_json $1 $2: cannot read"
	echo "$v"
}

srd_sysfs() {
	local f=/sys/block/$1/srd/$2
	[ -r "$f" ] || fail "$f missing"
	cat "$f"
}

# From sysfs (cheap); lifecycle.sh checks that sysfs and info agree.
used_bytes() { srd_sysfs "$1" used_bytes; }

srd_names() { sc --json ramdisk list | jq -r '.[].name'; }

# --- system helpers ---------------------------------------------------------

settle() { udevadm settle --timeout=30 2>/dev/null || true; }

# kmsg_has REGEX: some kernel log line matches.  grep reads all of
# dmesg's output: `dmesg | grep -q` fails under pipefail whenever grep
# quits at a match before dmesg has written the rest (SIGPIPE).
kmsg_has() { dmesg | grep -c -- "$1" >/dev/null; }

mem_kb() { awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo; }

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# A second pass picks up slab objects freed by the first.
	echo 3 >/proc/sys/vm/drop_caches
}

sha_range() {
	local dev=$1 off=$2 len=$3
	dd if="$dev" bs=64K iflag=direct,skip_bytes,count_bytes skip="$off" count="$len" \
		status=none | sha256sum | cut -d' ' -f1
}

is_zero() {
	local dev=$1 off=$2 len=$3
	dd if="$dev" bs=64K iflag=direct,skip_bytes,count_bytes skip="$off" count="$len" \
		status=none | cmp -s -n "$len" - /dev/zero
}

fio_run() {
	local out rc=0
	out=$(fio --minimal "$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "$out" >&2
		fail "fio $* exited $rc"
	fi
	# terse v3: field 5 is the job's error code; non-zero means an I/O error
	# fio did not count as fatal.
	if awk -F';' '$1 == "3" && NF > 100 && $5 != 0 { bad = 1 } END { exit !bad }' <<<"$out"; then
		echo "$out" >&2
		fail "fio $* reported a job error"
	fi
}

# Modules loaded by project_modprobe, last loaded first.
_PROJECT_LOADED=()

project_modprobe() {
	local name=${1:?project_modprobe: module name} dir ko dep deps
	shift
	dir=${VM_MODULES_DIR:-$STORCTL_BUILD/modules/$KVER}
	ko=$(find "$dir" -name "$name.ko" -type f 2>/dev/null | head -n 1)
	[ -n "$ko" ] || fail "project_modprobe: no $name.ko under $dir (make modules-all)"
	[ ! -d "/sys/module/$name" ] || fail "project_modprobe: $name is already loaded"
	deps=$(modinfo -F depends "$ko") || fail "project_modprobe: modinfo $ko failed"
	for dep in ${deps//,/ }; do
		modprobe "$dep" || fail "project_modprobe: modprobe $dep (for $name) failed"
	done
	insmod "$ko" "$@" || fail "project_modprobe: insmod $ko $* failed"
	_PROJECT_LOADED=("$name" "${_PROJECT_LOADED[@]}")
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || fail "required command '$c' not found"
	done
}

# --- cleanup ----------------------------------------------------------------

_ON_EXIT=()
on_exit() { _ON_EXIT=("$1" "${_ON_EXIT[@]}"); }

_cleanup() {
	local rc=$? h fd m d n
	set +e
	trap - ERR
	for h in "${_ON_EXIT[@]}"; do
		eval "$h" >/dev/null 2>&1
	done
	# shellcheck disable=SC2046
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	for fd in 3 4 5 6 7 8 9; do
		eval "exec $fd>&-" 2>/dev/null
	done
	# Remote block devices (stor_rnbd_client) first: they may sit on srd
	# disks of the server side.  Unmount, unmap, unload.
	awk '$1 ~ "^/dev/srnbd" { print $2 }' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m"
	done
	for d in /sys/block/srnbd*/stor-rnbd/unmap_device; do
		[ -e "$d" ] && echo force >"$d"
	done
	for m in "${_PROJECT_LOADED[@]}"; do
		[ -d "/sys/module/$m" ] || continue
		rmmod "$m" || echo "[$TEST_NAME] cleanup: could not unload $m" >&2
	done
	# Unmount anything on srd devices (deepest first).
	awk '$1 ~ "^/dev/srd" { print $2 }' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m"
	done
	# dm devices on top of srd disks.
	for d in /sys/block/dm-*; do
		[ -d "$d/slaves" ] || continue
		if compgen -G "$d/slaves/srd*" >/dev/null; then
			dmsetup remove --retry "$(cat "$d/dm/name")"
		fi
	done
	if [ -e "$SRD_CONTROL" ]; then
		settle
		for n in $(sys_srd_names); do
			[[ "$_SRD_BEFORE" == *" $n "* ]] && continue
			"$STORCTL" ramdisk remove "$n" >/dev/null 2>&1 ||
				echo "[$TEST_NAME] cleanup: could not remove $n" >&2
		done
	fi
	rm -rf "$_T"
	exit "$rc"
}
trap _cleanup EXIT

# --- preconditions ----------------------------------------------------------

[ -n "${KVER:-}" ] || fail "not inside the test VM (KVER unset); run through tests/vm/run-vm"
[ "$(id -u)" -eq 0 ] || fail "must run as root"
need_cmd "$STORCTL" jq
# A test that loads the modules itself (run-vm --no-modules) sets
# LIB_MODULES_LATER=1 before sourcing this file.
[ "${LIB_MODULES_LATER:-0}" = 1 ] || [ -c "$SRD_CONTROL" ] ||
	fail "$SRD_CONTROL missing: stor_ramdisk not loaded?"
