#!/usr/bin/env bash
# storctld end to end over curl: every RAM disk endpoint with its success
# and failure codes (the same objects as `storctl --json`), status,
# resources, metrics, the RapidDisk-compatible routes in RapidDisk's shapes,
# malformed requests, 20 parallel clients creating and deleting, start-up
# refusals (non-loopback without a token, a readable token file), bearer
# tokens (401), TLS, SIGTERM finishing a request in flight (sent in two
# parts around the signal), and the state
# surviving kill -9 plus a module unload (disks recreated empty, and the
# restore report says so).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd storctld curl

MiB=$((1024 * 1024))
KO=$STORCTL_BUILD/modules/$KVER/ramdisk/stor_ramdisk.ko

# ---------------------------------------------------------------------------
note "start-up refusals"
expect_rc 2 "requires authentication" -- storctld --listen 0.0.0.0:9119 --state-file "$STATE"
expect_rc 2 "requires authentication" -- storctld --listen "127.0.0.1:9119" --listen "[::]:9119" \
	--state-file "$STATE"
head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$_T/token"
chmod 644 "$_T/token"
expect_rc 2 "must not be accessible by group or others" -- \
	storctld --listen 0.0.0.0:9119 --token-file "$_T/token" --state-file "$STATE"
chmod 600 "$_T/token"
expect_rc 2 "tls-key" -- storctld --listen 127.0.0.1:9119 --tls-cert /dev/null --state-file "$STATE"
expect_rc 2 "invalid listen address" -- storctld --listen localhost:9119 --state-file "$STATE"
[ ! -e "$STATE" ] || fail "a refused start wrote $STATE"
curl -s -o /dev/null http://127.0.0.1:9119/ && fail "something listens on 9119 after refused starts"

note "start"
start_daemon
want 200 GET /v1/status
read -r rel modloaded abi restored < <(jq -r '[.kernel.release, .modules.stor_ramdisk,
	.ramdisk_abi_version, .restore_report.state_file_existed] | @tsv' <<<"$BODY")
assert_eq "$rel" "$(uname -r)" "status kernel.release"
assert_eq "$modloaded" true "status modules.stor_ramdisk"
assert_eq "$abi" 1 "status ramdisk_abi_version"
assert_eq "$restored" false "status restore_report.state_file_existed"

want 200 GET /v1/ramdisks
assert_eq "$BODY" "[]" "empty list"

note "create, get, list, resize"
want 201 POST /v1/ramdisks '{"size":"64M"}'
settle
assert_contains "$HDRS" "Location: /v1/ramdisks/srd0" "create headers"
assert_eq "$(jqc 'del(.open_count)')" "$(sc --json ramdisk info srd0 | jq -cS 'del(.open_count)')" \
	"POST answer vs storctl --json ramdisk info"
want 201 POST /v1/ramdisks '{"size":16777216,"index":3,"logical_block_size":4096,"read_only":true}'
settle
assert_eq "$(jqc '[.name, .size_bytes, .logical_block_size, .read_only, .prealloc]')" \
	'["srd3",16777216,4096,true,false]' "created srd3"
assert_eq "$(cat /sys/block/srd3/queue/logical_block_size)" 4096 "srd3 logical block size"
assert_eq "$(srd_sysfs srd3 options)" read_only "srd3 sysfs options"

want 200 GET /v1/ramdisks
assert_eq "$(jqc '[.[].name]')" '["srd0","srd3"]' "list names"
assert_eq "$BODY" "$(sc --json ramdisk list | jq -c .)" "GET /v1/ramdisks vs storctl --json ramdisk list"
want 200 GET /v1/ramdisks/srd3
assert_eq "$(jqc .name)" '"srd3"' "GET srd3"
want 200 PATCH /v1/ramdisks/srd0 '{"size":"128M"}'
assert_eq "$(jqc .size_bytes)" $((128 * MiB)) "PATCH answer"
assert_eq "$(blockdev --getsize64 /dev/srd0)" $((128 * MiB)) "srd0 size after PATCH"
assert_eq "$(jq -c '[.ramdisks[] | [.index, .size_bytes, .logical_block_size, .read_only]]' "$STATE")" \
	"[[0,$((128 * MiB)),512,false],[3,$((16 * MiB)),4096,true]]" "state file"
[ "$(stat -c %a "$STATE")" == 600 ] || fail "state file mode $(stat -c %a "$STATE")"

