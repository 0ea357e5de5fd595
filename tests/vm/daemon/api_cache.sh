#!/usr/bin/env bash
# storctld caches end to end over curl: POST /v1/caches (wt) answers the
# object `storctl --json cache list` prints; GET list/one/stats agree with
# the CLI; stats move with reads and clear-stats resets them; /metrics has
# the per-cache counters; errors (unknown cache 404, devices in use 409, bad
# mode 422, malformed 400); the RapidDisk cache routes in RapidDisk's
# shapes; `storctl --url` gives the same output and exit codes as local
# commands (ramdisk create/info/list/remove, cache list/stats); a restart
# adopts the cache; after kill -9, removing the cache and reloading both
# modules, `storctl restore` (no daemon) and then the daemon recreate RAM
# disks and cache; DELETE removes the cache and its state entry.  A wb
# cache's dirty blocks are written back to the origin at SIGTERM (logged,
# 0 dirty afterwards, the origin alone has the data), but not with
# --stop-flush-timeout 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd storctld curl dmsetup jq

MiB=$((1024 * 1024))
KO_RD=$STORCTL_BUILD/modules/$KVER/ramdisk/stor_ramdisk.ko
KO_SC=$STORCTL_BUILD/modules/$KVER/cache/dm-stor-cache.ko
C=sc_srd0

# cstat FIELD: one counter of GET /v1/caches/$C/stats.
cstat() {
	want 200 GET "/v1/caches/$C/stats"
	jq -r ".$1" <<<"$BODY"
}

# Until no promotion is in flight.
wait_fills() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(cstat fills_in_flight)" == 0 ] && return 0
		sleep 0.1
	done
	fail "fills still in flight"
}

# reload_modules: unload and load stor_ramdisk and dm-stor-cache (every
# device is gone afterwards, as after a reboot).
reload_modules() {
	settle
	run_ok rmmod dm_stor_cache
	run_ok rmmod stor_ramdisk
	run_ok insmod "$KO_RD"
	run_ok insmod "$KO_SC"
	settle
	assert_eq "$(sys_srd_set)" "" "srd devices after the reload"
}

note "start; RAM disks through the API"
start_daemon
want 201 POST /v1/ramdisks '{"size":"32M","index":0}'
want 201 POST /v1/ramdisks '{"size":"16M","index":1}'
settle
want 200 GET /v1/caches
assert_eq "$BODY" "[]" "no caches"

note "create a wt cache"
want 201 POST /v1/caches '{"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt"}'
settle
assert_contains "$HDRS" "Location: /v1/caches/$C" "create headers"
created=$BODY
[ -b "/dev/mapper/$C" ] || fail "/dev/mapper/$C missing after POST"
assert_eq "$(dmsetup table "$C")" \
	"0 65536 stor-cache $(cat /sys/block/srd0/dev) $(cat /sys/block/srd1/dev) 128 wt" "table"
local_list=$(sc --json cache list)
assert_eq "$(jq -cS 'del(.open_count)' <<<"$created")" "$(jq -cS '.[0] | del(.open_count)' <<<"$local_list")" \
	"POST answer vs storctl --json cache list"
want 200 GET /v1/caches
assert_eq "$(jqc .)" "$(jq -cS . <<<"$local_list")" "GET /v1/caches vs storctl --json cache list"
want 200 GET "/v1/caches/$C"
assert_eq "$(jqc .)" "$(jq -cS '.[0]' <<<"$local_list")" "GET /v1/caches/$C"
assert_eq "$(jq -c '.caches' "$STATE")" \
	"[{\"block_size\":65536,\"cache\":\"/dev/srd1\",\"mode\":\"wt\",\"name\":\"$C\",\"origin\":\"/dev/srd0\",\"policy\":null,\"tunables\":{},\"wb\":{}}]" \
	"state file caches"

