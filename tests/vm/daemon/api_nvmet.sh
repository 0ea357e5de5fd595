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
# export and port leave configfs and the state empty.  Every `storctl nvmet`
# command through `storctl --url` (port add/remove/list, export, unexport
# whole and partial, list; text and --json) prints what the same command
# prints locally, and errors have the same exit code and message.
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

note "storctl --url nvmet: same output and exit codes as local"
R=("$STORCTL" --url "$URL")
# run_rc CMD...: RC, stdout in $_T/o, stderr in $_T/e, whatever the exit status.
run_rc() {
	RC=0
	"$@" >"$_T/o" 2>"$_T/e" || RC=$?
}
compared=0
# same_out ARGS...: storctl --url ARGS and storctl ARGS print the same.
same_out() {
	assert_eq "$(run_ok "${R[@]}" "$@")" "$(sc "$@")" "storctl --url ... $*"
	compared=$((compared + 1))
}
for j in "" --json; do
	# shellcheck disable=SC2086 # $j: no word or one
	{
		same_out $j nvmet list
		same_out $j nvmet port list
		# Each change through the API, undone through it, then the same
		# locally: the outputs of both runs agree.
		r1=$(run_ok "${R[@]}" $j nvmet port add --address 127.0.0.1 --id 2)
		r2=$(run_ok "${R[@]}" $j nvmet port add --address 127.0.0.1)
		r3=$(run_ok "${R[@]}" $j nvmet export srd0 --host "$HOST_A" --port 2)
		r4=$(run_ok "${R[@]}" $j nvmet export srd0 --host "$HOST_B")
		r5=$(run_ok "${R[@]}" $j nvmet list)
		r6=$(run_ok "${R[@]}" $j nvmet port list)
		r7=$(run_ok "${R[@]}" $j nvmet unexport srd0 --host "$HOST_B")
		r8=$(run_ok "${R[@]}" $j nvmet unexport "$nqn" --port 2)
		r9=$(run_ok "${R[@]}" $j nvmet unexport srd0)
		r10=$(run_ok "${R[@]}" $j nvmet export /dev/srd0 --allow-any-host)
		r11=$(run_ok "${R[@]}" $j nvmet unexport srd0 --allow-any-host)
		r12=$(run_ok "${R[@]}" $j nvmet unexport srd0)
		r13=$(run_ok "${R[@]}" $j nvmet port remove 2)
		assert_eq "$(jq -c '[.nvmet_ports, .nvmet_exports]' "$STATE")" '[[],[]]' \
			"state after the changes through --url"
		nvmet_assert_empty
		l1=$(sc $j nvmet port add --address 127.0.0.1 --id 2)
		l2=$(sc $j nvmet port add --address 127.0.0.1)
		l3=$(sc $j nvmet export srd0 --host "$HOST_A" --port 2)
		l4=$(sc $j nvmet export srd0 --host "$HOST_B")
		l5=$(sc $j nvmet list)
		l6=$(sc $j nvmet port list)
		l7=$(sc $j nvmet unexport srd0 --host "$HOST_B")
		l8=$(sc $j nvmet unexport "$nqn" --port 2)
		l9=$(sc $j nvmet unexport srd0)
		l10=$(sc $j nvmet export /dev/srd0 --allow-any-host)
		l11=$(sc $j nvmet unexport srd0 --allow-any-host)
		l12=$(sc $j nvmet unexport srd0)
		l13=$(sc $j nvmet port remove 2)
	}
	nvmet_assert_empty
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
		r=r$i l=l$i
		[ -n "${!r}" ] || fail "storctl --url output $i is empty"
		assert_eq "${!r}" "${!l}" "storctl $j nvmet: output $i through --url vs local"
		compared=$((compared + 1))
	done
done
assert_contains "$r3" "\"created\":true" "--json export through --url"
# While the state has an export, the daemon keeps it there after a partial
# unexport: through --url, then the state shows what is left.
run_ok "${R[@]}" nvmet port add --address 127.0.0.1 --id 2 >/dev/null
run_ok "${R[@]}" nvmet export srd0 --host "$HOST_A" --host "$HOST_B" >/dev/null
run_ok "${R[@]}" nvmet unexport srd0 --host "$HOST_A" >/dev/null
assert_eq "$(jq -c '[.nvmet_exports[] | [.nqn, .hosts, .ports]]' "$STATE")" \
	"[[\"$nqn\",[\"$HOST_B\"],[2]]]" "state after a partial unexport through --url"
run_ok "${R[@]}" nvmet unexport srd0 >/dev/null
run_ok "${R[@]}" nvmet port remove 2 >/dev/null

# Errors: same exit code and message.
run_ok "${R[@]}" nvmet port add --address 127.0.0.1 --id 2 >/dev/null
for args in "nvmet port remove 9" "nvmet port add --address 127.0.0.1 --id 70000" \
	"nvmet port add --transport udp --address 127.0.0.1" "nvmet port add --address 127.0.0.1 --id 2 --service 4421" \
	"nvmet export srd9 --host $HOST_A" "nvmet export srd0" "nvmet export srd0 --host host-a" \
	"nvmet export srd0 --host $HOST_A --port 7" "nvmet unexport srd0" "nvmet unexport srd0 --host $HOST_A"; do
	# shellcheck disable=SC2086 # word splitting wanted
	run_rc "$STORCTL" $args
	lrc=$RC lerr=$(<"$_T/e")
	# shellcheck disable=SC2086
	run_rc "${R[@]}" $args
	assert_eq "$RC" "$lrc" "exit code of storctl --url ... $args"
	assert_ne "$RC" 0 "exit code of $args"
	assert_eq "$(<"$_T/e")" "$lerr" "error of storctl --url ... $args"
	compared=$((compared + 1))
done
# A port in use: busy both ways.
run_ok "${R[@]}" nvmet export srd0 --host "$HOST_A" --port 2 >/dev/null
run_rc "$STORCTL" nvmet port remove 2
lrc=$RC lerr=$(<"$_T/e")
run_rc "${R[@]}" nvmet port remove 2
assert_eq "$RC:$(<"$_T/e")" "$lrc:$lerr" "storctl --url nvmet port remove of a port in use"
run_ok "${R[@]}" nvmet unexport srd0 >/dev/null
run_ok "${R[@]}" nvmet port remove 2 >/dev/null
nvmet_assert_empty
assert_eq "$(jq -c '[.nvmet_ports, .nvmet_exports]' "$STATE")" '[[],[]]' "state after the --url checks"
note "$compared --url comparisons"
want 200 DELETE /v1/ramdisks/srd0
stop_daemon
pass
