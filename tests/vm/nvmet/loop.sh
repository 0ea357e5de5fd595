#!/usr/bin/env bash
# The loop transport.  Where the kernel has nvme-loop (6.12): a loop port,
# an export on it, `nvme connect -t loop`, fio verify, teardown.  Where it
# does not (Debian's 6.1 is built without CONFIG_NVME_TARGET_LOOP): port add
# fails as unsupported (exit 7) naming the missing module, and nothing is
# created.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"

if ! modinfo -n nvme-loop >/dev/null 2>&1; then
	note "no nvme-loop in $KVER"
	before=$(nvmet_snapshot)
	expect_rc 7 "transport loop is not supported" -- "$STORCTL" nvmet port add --transport loop
	assert_contains "$ERR" "nvme-loop" "error names the module"
	assert_eq "$(nvmet_snapshot)" "$before" "configfs after the refused port"
	pass "nvme-loop is not available in $KVER: port add refused as unsupported (exit 7)"
	exit 0
fi

d=$(srd_create 16M)
json=$(sc --json nvmet port add --transport loop)
assert_eq "$(jq -r '.transport, .address, .service, .created' <<<"$json" | tr '\n' ' ')" \
	"loop null null true " "loop port"
id=$(jq -r .id <<<"$json")
assert_eq "$(sc --json nvmet port add --transport loop | jq -r '.id, .created' | tr '\n' ' ')" \
	"$id false " "second loop port add reuses the first"
[ -d /sys/module/nvme_loop ] || fail "nvme-loop was not loaded"
nqn=$(sc --json nvmet export "/dev/$d" --host "$HOST_A" --port "$id" | jq -r .nqn)

nvme_connect loop "" "$nqn" "$HOST_A"
ns=$(ns_dev "$nqn")
assert_eq "$(cat "/sys/block/$ns/size")" $((16 * 2048)) "namespace size"
fio_verify "/dev/$ns" 8M
nvme_disconnect "$nqn"

sc nvmet unexport "/dev/$d" >/dev/null
sc nvmet port remove "$id" >/dev/null
nvmet_assert_empty
pass