note "stats move with reads; clear-stats"
settle
wait_fills
# (udev's probing may already have cached a block or two: count reads.)
r0=$(($(cstat read_misses) + $(cstat read_hits)))
run_ok dd if="/dev/mapper/$C" of=/dev/null bs=64K count=16 skip=64 iflag=direct status=none
wait_fills
m1=$(cstat read_misses) h1=$(cstat read_hits)
assert_ge $((m1 + h1)) $((r0 + 16)) "reads counted after the first read"
assert_ge "$m1" 1 "read_misses after the first read"
assert_ge "$(cstat cached_blocks)" 16 "cached_blocks after the first read"
run_ok dd if="/dev/mapper/$C" of=/dev/null bs=64K count=16 skip=64 iflag=direct status=none
h2=$(cstat read_hits)
assert_ge "$h2" $((h1 + 16)) "read_hits after the second read"
want 200 GET "/v1/caches/$C/stats"
assert_eq "$(jqc .)" "$(sc --json cache stats "$C" | jq -cS .)" "stats vs storctl --json cache stats"
want 200 POST "/v1/caches/$C/actions/clear-stats"
assert_eq "$(jqc '[.read_hits, .read_misses, .write_hits, .promotions]')" "[0,0,0,0]" "stats after clear-stats"
assert_ge "$(jqc .cached_blocks)" 16 "cached_blocks kept by clear-stats"
want 200 GET /metrics
for line in "storctl_cache_info{name=\"$C\",mode=\"wt\",target=\"stor-cache\",cache=\"/dev/srd1\",origin=\"/dev/srd0\"} 1" \
	"storctl_cache_size_bytes{name=\"$C\"} $((32 * MiB))" \
	"storctl_stor_cache_read_hits_total{name=\"$C\"} 0" \
	"storctl_stor_cache_total_blocks{name=\"$C\"} 256" \
	'# TYPE storctl_writecache_dirty_blocks gauge'; do
	assert_contains "$BODY" "$line" "/metrics"
done

note "errors"
want_error 404 not_found GET /v1/caches/nope
want_error 404 not_found GET /v1/caches/nope/stats
want_error 404 not_found POST /v1/caches/nope/actions/clear-stats
want_error 404 not_found DELETE /v1/caches/nope
want_error 422 invalid_argument POST /v1/caches '{"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wx"}'
want_error 422 invalid_argument POST /v1/caches '{"cache":"/dev/srd1","origin":"/dev/srd0"}'
want_error 422 invalid_argument POST /v1/caches '{"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt","colour":1}'
want_error 422 invalid_argument POST /v1/caches '{"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wb","policy":"lru"}'
want_error 400 bad_request POST /v1/caches '{"cache":1,"origin":"/dev/srd0","mode":"wt"}'
want_error 400 bad_request POST /v1/caches '{"cache":'
want_error 409 busy POST /v1/caches '{"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wa","name":"other"}'
want_error 409 busy DELETE /v1/ramdisks/srd1
assert_contains "$BODY" "$C" "busy RAM disk names its cache"
want_error 409 busy PATCH /v1/ramdisks/srd0 '{"size":"8M"}'
exec 3<"/dev/mapper/$C"
want_error 409 busy DELETE "/v1/caches/$C"
exec 3<&-
want_error 404 not_found POST /v1/caches '{"cache":"/dev/srd9","origin":"/dev/srd8","mode":"wt"}'
assert_eq "$(dmsetup ls | awk '{print $1}' | xargs)" "$C" "dm devices after the failures"
assert_eq "$(jq -c '[.caches[].name]' "$STATE")" "[\"$C\"]" "state after the failures"

note "RapidDisk-compatible cache routes"
want 200 GET /v1/listRapidDiskVolumes
assert_eq "$(jqc '.volumes[1]')" \
	"{\"rapiddisk_cache\":[{\"cache\":\"srd1\",\"device\":\"$C\",\"mode\":\"write-through\",\"source\":\"srd0\"}]}" \
	"listRapidDiskVolumes caches"
want 200 GET "/v1/showRapidDiskCacheStats/$C"
assert_eq "$(jqc '.statistics[0].cache_stats[0] | keys')" \
	'["cache_hits","cache_reads","cache_writes","device","disk_reads","disk_writes","read_invalidates","reads","replacement","uncached_reads","uncached_writes","write_invalidates","write_replacement","writes"]' \
	"showRapidDiskCacheStats keys"
want_error 404 not_found GET /v1/showRapidDiskCacheStats/nope
assert_eq "$(jqc .status)" '"Failed"' "showRapidDiskCacheStats of a missing cache"
want_error 422 invalid_argument POST /v1/createRapidDiskCache/srd1/srd0/write-sideways
want_error 404 not_found POST /v1/removeRapidDiskCache/nope
want 200 POST "/v1/removeRapidDiskCache/$C"
assert_eq "$BODY" '{"status":"Success"}' "removeRapidDiskCache"
settle
want 200 POST /v1/createRapidDiskCache/srd1/srd0/write-around
assert_eq "$(jqc .)" "{\"device\":\"$C\",\"status\":\"Success\"}" "createRapidDiskCache"
settle
assert_eq "$(dmsetup table "$C" | awk '{print $NF}')" wa "mode of the RapidDisk cache"
want 200 POST "/v1/removeRapidDiskCache/$C"
settle
want 201 POST /v1/caches '{"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt"}'
settle