note "failures and their codes"
want_error 409 exists POST /v1/ramdisks '{"size":"4M","index":3}'
want_error 422 invalid_argument POST /v1/ramdisks '{"size":"1000"}'
want_error 422 invalid_argument POST /v1/ramdisks '{"size":"4M","colour":"red"}'
want_error 422 invalid_argument POST /v1/ramdisks '{"size":"1T"}'
assert_contains "$BODY" "exceeds physical memory" "E2BIG message"
want_error 400 bad_request POST /v1/ramdisks '{"size":'
want_error 400 bad_request POST /v1/ramdisks '{"size":"4M","prealloc":"yes"}'
want_error 400 bad_request POST /v1/ramdisks '[1,2]'
want_error 404 not_found GET /v1/ramdisks/srd9
want_error 404 not_found PATCH /v1/ramdisks/srd9 '{"size":"8M"}'
want_error 404 not_found DELETE /v1/ramdisks/srd9
want_error 422 invalid_argument GET /v1/ramdisks/sda
want_error 422 invalid_argument PATCH /v1/ramdisks/srd0 '{"size":"64M","read_only":true}'
exec 3</dev/srd3
want_error 409 busy DELETE /v1/ramdisks/srd3
want_error 409 busy PATCH /v1/ramdisks/srd3 '{"size":"8M"}'
exec 3<&-
# Nothing above changed anything.
want 200 GET /v1/ramdisks
assert_eq "$(jqc '[.[] | [.name, .size_bytes]]')" "[[\"srd0\",$((128 * MiB))],[\"srd3\",$((16 * MiB))]]" \
	"disks after the failures"

note "malformed requests"
want_error 400 bad_request GET /v1/ramdisks/..
want_error 400 bad_request GET /v1/ramdisks/%2e%2e
want_error 400 bad_request DELETE "/v1/ramdisks/srd0/../srd3"
want_error 400 bad_request GET "$(printf '/v1%.0s' {1..200})"
want_error 400 bad_request GET /v1/ramdisks/srd%01
want_error 404 not_found GET /v1/nothing
want_error 405 method_not_allowed BREW /v1/ramdisks
assert_contains "$HDRS" "Allow: GET, HEAD, POST" "405 headers"
want_error 405 method_not_allowed PUT /v1/ramdisks/srd0
head -c 100000 /dev/zero | tr '\0' ' ' >"$_T/big"
want_error 413 payload_too_large POST /v1/ramdisks "@$_T/big"
CODE=$(curl -s -o "$_T/body" -w '%{http_code}' -X POST --data '{"size":"4M"}' "$URL/v1/ramdisks")
assert_eq "$CODE" 415 "form-encoded body"
want 200 GET /v1/checkServiceStatus

note "status, resources, metrics"
want 200 GET /v1/resources
read -r total srd0size < <(jq -r '[.memory.total_bytes,
	(.block_devices[] | select(.name == "srd0") | .size_bytes)] | @tsv' <<<"$BODY")
assert_eq "$total" $(($(mem_kb MemTotal) * 1024)) "resources memory.total_bytes"
assert_eq "$srd0size" $((128 * MiB)) "resources srd0 size_bytes"
want 200 GET /metrics
assert_contains "$HDRS" "Content-Type: text/plain; version=0.0.4" "metrics content type"
for line in 'storctl_build_info{version="' \
	"storctl_ramdisk_size_bytes{name=\"srd0\"} $((128 * MiB))" \
	"storctl_ramdisk_size_bytes{name=\"srd3\"} $((16 * MiB))" \
	'storctl_ramdisk_used_bytes{name="srd3"} 0' \
	'storctl_http_requests_total{method="POST",route="/v1/ramdisks",code="201"} 2' \
	'storctl_http_requests_total{method="POST",route="/v1/ramdisks",code="409"} 1' \
	'storctl_http_requests_total{method="DELETE",route="/v1/ramdisks/{name}",code="409"} 1' \
	'storctl_http_request_duration_seconds_bucket{method="GET",route="/v1/ramdisks",le="+Inf"}'; do
	assert_contains "$BODY" "$line" "/metrics"
done

note "RapidDisk-compatible routes"
want 200 GET /v1/checkServiceStatus
assert_eq "$(jqc 'keys')" '["status","version"]' "checkServiceStatus keys"
assert_eq "$(jqc .status)" '"OK"' "checkServiceStatus status"
want 200 POST /v1/createRapidDisk/32
assert_eq "$(jqc .status)" '"Success"' "createRapidDisk status"
rd=$(jq -r .device <<<"$BODY")
settle
want 200 GET /v1/listRapidDiskVolumes
assert_eq "$(jqc .)" "{\"volumes\":[{\"rapiddisk\":[{\"device\":\"srd0\",\"size\":$((128 * MiB))},{\"device\":\"$rd\",\"size\":$((32 * MiB))},{\"device\":\"srd3\",\"size\":$((16 * MiB))}]},{\"rapiddisk_cache\":[]}]}" \
	"listRapidDiskVolumes"
