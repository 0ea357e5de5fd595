#!/usr/bin/env bash
# storctld restores its saved state at boot under the real systemd (PID 1).
#
# Before systemd starts (run-vm --preboot, this script with --preboot,
# chrooted into the guest's root): storctl is installed the way an admin
# does it (_install.sh: make install-files PREFIX=/usr/local, modules in
# /lib/modules/<kver>/updates/storctl + depmod, systemctl enable storctld)
# and /var/lib/storctl/state.json is written with five RAM disks (srd0
# 48 MiB with 4 KiB logical blocks; srd1..srd4 under two caches), a
# write-through stor-cache (sc_srd1: origin srd1, cache srd2), a write-back
# dm-writecache (sc_srd3: origin srd3, cache srd4), an NVMe-oF TCP port
# (1, 127.0.0.1:4420) and an export of srd0 on it for one host.  No
# project module is loaded by the harness (--no-modules).
#
# Then systemd boots default.target, which starts storctld.service (its
# ExecStartPre=+storctld --load-modules loads the installed modules), and this script
# runs in storctl-vmtest.service afterwards and checks:
#   - storctld is enabled, active (running), was started by the boot (before
#     this test), never restarted; no failed unit, the system is "running"
#   - the modules came from updates/storctl (modinfo -n; srcversion if any)
#   - every RAM disk exists with its saved size and logical block size, both
#     caches with their saved mode, devices and block size, the port and
#     the export (volume, hosts, port) in configfs
#   - on 6.12 the state also has an NVMe-oF loop port (2): the unit's
#     `storctld --load-modules` loads nvme-loop for it (journal line), and
#     on 6.1, whose state has no loop port, nvme-loop stays unloaded
#   - GET /v1/status: restore_report says state file found, 9 recreated
#     (5 RAM disks, 2 caches, port, export; 10 with the loop port), 0
#     adopted, 0 failed, no problems
#   - `systemd-analyze verify storctld.service` (the installed unit) prints
#     nothing
#   - storctld's journal since boot has no message at warning or above
#   - data written through the write-back cache; `systemctl stop storctld`
#     ends the service cleanly (Result=success, exit 0, "stopped" logged, no
#     error in the journal) and leaves the devices in place with the data
#     readable through the cache; the stop wrote the 256 dirty blocks back
#     (journal: "stop: write-back cache sc_srd3: 256 dirty blocks written
#     back"), so the cache reports 0 dirty blocks and the origin srd3 holds
#     the data.
#   - `systemctl start storctld` again adopts all 9 (10) (nothing recreated).
#
# vm-args: --systemd --no-modules --preboot 'tests/vm/systemd/boot_restore.sh --preboot'

MiB=$((1024 * 1024))
NQN=nqn.2014-08.org.storctl:boot-test:srd0
HOST=nqn.2014-08.org.storctl:test:host-a
NVMET=/sys/kernel/config/nvmet

# 6.12: a loop port too, whose module (nvme-loop) only the state asks for.
LOOP_PORT=0
[[ "${KVER:-}" != 6.12.* ]] || LOOP_PORT=1