note "storctl --url: same output and exit codes as local"
# run_rc CMD...: RC and stderr in $_T/e, whatever the exit status.
run_rc() {
	RC=0
	"$@" >"$_T/o" 2>"$_T/e" || RC=$?
}
R=("$STORCTL" --url "$URL")
for args in "ramdisk list" "--json ramdisk list" "cache list" "--json cache list" "ramdisk info srd0" \
	"--json ramdisk info /dev/srd1"; do
	# shellcheck disable=SC2086 # word splitting wanted
	assert_eq "$(run_ok "${R[@]}" $args)" "$(sc $args)" "storctl --url ... $args"
done
settle
assert_eq "$(run_ok "${R[@]}" cache stats "$C")" "$(sc cache stats "$C")" "cache stats through --url"
assert_eq "$(run_ok "${R[@]}" ramdisk create 8M --index 5)" "created srd5 (/dev/srd5, 8.0 MiB)" "--url create"
assert_eq "$(sc ramdisk create 8M --index 6)" "created srd6 (/dev/srd6, 8.0 MiB)" "local create"
settle
assert_eq "$(run_ok "${R[@]}" ramdisk list)" "$(sc ramdisk list)" "ramdisk list with srd5 and srd6"
assert_eq "$(jq -c '[.ramdisks[].index]' "$STATE")" "[0,1,5]" "state after the --url create"
assert_eq "$(STORCTL_URL=$URL run_ok "$STORCTL" --json ramdisk info srd5 | jq -cS 'del(.open_count)')" \
	"$(sc --json ramdisk info srd5 | jq -cS 'del(.open_count)')" "STORCTL_URL info"
for args in "ramdisk info srd9" "ramdisk remove srd1" "ramdisk create 1000" "cache stats nope" \
	"ramdisk info sda"; do
	# shellcheck disable=SC2086
	run_rc "$STORCTL" $args
	lrc=$RC lerr=$(<"$_T/e")
	# shellcheck disable=SC2086
	run_rc "${R[@]}" $args
	assert_eq "$RC" "$lrc" "exit code of storctl --url ... $args"
	assert_ne "$RC" 0 "exit code of $args"
	assert_eq "$(<"$_T/e")" "$lerr" "error of storctl --url ... $args"
done
expect_rc 7 "does not work through storctld" -- "${R[@]}" restore
expect_rc 1 "cannot reach storctld" -- "$STORCTL" --url http://127.0.0.1:9 ramdisk list
assert_eq "$(run_ok "${R[@]}" ramdisk remove srd5)" "removed srd5" "--url remove"
assert_eq "$(sc ramdisk remove srd6)" "removed srd6" "local remove"
assert_eq "$(jq -c '[.ramdisks[].index]' "$STATE")" "[0,1]" "state after the --url remove"

note "restart adopts the cache"
stop_daemon
start_daemon
want 200 GET /v1/status
assert_eq "$(jqc '.restore_report | [.summary, [.caches[] | [.name, .result]]]')" \
	"[{\"adopted\":3,\"failed\":0,\"recreated\":0},[[\"$C\",\"adopted\"]]]" "restore after a restart"

note "kill -9, cache gone, modules reloaded: storctl restore recreates"
kill -9 "$DPID"
wait_gone "$DPID"
rm -f "$PIDFILE"
run_ok dmsetup remove "$C"
reload_modules
expect_rc 0 -- "$STORCTL" restore --state-file "$STATE"
assert_contains "$OUT" "ramdisk srd0: recreated" "storctl restore output"
assert_contains "$OUT" "cache $C: recreated" "storctl restore output"
assert_contains "$OUT" "0 adopted, 3 recreated, 0 failed" "storctl restore summary"
assert_contains "$OUT" "contents are not persisted" "storctl restore note"
settle
assert_eq "$(dmsetup table "$C" | awk '{print $3, $NF}')" "stor-cache wt" "cache after storctl restore"
expect_rc 0 -- "$STORCTL" --json restore --state-file "$STATE"
assert_eq "$(jq -c .summary <<<"$OUT")" '{"adopted":3,"failed":0,"recreated":0}' "second storctl restore adopts"
start_daemon
want 200 GET /v1/status
assert_eq "$(jqc .restore_report.summary)" '{"adopted":3,"failed":0,"recreated":0}' "daemon adopts after storctl restore"

