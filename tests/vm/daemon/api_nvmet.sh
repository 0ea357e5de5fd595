#!/usr/bin/env bash
# storctld NVMe-oF end to end over curl: POST a tcp port on 127.0.0.1, POST
# the export of a RAM disk (made through the API) with one host NQN; that
# host connects with nvme-cli and fio verifies through /dev/nvmeXnY; PATCH
# adds a second host, which then connects; the RapidDisk-compatible
# listings; a restart adopts port and export (configfs unchanged, nothing
# duplicated); kill -9, the whole nvmet tree torn down and nvmet unloaded:
# the restart recreates port and export from the state file (same NQN,
# hosts, port, namespace UUID); errors (unknown volume 404, bad NQN 422,
# port id out of range 422, malformed JSON 400, port in use 409); DELETE
# export and port leave configfs and the state empty.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
. "$(dirname "$0")/../nvmet/_lib.sh"
need_cmd storctld curl jq

note "start; a RAM disk through the API"
start_daemon
want 201 POST /v1/ramdisks '{"size":"32M","index":0}'
settle
want 200 GET /v1/nvmet/ports
assert_eq "$BODY" "[]" "no ports"

note "port"
want_error 422 invalid_argument POST /v1/nvmet/ports '{"address":"127.0.0.1","id":70000}'
want_error 422 invalid_argument POST /v1/nvmet/ports '{"transport":"udp","address":"127.0.0.1"}'
want_error 400 bad_request POST /v1/nvmet/ports '{"address":'
want 201 POST /v1/nvmet/ports '{"transport":"tcp","address":"127.0.0.1"}'
assert_eq "$(jqc '[.id, .transport, .family, .address, .service, .created]')" \
	'[1,"tcp","ipv4","127.0.0.1",4420,true]' "port"
assert_contains "$HDRS" "Location: /v1/nvmet/ports/1" "port headers"
assert_eq "$(cat "$NVMET/ports/1/addr_traddr")" 127.0.0.1 "addr_traddr"
want 200 POST /v1/nvmet/ports '{"address":"127.0.0.1","service":4420}'
assert_eq "$(jqc '[.id, .created]')" '[1,false]' "same address again: reused"
assert_eq "$(ls "$NVMET/ports")" 1 "ports in configfs"

note "export errors change nothing"
before=$(nvmet_snapshot)
want_error 404 not_found POST /v1/nvmet/exports "{\"volume\":\"srd9\",\"hosts\":[\"$HOST_A\"]}"
want_error 422 invalid_argument POST /v1/nvmet/exports '{"volume":"srd0","hosts":["host-a"]}'
want_error 422 invalid_argument POST /v1/nvmet/exports '{"volume":"srd0"}'
want_error 422 invalid_argument POST /v1/nvmet/exports "{\"volume\":\"srd0\",\"ports\":[70000],\"hosts\":[\"$HOST_A\"]}"
want_error 400 bad_request POST /v1/nvmet/exports '{"volume":"srd0",'
assert_eq "$(nvmet_snapshot)" "$before" "configfs after the failed requests"

note "export srd0 to host A"
want 201 POST /v1/nvmet/exports "{\"volume\":\"srd0\",\"hosts\":[\"$HOST_A\"]}"
nqn=$(jq -r .nqn <<<"$BODY")
assert_eq "$nqn" "nqn.2014-08.org.storctl:$(hostname):srd0" "default NQN"
assert_eq "$(jqc '[.created, .volume, .hosts, .ports, .allow_any_host, .namespaces[0].enabled]')" \
	"[true,\"/dev/srd0\",[\"$HOST_A\"],[1],false,true]" "export"
assert_contains "$HDRS" "Location: /v1/nvmet/exports/srd0" "export headers"
uuid=$(jq -r '.namespaces[0].uuid' <<<"$BODY")
want 200 GET /v1/nvmet/exports/srd0
assert_eq "$(jqc .nqn)" "\"$nqn\"" "GET by volume"
want 200 GET "/v1/nvmet/exports/$nqn"
assert_eq "$(jqc .volume)" '"/dev/srd0"' "GET by NQN"
# The same objects as the CLI prints.
want 200 GET /v1/nvmet/exports
assert_eq "$(jqc .)" "$(sc --json nvmet list | jq -cS .)" "GET exports vs storctl --json nvmet list"
want 200 GET /v1/nvmet/ports
assert_eq "$(jqc .)" "$(sc --json nvmet port list | jq -cS .)" "GET ports vs storctl --json nvmet port list"
want_error 404 not_found GET /v1/nvmet/exports/srd1
want_error 409 busy DELETE /v1/nvmet/ports/1
want_error 422 invalid_argument DELETE /v1/nvmet/ports/65535
want_error 409 busy DELETE /v1/ramdisks/srd0