if [ "${1:-}" = --preboot ]; then
	set -euo pipefail
	"$(dirname "$0")/_install.sh"
	loop_port=""
	[ "$LOOP_PORT" = 0 ] || loop_port=',
	    {"id": 2, "transport": "loop", "address": "", "service": ""}'
	# What storctld would have saved after creating these through its API.
	cat >/var/lib/storctl/state.json <<-EOF
	{
	  "version": 1,
	  "ramdisks": [
	    {"index": 0, "size_bytes": $((48 * MiB)), "logical_block_size": 4096, "numa_node": null,
	     "prealloc": false, "read_only": false, "overcommit": false},
	    {"index": 1, "size_bytes": $((32 * MiB)), "logical_block_size": 512, "numa_node": null,
	     "prealloc": false, "read_only": false, "overcommit": false},
	    {"index": 2, "size_bytes": $((16 * MiB)), "logical_block_size": 512, "numa_node": null,
	     "prealloc": false, "read_only": false, "overcommit": false},
	    {"index": 3, "size_bytes": $((32 * MiB)), "logical_block_size": 512, "numa_node": null,
	     "prealloc": false, "read_only": false, "overcommit": false},
	    {"index": 4, "size_bytes": $((16 * MiB)), "logical_block_size": 512, "numa_node": null,
	     "prealloc": false, "read_only": false, "overcommit": false}
	  ],
	  "caches": [
	    {"name": "sc_srd1", "mode": "wt", "cache": "/dev/srd2", "origin": "/dev/srd1",
	     "block_size": 65536, "policy": null, "tunables": {}, "wb": {}},
	    {"name": "sc_srd3", "mode": "wb", "cache": "/dev/srd4", "origin": "/dev/srd3",
	     "block_size": 4096, "policy": null, "tunables": {}, "wb": {}}
	  ],
	  "nvmet_ports": [
	    {"id": 1, "transport": "tcp", "address": "127.0.0.1", "service": "4420"}$loop_port
	  ],
	  "nvmet_exports": [
	    {"nqn": "$NQN", "volume": "/dev/srd0", "hosts": ["$HOST"], "allow_any_host": false,
	     "ports": [1]}
	  ]
	}
	EOF
	chmod 0600 /var/lib/storctl/state.json
	exit 0
fi

# The harness loads no module (--no-modules): storctld's unit does.
export LIB_MODULES_LATER=1
. "$(dirname "$0")/../lib.sh"
need_cmd systemctl journalctl curl dmsetup
[ "${VM_SYSTEMD:-0}" = 1 ] || fail "needs run-vm --systemd (see the vm-args line)"

# prop UNIT PROPERTY: one property of a unit.
prop() { systemctl show -p "$2" --value "$1"; }

# props UNIT PROPERTY...: "NAME=value" of each, space-separated, in the
# order asked (systemctl show prints them in its own order).
props() {
	local unit=$1 k v out=()
	shift
	local -A val=()
	while IFS='=' read -r k v; do
		val[$k]=$v
	done < <(systemctl show "$unit" "${@/#/--property=}")
	for k; do
		out+=("$k=${val[$k]-?}")
	done
	echo "${out[*]}"
}

note "storctld was started by the boot"
assert_eq "$(systemctl is-enabled storctld.service)" enabled "is-enabled"
assert_eq "$(prop storctld.service FragmentPath)" /usr/local/lib/systemd/system/storctld.service \
	"unit file (installed by make install-files)"
assert_contains "$(prop storctld.service ExecStart)" "path=/usr/local/sbin/storctld ;" "ExecStart"
assert_eq "$(props storctld.service ActiveState SubState Result NRestarts)" \
	"ActiveState=active SubState=running Result=success NRestarts=0" "storctld after the boot"
t_daemon=$(prop storctld.service ActiveEnterTimestampMonotonic)
t_test=$(prop storctl-vmtest.service ExecMainStartTimestampMonotonic)
if [ "$t_daemon" -le 0 ] || [ "$t_daemon" -ge "$t_test" ]; then
	fail "storctld became active at $t_daemon us, not before this test started ($t_test us)"
fi
expect_rc 0 -- systemctl status storctld.service --no-pager
assert_contains "$OUT" "active (running)" "systemctl status"
failed=$(systemctl --failed --no-legend --plain)
assert_eq "$failed" "" "systemctl --failed"
assert_eq "$(systemctl is-system-running || true)" running "is-system-running"

