#!/usr/bin/env bash
# storctl cache with bad input: every case fails with its exit code and a
# message naming the problem, and nothing is created (the dmsetup ls output
# does not change).  Includes a table the kernel rejects (the half-created
# device is rolled back) and devices in use (mounted, held by a dm table).
. "$(dirname "$0")/../lib.sh"
need_cmd dmsetup mkfs.ext4 mount umount

o=$(srd_create 32M)
k=$(srd_create 16M)
tiny=$(srd_create 4K)
held=$(srd_create 16M)
mnt_dev=$(srd_create 16M)

# A non-cache dm device holding $held (and a name that is taken).
run_ok dmsetup create cli_hold --table "0 $((16 * 2048)) linear /dev/$held 0"
on_exit "dmsetup remove --retry cli_hold"
mkfs.ext4 -q "/dev/$mnt_dev"
mnt=$_T/mnt
mkdir -p "$mnt"
mount "/dev/$mnt_dev" "$mnt"
on_exit "umount $mnt"
settle

before=$(dmsetup ls | sort)
check_unchanged() {
	local now
	now=$(dmsetup ls | sort)
	assert_eq "$now" "$before" "dmsetup ls after: $1"
}

# bad CODE SUBSTR -- ARGS...: storctl ARGS fails with CODE, stderr has
# SUBSTR, one error line, nothing on stdout, no device created.
bad() {
	local code=$1 substr=$2
	shift 3
	expect_rc "$code" "$substr" -- "$STORCTL" "$@"
	assert_eq "$OUT" "" "stdout of storctl $*"
	[[ "$ERR" == "storctl: error: "* && "$ERR" != *$'\n'* ]] ||
		fail "storctl $*: not one error line: $ERR"
	check_unchanged "storctl $*"
}

C=(cache create --cache "/dev/$k" --origin "/dev/$o")

note "invalid values (exit 2)"
bad 2 "same device" -- cache create --cache "/dev/$o" --origin "/dev/$o" --mode wt
bad 2 "same device" -- cache create --cache "/dev/$o" --origin "/sys/../dev/$o" --mode wb
bad 2 "unknown cache mode 'wx'" -- "${C[@]}" --mode wx
bad 2 "unknown cache mode 'WB'" -- "${C[@]}" --mode WB
bad 2 "invalid block size '3K'" -- "${C[@]}" --mode wt --block-size 3K
bad 2 "invalid block size '96K'" -- "${C[@]}" --mode wa --block-size 96K
bad 2 "invalid block size '2K'" -- "${C[@]}" --mode wt --block-size 2K
bad 2 "invalid block size '2M'" -- "${C[@]}" --mode wt --block-size 2M
bad 2 "invalid block size '8K'" -- "${C[@]}" --mode wb --block-size 8K
bad 2 "invalid block size '1x'" -- "${C[@]}" --mode wt --block-size 1x
bad 2 "must not contain '/'" -- "${C[@]}" --mode wt --name a/b
bad 2 "must not contain '/'" -- "${C[@]}" --mode wt --name ../x
bad 2 "must not be '.' or contain '..'" -- "${C[@]}" --mode wt --name 'a..b'
bad 2 "must not contain spaces" -- "${C[@]}" --mode wt --name 'my cache'
bad 2 "too long (128 characters" -- "${C[@]}" --mode wt --name "$(printf 'n%.0s' {1..128})"
bad 2 "unknown cache policy 'arc'" -- "${C[@]}" --mode wt --policy arc
bad 2 "invalid tunable 'nokey'" -- "${C[@]}" --mode wt --tunable nokey
bad 2 "invalid tunable 'k=-1'" -- "${C[@]}" --mode wt --tunable k=-1
bad 2 "--policy applies to wt and wa" -- "${C[@]}" --mode wb --policy lru
bad 2 "apply to wb caches only" -- "${C[@]}" --mode wt --high-watermark 60
bad 2 "invalid --high-watermark '101'" -- "${C[@]}" --mode wb --high-watermark 101
bad 2 "invalid --writeback-jobs '0'" -- "${C[@]}" --mode wb --writeback-jobs 0
bad 2 "invalid --autocommit-time '3600001'" -- "${C[@]}" --mode wb --autocommit-time 3600001
bad 2 "low watermark (60%)" -- "${C[@]}" --mode wb --low-watermark 60 --high-watermark 40
bad 2 "low watermark (60%)" -- "${C[@]}" --mode wb --low-watermark 60
bad 2 "--mode" -- cache create --cache "/dev/$k" --origin "/dev/$o"
bad 2 "is not a block device" -- cache create --cache /dev/null --origin "/dev/$o" --mode wt
bad 2 "too small for one cache block" -- cache create --cache "/dev/$tiny" --origin "/dev/$o" --mode wt
bad 2 "invalid cache name '../x'" -- cache stats ../x
bad 2 "invalid cache name 'a b'" -- cache remove 'a b'

note "a table the kernel rejects is rolled back (exit 2)"
dmesg -C
bad 2 "the kernel rejected the table" -- "${C[@]}" --mode wt --tunable nosuch_tunable=1
kmsg_has "stor-cache: Invalid policy tunable" ||
	fail "no constructor error in dmesg: $(dmesg | tail -3)"
! dmsetup info "sc_$o" >/dev/null 2>&1 || fail "sc_$o left behind by a rejected table"

note "missing devices (exit 3)"
bad 3 "origin /dev/srd999 does not exist" -- cache create --cache "/dev/$k" --origin /dev/srd999 --mode wt
bad 3 "cache device /dev/nosuch does not exist" -- cache create --cache /dev/nosuch --origin "/dev/$o" --mode wb
bad 3 "no cache named 'nosuch'" -- cache stats nosuch
bad 3 "no cache named 'nosuch'" -- cache remove nosuch --json
bad 3 "'linear' table, not a single stor-cache or writecache target" -- cache stats cli_hold
bad 3 "'linear' table" -- cache remove cli_hold

note "devices in use (exit 4)"
bad 4 "/dev/$held is in use (held by cli_hold)" -- cache create --cache "/dev/$held" --origin "/dev/$o" --mode wt
bad 4 "/dev/$mnt_dev is in use (mounted on $mnt)" -- cache create --cache "/dev/$k" --origin "/dev/$mnt_dev" --mode wb
bad 4 "cache device" -- cache create --cache "/dev/$mnt_dev" --origin "/dev/$o" --mode wa

note "name taken (exit 5)"
bad 5 "'cli_hold' already exists" -- "${C[@]}" --mode wt --name cli_hold
sc cache create --cache "/dev/$k" --origin "/dev/$o" --mode wt --name "$(printf 'x%.0s' {1..127})" >/dev/null
[ -b "/dev/mapper/$(printf 'x%.0s' {1..127})" ] || fail "127-character name not created"
before=$(dmsetup ls | sort)
o3=$(srd_create 16M)
k3=$(srd_create 16M)
bad 5 "already exists" -- cache create --cache "/dev/$k3" --origin "/dev/$o3" --mode wt \
	--name "$(printf 'x%.0s' {1..127})"
# The devices of an existing cache are in use.
bad 4 "held by $(printf 'x%.0s' {1..127})" -- cache create --cache "/dev/$k" --origin "/dev/$o3" --mode wt
sc cache remove "$(printf 'x%.0s' {1..127})" >/dev/null
pass
