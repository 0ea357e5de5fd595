# shellcheck shell=bash
# tests/vm/cache/_lib.sh - helpers of the stor-cache VM tests, sourced after
# ../lib.sh (the leading "_" keeps it from being registered as a test):
#
#   SC                   name of the stor-cache dm device the helpers
#                        look at (default sc)
#   st FIELD             one status counter of $SC, FIELD numbered as in
#                        docs/dm-stor-cache.md: 1 read_hits 2 read_misses
#                        3 write_hits 4 write_misses 5 promotions 6 evictions
#                        7 invalidations 8 cache_errors 9 origin_errors
#                        10 cached_blocks 11 total_blocks
#                        12 promotion_failures 13 retries 14 fills_in_flight
#   snap                 all counters of $SC at once into the array S
#                        (S[1] read_hits ... S[14] fills_in_flight)
#   wait_fills           wait until no promotion is in flight
#   wait_cached N        wait until at least N blocks are cached
#   udev_hands_off NAME...
#                        no udev probing of these dm devices: no blkid when
#                        they are created or resumed, no inotify watch (that
#                        probes them whenever a writer closes them).  Such
#                        background reads would change the counters (and
#                        promote blocks) behind the test's back.  Removed by
#                        the cleanup trap.

SC=${SC:-sc}

st() { dmsetup status "$SC" | awk -v f="$1" '{ print $(3 + f) }'; }

S=()
snap() {
	local a
	read -r -a a <<<"$(dmsetup status "$SC")"
	[ "${a[2]}" = stor-cache ] || fail "status of $SC: ${a[*]}"
	# shellcheck disable=SC2034 # for the caller
	S=("${a[@]:2}")
}

wait_fills() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(st 14)" -eq 0 ] && return 0
		sleep 0.1
	done
	fail "fills_in_flight of $SC stayed at $(st 14)"
}

wait_cached() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(st 10)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "cached_blocks of $SC stayed at $(st 10), expected $1"
}

udev_hands_off() {
	local rules=/run/udev/rules.d/56-storctl-test-$TEST_NAME.rules n
	mkdir -p /run/udev/rules.d
	# After 55-dm.rules (sets DM_NAME), before 60-persistent-storage-dm.rules
	# (blkid and the watch), which this flag skips.
	for n in "$@"; do
		echo "SUBSYSTEM==\"block\", ENV{DM_NAME}==\"$n\", ENV{DM_UDEV_DISABLE_DISK_RULES_FLAG}=\"1\""
	done >"$rules"
	on_exit "rm -f $rules; udevadm control --reload-rules"
	udevadm control --reload-rules
}