want 200 POST "/v1/resizeRapidDisk/$rd/48"
assert_eq "$BODY" '{"status":"Success"}' "resizeRapidDisk"
assert_eq "$(blockdev --getsize64 "/dev/$rd")" $((48 * MiB)) "$rd size after resizeRapidDisk"
want 200 GET /v1/listAllResources
assert_eq "$(jqc '[(.resources[0].memory[0] | keys), (.resources[1].volumes[0] | keys)]')" \
	'[["mem_free","mem_total"],["device","model","size","vendor"]]' "listAllResources shape"
want 200 POST "/v1/removeRapidDisk/$rd"
assert_eq "$BODY" '{"status":"Success"}' "removeRapidDisk"
[ ! -e "/sys/block/$rd" ] || fail "$rd still exists after removeRapidDisk"
want_error 404 not_found POST "/v1/removeRapidDisk/$rd"
assert_eq "$(jqc .status)" '"Failed"' "removeRapidDisk of a missing disk"
want_error 422 invalid_argument POST /v1/createRapidDisk/0
assert_eq "$(jqc .status)" '"Failed"' "createRapidDisk/0"
want_error 405 method_not_allowed GET /v1/createRapidDisk/32

note "20 parallel clients creating and deleting"
# client N: create a disk, then delete it.
client() {
	local name
	api POST /v1/ramdisks '{"size":"4M"}'
	if [ "$CODE" != 201 ] || ! [[ "$BODY" =~ \"name\":\"(srd[0-9]+)\" ]]; then
		echo "client $1: create: HTTP $CODE: $BODY" >>"$_T/client-errors"
		return
	fi
	name=${BASH_REMATCH[1]}
	# udev probes new disks; the daemon retries EBUSY briefly, and a
	# client may have to try again.
	for _ in 1 2 3 4 5; do
		api DELETE "/v1/ramdisks/$name"
		[ "$CODE" == 409 ] || break
		sleep 1
	done
	[ "$CODE" == 200 ] || echo "client $1: delete $name: HTTP $CODE: $BODY" >>"$_T/client-errors"
}
t0=$SECONDS
for c in $(seq 1 20); do client "$c" & done
wait
note "parallel clients done in $((SECONDS - t0)) s"
[ ! -s "$_T/client-errors" ] || fail "parallel clients: $(<"$_T/client-errors")"
settle
want 200 GET /v1/ramdisks
assert_eq "$(jqc '[.[].name]')" '["srd0","srd3"]' "disks after the parallel clients (API)"
assert_eq "$(sys_srd_names | xargs)" "srd0 srd3" "disks after the parallel clients (kernel)"
assert_eq "$(jq -c '[.ramdisks[].index]' "$STATE")" "[0,3]" "state after the parallel clients"
want 200 GET /metrics
assert_contains "$BODY" 'storctl_http_requests_total{method="POST",route="/v1/ramdisks",code="201"} 22' \
	"creates counted"

note "state survives kill -9 and a module unload"
head -c 65536 /dev/urandom >"$_T/data"
run_ok dd if="$_T/data" of=/dev/srd0 bs=64K oflag=direct status=none
kill -9 "$DPID"
wait_gone "$DPID"
rm -f "$PIDFILE"
settle
run_ok rmmod stor_ramdisk
settle
assert_eq "$(sys_srd_set)" "" "srd devices after rmmod"
run_ok insmod "$KO"
settle
start_daemon
settle
want 200 GET /v1/status
assert_eq "$(jqc '.restore_report | [.state_file_existed, .contents_preserved, .summary]')" \
	'[true,false,{"adopted":0,"failed":0,"recreated":2}]' "restore report after the reload"
assert_contains "$(jqc .restore_report.note)" "contents are not persisted" "restore report note"
assert_eq "$(jqc '[.restore_report.ramdisks[] | [.name, .result]]')" \
	'[["srd0","recreated"],["srd3","recreated"]]' "restore report items"
assert_contains "$(jqc .restore_report.ramdisks[0].message)" "previous contents were not kept" "srd0 restore message"
want 200 GET /v1/ramdisks/srd0
assert_eq "$(jqc '[.size_bytes, .logical_block_size, .read_only]')" "[$((128 * MiB)),512,false]" "srd0 restored"
want 200 GET /v1/ramdisks/srd3
assert_eq "$(jqc '[.size_bytes, .logical_block_size, .read_only]')" "[$((16 * MiB)),4096,true]" "srd3 restored"
is_zero /dev/srd0 0 65536 || fail "srd0 kept data across a module reload?"

note "restart adopts what exists"
stop_daemon
start_daemon
want 200 GET /v1/status
assert_eq "$(jqc .restore_report.summary)" '{"adopted":2,"failed":0,"recreated":0}' "restore after a restart"
stop_daemon

note "bearer token on a non-loopback listener"
API_HEADERS=()
run_ok storctld --listen 0.0.0.0:$PORT --token-file "$_T/token" --state-file "$_T/lib2/state.json" \
	--pid-file "$_T/tok.pid"
DPID=$(<"$_T/tok.pid")
want_error 401 unauthorized GET /v1/ramdisks
assert_contains "$HDRS" 'WWW-Authenticate: Bearer' "401 headers"
API_HEADERS=("Authorization: Bearer wrong-token-wrong-token")
want_error 401 unauthorized GET /v1/ramdisks
want_error 401 unauthorized POST /v1/ramdisks '{"size":"4M"}'
API_HEADERS=("Authorization: Bearer $(<"$_T/token")")
want 200 GET /v1/ramdisks
assert_eq "$(jqc '[.[].name]')" '["srd0","srd3"]' "list with the token"
want 200 GET /metrics
kill -TERM "$DPID"
wait_gone "$DPID"

note "TLS"
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=127.0.0.1 -keyout "$_T/key.pem" -out "$_T/cert.pem" 2>/dev/null ||
		fail "openssl could not make a certificate"
	run_ok storctld --listen 127.0.0.1:9120 --tls-cert "$_T/cert.pem" --tls-key "$_T/key.pem" \
		--token-file "$_T/token" --state-file "$_T/lib3/state.json" --pid-file "$_T/tls.pid"
	DPID=$(<"$_T/tls.pid")
	out=$(curl -s --cacert "$_T/cert.pem" -H "Authorization: Bearer $(<"$_T/token")" \
		https://127.0.0.1:9120/v1/checkServiceStatus) || fail "HTTPS request failed"
	assert_contains "$out" '"status":"OK"' "HTTPS checkServiceStatus"
	curl -s -o /dev/null http://127.0.0.1:9120/v1/checkServiceStatus &&
		fail "plain HTTP answered on the TLS listener"
	kill -TERM "$DPID"
	wait_gone "$DPID"
else
	fail "openssl missing: cannot test TLS"
fi

note "SIGTERM lets a request in flight finish, exit 0"
API_HEADERS=()
storctld --foreground --listen "127.0.0.1:$PORT" --state-file "$STATE" 2>"$_T/fg.log" &
fg=$!
for ((i = 0; i < 100; i++)); do
	curl -s -o /dev/null "$URL/v1/checkServiceStatus" && break
	sleep 0.1
done
# A request in flight: its headers sent, its body not yet.  The daemon has
# started on it once the gauge counts it and the /metrics request itself.
body='{"size":"4M"}'
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/ramdisks HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n' \
	"${#body}" >&5
for ((i = 0; i < 100; i++)); do
	n=$(curl -s "$URL/metrics" | sed -n 's/^storctl_http_requests_in_flight //p')
	[ "${n:-0}" -ge 2 ] && break
	sleep 0.1
done
[ "${n:-0}" -ge 2 ] || fail "the POST never showed in storctl_http_requests_in_flight (last: '$n')"
kill -TERM "$fg"
# Stopped accepting, still serving the POST.
for ((i = 0; i < 100; i++)); do
	curl -s -o /dev/null "$URL/v1/checkServiceStatus" || break
	sleep 0.1
done
curl -s -o /dev/null "$URL/v1/checkServiceStatus" && fail "still accepting connections after SIGTERM"
kill -0 "$fg" 2>/dev/null || fail "storctld exited with a request in flight"
printf '%s' "$body" >&5
answer=$(timeout 30 cat <&5) || fail "reading the in-flight answer: $answer"
exec 5<&-
rc=0
wait "$fg" || rc=$?
assert_contains "${answer%%$'\r'*}" "HTTP/1.1 201" "in-flight POST answered after SIGTERM"
assert_eq "$rc" 0 "storctld exit status after SIGTERM"
assert_contains "$(<"$_T/fg.log")" "received SIGTERM" "foreground log"
assert_eq "$(jq -c '[.ramdisks[].index]' "$STATE")" "[0,1,3]" "state written by the in-flight POST"
curl -s -o /dev/null "$URL/v1/checkServiceStatus" && fail "still answering after SIGTERM"

pass