note "host A connects; host B does not"
nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_A"
ns=$(ns_dev "$nqn")
fio_verify "/dev/$ns" 8M
assert_eq "$(sha_range "/dev/$ns" 0 $((8 << 20)))" "$(sha_range /dev/srd0 0 $((8 << 20)))" \
	"data through NVMe/TCP vs the RAM disk"
nvme_disconnect "$nqn"
if nvme_try_connect tcp 127.0.0.1 "$nqn" "$HOST_B"; then
	fail "host B connected without being allowed"
fi

note "PATCH adds host B"
want_error 422 invalid_argument PATCH /v1/nvmet/exports/srd0 '{"add_hosts":["bad nqn"]}'
want_error 400 bad_request PATCH /v1/nvmet/exports/srd0 '{"add_hosts":'
want 200 PATCH /v1/nvmet/exports/srd0 "{\"add_hosts\":[\"$HOST_B\"]}"
assert_eq "$(jqc .hosts)" "[\"$HOST_A\",\"$HOST_B\"]" "hosts after PATCH"
[ -L "$NVMET/subsystems/$nqn/allowed_hosts/$HOST_B" ] || fail "host B not linked"
nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_B"
ns=$(ns_dev "$nqn")
nvme_disconnect "$nqn"
assert_eq "$(jq -c '.nvmet_exports' "$STATE")" \
	"[{\"allow_any_host\":false,\"hosts\":[\"$HOST_A\",\"$HOST_B\"],\"nqn\":\"$nqn\",\"ports\":[1],\"volume\":\"/dev/srd0\"}]" \
	"exports in the state file"

note "RapidDisk-compatible listings"
want 200 GET /v1/listAllNVMeTargets
assert_eq "$(jqc '[.status, .targets[0].nqn, .targets[0].namespaces[0].device, .targets[0].allowed_hosts]')" \
	"[\"Success\",\"$nqn\",\"/dev/srd0\",[\"$HOST_A\",\"$HOST_B\"]]" "listAllNVMeTargets"
want 200 GET /v1/listAllNVMePorts
assert_eq "$(jqc '.ports[0] | [.port, .protocol, .address, .port_num]')" '[1,"tcp","127.0.0.1",4420]' \
	"listAllNVMePorts"

note "restart: adopted, not duplicated"
snap=$(nvmet_snapshot)
stop_daemon
start_daemon
want 200 GET /v1/status
assert_eq "$(jqc '.restore_report | [.summary, [.nvmet_ports[] | .result], [.nvmet_exports[] | .result]]')" \
	'[{"adopted":3,"failed":0,"recreated":0},["adopted"],["adopted"]]' "restore after a restart"
assert_eq "$(nvmet_snapshot)" "$snap" "configfs after the restart"

note "kill -9, nvmet torn down and unloaded: the restart recreates"
kill -9 "$DPID"
wait_gone "$DPID"
nvmet_teardown
modprobe -r nvmet-tcp nvmet || fail "could not unload nvmet-tcp and nvmet"
[ ! -d /sys/module/nvmet ] || fail "nvmet still loaded"
[ ! -d "$NVMET" ] || fail "nvmet configfs still there after the unload"
rm -f "$PIDFILE"
start_daemon
want 200 GET /v1/status
assert_eq "$(jqc '.restore_report | [.summary, [.nvmet_ports[] | .result], [.nvmet_exports[] | .result]]')" \
	'[{"adopted":1,"failed":0,"recreated":2},["recreated"],["recreated"]]' "restore after the teardown"
want 200 GET /v1/nvmet/exports/srd0
assert_eq "$(jqc '[.nqn, .hosts, .ports, .namespaces[0].uuid]')" \
	"[\"$nqn\",[\"$HOST_A\",\"$HOST_B\"],[1],\"$uuid\"]" "recreated export"
assert_eq "$(cat "$NVMET/ports/1/addr_traddr")" 127.0.0.1 "recreated port"
nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_B"
ns=$(ns_dev "$nqn")
fio_verify "/dev/$ns" 4M
nvme_disconnect "$nqn"

note "DELETE export, then port"
want 200 DELETE /v1/nvmet/exports/srd0
assert_eq "$(jqc '[.removed, .nqn]')" "[true,\"$nqn\"]" "unexport"
want_error 404 not_found DELETE /v1/nvmet/exports/srd0
want 200 DELETE /v1/nvmet/ports/1
assert_eq "$(jqc .)" '{"removed_port":1}' "port removal"
nvmet_assert_empty
assert_eq "$(jq -c '[.nvmet_ports, .nvmet_exports]' "$STATE")" '[[],[]]' "state after the removals"
want 200 DELETE /v1/ramdisks/srd0
stop_daemon
pass
