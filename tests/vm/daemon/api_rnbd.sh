#!/usr/bin/env bash
# storctld RNBD end to end over curl, on the soft-RoCE loopback of
# tests/vm/rnbd/_net.sh: POST an export of a RAM disk and a mapping of it,
# fio verify through the mapped /dev/srnbdN; the listings agree with
# `storctl --json rnbd list` (and with `storctl --url`); errors (malformed
# JSON and a '..' URL segment 400, '..' in a path and bad names 422, unexported device 404, duplicate 409,
# unmap of an open device 409, unknown mapping 404); the state file holds
# export and mapping (with its poll_queues); a restart adopts them; kill -9,
# the mapping and the export removed behind the daemon's back: the restart
# makes both again (export first, the session with its poll queue) and the
# data is still there; DELETE (?force=true) empties
# the kernel and the state.
# vm-args: --mem 1536
. "$(dirname "$0")/../rnbd/_lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd storctld curl jq fio

rnbd_net_setup 1
rnbd_load
addr=$(rnbd_addr 1)

note "start; a RAM disk through the API"
start_daemon
want 201 POST /v1/ramdisks '{"size":"32M","index":0}'
settle
want 200 GET /v1/rnbd/exports
assert_eq "$BODY" "[]" "no exports"
want 200 GET /v1/rnbd/mappings
assert_eq "$BODY" "[]" "no mappings"

note "export: errors, then the export"
want_error 400 bad_request POST /v1/rnbd/exports '{"device_path":'
want_error 400 bad_request POST /v1/rnbd/exports '{"device_path":5}'
want_error 422 invalid_argument POST /v1/rnbd/exports '{"device_path":"/dev/../dev/srd0"}'
want_error 422 invalid_argument POST /v1/rnbd/exports '{"device_path":"/dev/srd0","session":".."}'
want_error 422 invalid_argument POST /v1/rnbd/exports '{"device_path":"/dev/srd0","bogus":1}'
want_error 422 invalid_argument POST /v1/rnbd/exports '{}'
want_error 404 not_found POST /v1/rnbd/exports '{"device_path":"/dev/nosuchdisk"}'
assert_eq "$(cat "$SRV_CTL/exports")" "" "server exports after bad requests"
want 201 POST /v1/rnbd/exports '{"device_path":"srd0"}'
assert_eq "$(jqc .)" '{"device_path":"/dev/srd0","id":"srd0","read_only":false,"session":null}' "export"
assert_contains "$HDRS" "Location: /v1/rnbd/exports/srd0" "Location of the export"
want_error 409 exists POST /v1/rnbd/exports '{"device_path":"/dev/srd0"}'
assert_eq "$(cat "$SRV_CTL/exports")" "/dev/srd0 sessname=* access_mode=rw" "server exports"

note "mapping: errors, then the mapping"
want_error 422 invalid_argument POST /v1/rnbd/mappings \
	"{\"session\":\"..\",\"paths\":[\"ip:$addr\"],\"device_path\":\"/dev/srd0\"}"
want_error 422 invalid_argument POST /v1/rnbd/mappings \
	"{\"session\":\"api\",\"paths\":[\"ip:$addr\"],\"device_path\":\"/dev/../srd0\"}"
want_error 422 invalid_argument POST /v1/rnbd/mappings \
	'{"session":"api","paths":[],"device_path":"/dev/srd0"}'
want_error 422 invalid_argument POST /v1/rnbd/mappings \
	"{\"session\":\"api\",\"paths\":[\"ip:$addr\"],\"device_path\":\"/dev/srd0\",\"access\":\"wo\"}"
want_error 400 bad_request POST /v1/rnbd/mappings \
	"{\"session\":\"api\",\"paths\":\"ip:$addr\",\"device_path\":\"/dev/srd0\"}"
want_error 422 invalid_argument POST /v1/rnbd/mappings \
	"{\"session\":\"api\",\"paths\":[\"ip:$addr\"],\"device_path\":\"/dev/srd0\",\"poll_queues\":16}"
want_error 404 not_found POST /v1/rnbd/mappings \
	"{\"session\":\"api\",\"paths\":[\"ip:$addr\"],\"device_path\":\"/dev/srd9\"}"
settle
assert_eq "$(srnbd_names)" "" "no srnbd device after bad requests"
assert_eq "$(jq -c '[.rnbd_exports, .rnbd_mappings]' "$STATE")" \
	'[[{"device_path":"/dev/srd0","read_only":false,"session":null}],[]]' "state before the mapping"

want 201 POST /v1/rnbd/mappings \
	"{\"session\":\"api\",\"paths\":[\"ip:$addr\"],\"device_path\":\"/dev/srd0\",\"poll_queues\":1}"
dev=$(jq -r .name <<<"$BODY")
assert_eq "$(cat "$CLT_CTL/sessions/api/nr_poll_queues")" 1 "nr_poll_queues of the session"
assert_eq "$(jqc .)" \
	"{\"access\":\"rw\",\"device_path\":\"/dev/srd0\",\"name\":\"$dev\",\"path\":\"/dev/$dev\",\"session\":\"api\",\"state\":\"open\"}" \
	"mapping"
