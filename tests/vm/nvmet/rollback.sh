#!/usr/bin/env bash
# Transactions: an export that fails in its last step (linking a port whose
# address this machine does not have, so the kernel cannot listen on it)
# leaves configfs exactly as before -- including the parts it had already
# done: the subsystem, its namespace, a new host entry, an allowed-hosts
# link and the link to a working port that serves another export -- and
# that other export keeps working.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"

d=$(srd_create 16M)
e=$(srd_create 16M)

sc nvmet port add --transport tcp --address 127.0.0.1 >/dev/null             # port 1
json=$(sc --json nvmet port add --transport tcp --address 10.254.0.1 --service 4430)  # port 2
assert_eq "$(jq -r '.id, .created' <<<"$json" | tr '\n' ' ')" "2 true " "port on a foreign address"
other=$(sc --json nvmet export "/dev/$d" --host "$HOST_A" --port 1 | jq -r .nqn)

before=$(nvmet_snapshot)
note "export on ports 1 and 2 (2 cannot listen)"
expect_rc 2 "not configured on this machine" -- \
	"$STORCTL" nvmet export "/dev/$e" --port 1 --port 2 --host "$HOST_A" --host "$HOST_B"
assert_contains "$ERR" "port 2" "error names the port"
assert_contains "$ERR" "nothing was changed" "error says it rolled back"
after=$(nvmet_snapshot)
if [ "$after" != "$before" ]; then
	diff <(echo "$before") <(echo "$after") >&2 || true
	fail "configfs changed by the failed export"
fi
# The failed export really got as far as port 1 (the kernel log says so)
# before port 2 failed.
kmsg_has "adding nsid 1 to subsystem .*:$e" || fail "the export never reached the namespace step"

note "the other export still works"
nvme_connect tcp 127.0.0.1 "$other" "$HOST_A"
ns=$(ns_dev "$other")
dd if="/dev/$ns" of=/dev/null bs=64k count=16 iflag=direct status=none
nvme_disconnect "$other"

note "the same export on port 1 alone works"
sc nvmet export "/dev/$e" --port 1 --host "$HOST_B" >/dev/null
sc nvmet unexport "/dev/$e" >/dev/null
sc nvmet unexport "/dev/$d" >/dev/null
sc nvmet port remove 2 >/dev/null
sc nvmet port remove 1 >/dev/null
nvmet_assert_empty
pass