note "kill -9, cache gone, modules reloaded: the daemon recreates"
kill -9 "$DPID"
wait_gone "$DPID"
rm -f "$PIDFILE"
run_ok dmsetup remove "$C"
reload_modules
start_daemon
settle
want 200 GET /v1/status
assert_eq "$(jqc '.restore_report | [.summary, [.caches[] | [.name, .result]], .contents_preserved]')" \
	"[{\"adopted\":0,\"failed\":0,\"recreated\":3},[[\"$C\",\"recreated\"]],false]" "restore after the reload"
want 200 GET "/v1/caches/$C"
assert_eq "$(jqc '[.mode, .cache, .origin, .block_size]')" '["wt","/dev/srd1","/dev/srd0",65536]' "recreated cache"

note "DELETE"
want 200 DELETE "/v1/caches/$C"
assert_eq "$(jqc .)" "{\"deferred\":false,\"removed\":\"$C\",\"written_back_blocks\":0}" "DELETE answer"
settle
dmsetup info "$C" >/dev/null 2>&1 && fail "$C still exists after DELETE"
assert_eq "$(jq -c .caches "$STATE")" "[]" "state after DELETE"
want_error 404 not_found DELETE "/v1/caches/$C"
stop_daemon

note "SIGTERM writes a wb cache back to its origin"
# The daemon's log (stderr) in a file, to see the write-back line.
storctld --listen "127.0.0.1:$PORT" --state-file "$STATE" --pid-file "$PIDFILE" \
	2>"$_T/storctld.log" || fail "storctld did not start: $(<"$_T/storctld.log")"
DPID=$(<"$PIDFILE")
want 201 POST /v1/caches '{"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wb","name":"wbc"}'
settle
head -c $MiB /dev/urandom >"$_T/wbdata"
wbsum=$(sha256sum <"$_T/wbdata" | cut -d' ' -f1)
dd if="$_T/wbdata" of=/dev/mapper/wbc bs=64K seek=32 oflag=direct status=none
want 200 GET /v1/caches/wbc/stats
assert_eq "$(jqc .dirty_blocks)" 256 "dirty blocks after writing 1 MiB through wbc"
kill -TERM "$DPID"
wait_gone "$DPID"
log=$(<"$_T/storctld.log")
assert_contains "$log" "stop: write-back cache wbc: 256 dirty blocks written back to the origin /dev/srd0" \
	"storctld's log at stop"
assert_contains "$log" "stopped" "storctld's log at stop"
assert_eq "$(sc --json cache stats wbc | jq -r '"\(.error) \(.dirty_blocks) \(.writeback_blocks)"')" "0 0 0" \
	"wbc's error, dirty and writeback blocks after SIGTERM"
dmsetup info wbc >/dev/null || fail "wbc gone after SIGTERM"
assert_eq "$(sha_range /dev/srd0 $((2 * MiB)) $MiB)" "$wbsum" "data on the origin srd0 after SIGTERM"
assert_eq "$(sha_range /dev/mapper/wbc $((2 * MiB)) $MiB)" "$wbsum" "data through wbc after SIGTERM"

note "--stop-flush-timeout 0: no write-back at stop"
storctld --listen "127.0.0.1:$PORT" --state-file "$STATE" --pid-file "$PIDFILE" \
	--stop-flush-timeout 0 2>"$_T/storctld.log" || fail "storctld did not start: $(<"$_T/storctld.log")"
DPID=$(<"$PIDFILE")
dd if="$_T/wbdata" of=/dev/mapper/wbc bs=64K seek=64 oflag=direct status=none
kill -TERM "$DPID"
wait_gone "$DPID"
log=$(<"$_T/storctld.log")
[[ "$log" != *"write-back cache wbc"* ]] || fail "write-back at stop despite --stop-flush-timeout 0: $log"
assert_eq "$(sc --json cache stats wbc | jq -r .dirty_blocks)" 256 "dirty blocks after a stop without flush"
assert_contains "$(sc cache remove wbc)" "wrote back 256 blocks" "local remove writes the rest back"

pass