note "the modules came from /lib/modules/$KVER/updates/storctl"
for m in stor_ramdisk dm_stor_cache; do
	[ -d "/sys/module/$m" ] || fail "$m not loaded"
	f=$(modinfo -n "$m")
	assert_eq "$f" "/lib/modules/$KVER/updates/storctl/${m//_stor_cache/-stor-cache}.ko" "modinfo -n $m"
	# (srcversion is in sysfs only for modules with a MODULE_VERSION.)
	if [ -f "/sys/module/$m/srcversion" ]; then
		assert_eq "$(<"/sys/module/$m/srcversion")" "$(modinfo -F srcversion "$f")" "srcversion of $m"
	fi
done

note "storctld --load-modules loaded what the state needs"
journal=$(journalctl -b -u storctld.service --no-pager -q -o cat)
assert_contains "$journal" "module nvmet-tcp loaded (for NVMe-oF port 1 (tcp))" "storctld's journal"
assert_contains "$journal" "module dm-writecache loaded (for cache sc_srd3)" "storctld's journal"
if [ "$LOOP_PORT" = 1 ]; then
	[ -d /sys/module/nvme_loop ] || fail "nvme-loop not loaded for the loop port in the state"
	assert_contains "$journal" "module nvme-loop loaded (for NVMe-oF port 2 (loop))" "storctld's journal"
else
	[ ! -d /sys/module/nvme_loop ] || fail "nvme-loop loaded although the state has no loop port"
fi

note "systemd-analyze verify of the installed unit"
expect_rc 0 -- systemd-analyze verify storctld.service
assert_eq "$OUT$ERR" "" "systemd-analyze verify storctld.service output"

note "RAM disks, caches, NVMe-oF port and export as saved"
for d in 0:48:4096 1:32:512 2:16:512 3:32:512 4:16:512; do
	IFS=: read -r i mib lbs <<<"$d"
	[ -b "/dev/srd$i" ] || fail "/dev/srd$i missing after the boot"
	assert_eq "$(($(<"/sys/block/srd$i/size") * 512))" $((mib * MiB)) "srd$i size"
	assert_eq "$(<"/sys/block/srd$i/queue/logical_block_size")" "$lbs" "srd$i logical block size"
done
assert_eq "$(dmsetup table sc_srd1)" \
	"0 $((32 * 2048)) stor-cache $(</sys/block/srd1/dev) $(</sys/block/srd2/dev) 128 wt" "sc_srd1 table"
assert_eq "$(dmsetup table sc_srd3)" \
	"0 $((32 * 2048)) writecache s $(</sys/block/srd3/dev) $(</sys/block/srd4/dev) 4096 0" "sc_srd3 table"
[ -d "$NVMET/subsystems/$NQN" ] || fail "NVMe-oF export $NQN missing after the boot"
assert_eq "$(<"$NVMET/subsystems/$NQN/namespaces/1/device_path")" /dev/srd0 "export volume"
assert_eq "$(<"$NVMET/subsystems/$NQN/namespaces/1/enable")" 1 "export namespace enabled"
assert_eq "$(<"$NVMET/subsystems/$NQN/attr_allow_any_host")" 0 "export allow_any_host"
assert_eq "$(ls "$NVMET/subsystems/$NQN/allowed_hosts")" "$HOST" "export hosts"
assert_eq "$(<"$NVMET/ports/1/addr_trtype") $(<"$NVMET/ports/1/addr_traddr") $(<"$NVMET/ports/1/addr_trsvcid")" \
	"tcp 127.0.0.1 4420" "port 1"
[ -e "$NVMET/ports/1/subsystems/$NQN" ] || fail "export not on port 1"