assert_contains "$HDRS" "Location: /v1/rnbd/mappings/$dev" "Location of the mapping"
settle
[ -b "/dev/$dev" ] || fail "/dev/$dev missing"
want_error 409 exists POST /v1/rnbd/mappings "{\"session\":\"api\",\"paths\":[\"ip:$addr\"],\"device_path\":\"/dev/srd0\"}"

want 200 GET /v1/rnbd/mappings
assert_eq "$(jqc .)" "$(sc --json rnbd list | jq -cS .mappings)" "GET mappings vs storctl --json rnbd list"
want 200 GET /v1/rnbd/exports
assert_eq "$(jqc .)" "$(sc --json rnbd list | jq -cS .exports)" "GET exports vs storctl --json rnbd list"
assert_eq "$(sc --url "$URL" --json rnbd list | jq -cS .)" "$(sc --json rnbd list | jq -cS .)" \
	"storctl --url rnbd list"
want 200 GET /v1/rnbd/sessions
assert_eq "$(jqc '[.server[0].name, .server[0].paths[0].state, .client[0].name, .client[0].state, .client[0].devices]')" \
	"[\"api\",\"connected\",\"api\",\"connected\",[\"$dev\"]]" "sessions"
assert_eq "$(jq -c '.rnbd_mappings' "$STATE")" \
	"[{\"access\":\"rw\",\"device_path\":\"/dev/srd0\",\"paths\":[\"ip:$addr\"],\"poll_queues\":1,\"port\":null,\"session\":\"api\"}]" \
	"state: mapping"

note "fio verify through /dev/$dev"
fio_run --name=verify --filename="/dev/$dev" --direct=1 --ioengine=libaio \
	--rw=randwrite --bsrange=4k-128k --iodepth=16 --size=16M \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=0
dd if=/dev/urandom of="$_T/pat" bs=1M count=2 status=none
dd if="$_T/pat" of="/dev/$dev" bs=1M seek=20 oflag=direct status=none
want_sum=$(sha256sum <"$_T/pat" | cut -d' ' -f1)

note "unmap errors"
want_error 404 not_found DELETE /v1/rnbd/mappings/srnbd99
want_error 422 invalid_argument DELETE /v1/rnbd/mappings/sda
want_error 422 invalid_argument DELETE "/v1/rnbd/mappings/$dev?force=maybe"
want_error 404 not_found DELETE /v1/rnbd/exports/srd7
want_error 400 bad_request DELETE /v1/rnbd/exports/..
want_error 422 invalid_argument DELETE '/v1/rnbd/exports/x!..!srd0'
exec 3<"/dev/$dev"
want_error 409 busy DELETE "/v1/rnbd/mappings/$dev"
exec 3<&-
[ -e "/sys/block/$dev" ] || fail "$dev gone after a refused unmap"

note "restart: adopted"
stop_daemon
start_daemon
want 200 GET /v1/status
assert_eq "$(jqc '.restore_report | [[.rnbd_exports[] | .result], [.rnbd_mappings[] | .result]]')" \
	'[["adopted"],["adopted"]]' "restore after a restart"
assert_eq "$(cat "$CLT_CTL/devices" | wc -l)" 1 "one mapping after the restart"

note "kill -9, mapping and export removed behind its back: the restart makes both again"
kill -9 "$DPID"
wait_gone "$DPID"
rm -f "$PIDFILE"
rnbd_unmap "$dev"
sysfs_write "$SRV_CTL/unexport" "device_path=/dev/srd0" || fail "unexport: $WERR"
wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20
start_daemon
want 200 GET /v1/status
assert_eq "$(jqc '.restore_report | [[.rnbd_exports[] | .id + " " + .result], [.rnbd_mappings[] | .mapping + " " + .result]]')" \
	'[["srd0 recreated"],["api:/dev/srd0 recreated"]]' "restore after kill -9"
assert_eq "$(cat "$SRV_CTL/exports")" "/dev/srd0 sessname=* access_mode=rw" "export restored"
want 200 GET /v1/rnbd/mappings
assert_eq "$(jqc 'length')" 1 "one mapping restored"
dev=$(jq -r '.[0].name' <<<"$BODY")
assert_eq "$(jqc '.[0] | [.session, .device_path, .access, .state]')" '["api","/dev/srd0","rw","open"]' \
	"restored mapping"
assert_eq "$(cat "$CLT_CTL/sessions/api/nr_poll_queues")" 1 "nr_poll_queues of the restored session"
settle
assert_eq "$(sha_range "/dev/$dev" $((20 << 20)) $((2 << 20)))" "$want_sum" "data through the restored mapping"

note "DELETE ?force=true of an open device, DELETE of the export"
exec 3<"/dev/$dev"
want 200 DELETE "/v1/rnbd/mappings/$dev?force=true"
exec 3<&-
assert_eq "$(jqc '[.unmapped, .force, .name]')" "[true,true,\"$dev\"]" "forced unmap"
[ ! -e "/sys/block/$dev" ] || fail "$dev still exists"
want 200 DELETE /v1/rnbd/exports/srd0
assert_eq "$(jqc '[.unexported, .device_path]')" '[true,"/dev/srd0"]' "unexport"
assert_eq "$(cat "$SRV_CTL/exports")" "" "server exports at the end"
assert_eq "$(jq -c '[.rnbd_exports, .rnbd_mappings]' "$STATE")" '[[],[]]' "state at the end"
want_error 404 not_found DELETE /v1/rnbd/exports/srd0
stop_daemon
pass
