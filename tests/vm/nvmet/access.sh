#!/usr/bin/env bash
# Access control is deny-by-default and live: a host NQN not on the list
# cannot connect; adding it to the running export lets it connect; removing
# every host denies all; --allow-any-host lets any host in; withdrawing it
# blocks new connections again.  No export without a host or
# --allow-any-host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"

d=$(srd_create 16M)
e=$(srd_create 16M)
HOST_C=nqn.2014-08.org.storctl:test:host-c

sc nvmet port add --transport tcp --address 127.0.0.1 >/dev/null

note "deny by default"
before=$(nvmet_snapshot)
expect_rc 2 "denied by default" -- "$STORCTL" nvmet export "/dev/$e"
expect_rc 2 "" -- "$STORCTL" nvmet export "/dev/$e" --host "$HOST_A" --allow-any-host
assert_eq "$(nvmet_snapshot)" "$before" "configfs after refused exports"

nqn=$(sc --json nvmet export "/dev/$d" --host "$HOST_A" | jq -r .nqn)

note "a host not on the list is refused"
nvme_try_connect tcp 127.0.0.1 "$nqn" "$HOST_B" && fail "$HOST_B connected without being allowed"
nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_A"
ns_dev "$nqn" >/dev/null
nvme_disconnect "$nqn"

note "adding a host to the live export"
json=$(sc --json nvmet export "/dev/$d" --host "$HOST_B")
assert_eq "$(jq -r '.created, (.hosts | join(" "))' <<<"$json" | tr '\n' ' ')" \
	"false $HOST_A $HOST_B " "export after adding host B"
nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_B"
ns=$(ns_dev "$nqn")
dd if="/dev/$ns" of=/dev/null bs=4k count=16 iflag=direct status=none
nvme_disconnect "$nqn"

note "removing every host denies all"
json=$(sc --json nvmet unexport "/dev/$d" --host "$HOST_A" --host "$HOST_B")
assert_eq "$(jq -r '.removed, (.hosts_removed | length), (.host_entries_removed | length)' <<<"$json" | tr '\n' ' ')" \
	"false 2 2 " "unexport --host A --host B"
assert_eq "$(ls -A "$NVMET/hosts")" "" "host entries"
nvme_try_connect tcp 127.0.0.1 "$nqn" "$HOST_A" && fail "$HOST_A connected after its removal"
expect_rc 3 "not allowed" -- "$STORCTL" nvmet unexport "/dev/$d" --host "$HOST_A"

note "allow any host"
json=$(sc --json nvmet export "/dev/$d" --allow-any-host)
assert_eq "$(jq -r .allow_any_host <<<"$json")" true "allow_any_host"
assert_eq "$(cat "$NVMET/subsystems/$nqn/attr_allow_any_host")" 1 "attr_allow_any_host"
expect_rc 2 "allows any host" -- "$STORCTL" nvmet export "/dev/$d" --host "$HOST_A"
nvme_connect tcp 127.0.0.1 "$nqn" "$HOST_C"
ns_dev "$nqn" >/dev/null
nvme_disconnect "$nqn"

note "withdrawing allow-any-host blocks new connections"
json=$(sc --json nvmet unexport "/dev/$d" --allow-any-host)
assert_eq "$(jq -r '.removed, .allow_any_host_revoked' <<<"$json" | tr '\n' ' ')" "false true " \
	"unexport --allow-any-host"
nvme_try_connect tcp 127.0.0.1 "$nqn" "$HOST_C" && fail "$HOST_C connected after allow-any-host was withdrawn"

sc nvmet unexport "$nqn" >/dev/null
sc nvmet port remove 1 >/dev/null
nvmet_assert_empty
pass