note "GET /v1/status reports the restore"
st=$(curl -sf http://127.0.0.1:9118/v1/status) || fail "GET /v1/status failed"
assert_eq "$(jq -c '.restore_report | [.state_file, .state_file_existed, .problems, .summary]' <<<"$st")" \
	"[\"/var/lib/storctl/state.json\",true,[],{\"adopted\":0,\"failed\":0,\"recreated\":$((9 + LOOP_PORT))}]" \
	"restore report"
assert_eq "$(jq -c '[.restore_report.ramdisks[] | .name + ":" + .result]' <<<"$st")" \
	'["srd0:recreated","srd1:recreated","srd2:recreated","srd3:recreated","srd4:recreated"]' \
	"restored RAM disks"
assert_eq "$(jq -c '[.restore_report.caches[] | .name + ":" + .result]' <<<"$st")" \
	'["sc_srd1:recreated","sc_srd3:recreated"]' "restored caches"
assert_eq "$(jq -c '.restore_report | [(.nvmet_ports[] | [.id, .result]), (.nvmet_exports[] | [.nqn, .result])]' <<<"$st")" \
	"[[1,\"recreated\"],$([ "$LOOP_PORT" = 0 ] || echo '[2,"recreated"],')[\"$NQN\",\"recreated\"]]" \
	"restored NVMe-oF port(s) and export"
warn=$(journalctl -b -u storctld.service -p warning --no-pager -q -o cat)
assert_eq "$warn" "" "storctld's warnings and errors in the journal"

note "write through the write-back cache, then systemctl stop storctld"
head -c $MiB /dev/urandom >"$_T/data"
sum=$(sha256sum <"$_T/data" | cut -d' ' -f1)
dd if="$_T/data" of=/dev/mapper/sc_srd3 bs=64K seek=64 oflag=direct status=none
dirty=$(sc --json cache stats sc_srd3 | jq -r .dirty_blocks)
assert_eq "$dirty" 256 "dirty blocks after writing 1 MiB"
t_stop=$(prop storctld.service InvocationID)
run_ok systemctl stop storctld.service
assert_eq "$(props storctld.service ActiveState Result ExecMainCode ExecMainStatus)" \
	"ActiveState=inactive Result=success ExecMainCode=1 ExecMainStatus=0" "storctld after the stop"
log=$(journalctl -b -u storctld.service _SYSTEMD_INVOCATION_ID="$t_stop" --no-pager -q -o cat)
assert_contains "$log" "received SIGTERM" "storctld's journal at stop"
assert_contains "$log" "stopped" "storctld's journal at stop"
err=$(journalctl -b -u storctld.service -p err --no-pager -q -o cat)
assert_eq "$err" "" "storctld's errors in the journal"
assert_eq "$(systemctl --failed --no-legend --plain)" "" "systemctl --failed after the stop"
for i in 0 1 2 3 4; do
	[ -b "/dev/srd$i" ] || fail "/dev/srd$i gone after the stop"
done
for c in sc_srd1 sc_srd3; do
	dmsetup info "$c" >/dev/null || fail "$c gone after the stop"
done
assert_eq "$(sha_range /dev/mapper/sc_srd3 $((4 * MiB)) $MiB)" "$sum" "data through sc_srd3 after the stop"
assert_contains "$log" "stop: write-back cache sc_srd3: 256 dirty blocks written back to the origin /dev/srd3" \
	"storctld's journal at stop (the write-back)"
dirty=$(sc --json cache stats sc_srd3 | jq -r .dirty_blocks)
assert_eq "$dirty" 0 "dirty blocks in sc_srd3 after systemctl stop"
assert_eq "$(sha_range /dev/srd3 $((4 * MiB)) $MiB)" "$sum" "data on the origin srd3 after the stop"

note "systemctl start again adopts everything"
run_ok systemctl start storctld.service
st=$(curl -sf http://127.0.0.1:9118/v1/status) || fail "GET /v1/status failed after the restart"
assert_eq "$(jq -c '.restore_report | [.problems, .summary]' <<<"$st")" \
	"[[],{\"adopted\":$((9 + LOOP_PORT)),\"failed\":0,\"recreated\":0}]" "restore report after the restart"
run_ok systemctl stop storctld.service
assert_eq "$(systemctl --failed --no-legend --plain)" "" "systemctl --failed at the end"
pass
