#!/usr/bin/env bash
# Bad input: unknown transport, bad NQN syntax, port ids out of range,
# nonexistent devices and the like give a clear error and the right exit
# code, and configfs is unchanged.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"

d=$(srd_create 16M)
e=$(srd_create 16M)
sc nvmet port add --address 127.0.0.1 >/dev/null
nqn=$(sc --json nvmet export "/dev/$d" --host "$HOST_A" | jq -r .nqn)
before=$(nvmet_snapshot)

note "ports"
expect_rc 2 "unknown transport 'foo'" -- "$STORCTL" nvmet port add --transport foo --address 127.0.0.1
expect_rc 2 "unknown transport 'fc'" -- "$STORCTL" nvmet port add --transport fc --address 127.0.0.1
expect_rc 2 "invalid port id '70000'" -- "$STORCTL" nvmet port add --address 127.0.0.2 --id 70000
expect_rc 2 "invalid port id '0'" -- "$STORCTL" nvmet port add --address 127.0.0.2 --id 0
expect_rc 2 "invalid port id '-1'" -- "$STORCTL" nvmet port add --address 127.0.0.2 --id=-1
expect_rc 2 "invalid port id 'x'" -- "$STORCTL" nvmet port add --address 127.0.0.2 --id x
expect_rc 2 "invalid address '999.1.1.1'" -- "$STORCTL" nvmet port add --address 999.1.1.1
expect_rc 2 "invalid service id '0'" -- "$STORCTL" nvmet port add --address 127.0.0.2 --service 0
expect_rc 2 "needs --address" -- "$STORCTL" nvmet port add --transport tcp
expect_rc 2 "loop port takes no" -- "$STORCTL" nvmet port add --transport loop --address 127.0.0.1
expect_rc 3 "no network interface 'nosuch0'" -- "$STORCTL" nvmet port add --interface nosuch0
expect_rc 5 "port 1 already exists" -- "$STORCTL" nvmet port add --address 127.0.0.2 --id 1
expect_rc 2 "invalid port id '70000'" -- "$STORCTL" nvmet port remove 70000
expect_rc 3 "no NVMe-oF port 9" -- "$STORCTL" nvmet port remove 9
expect_rc 4 "$nqn" -- "$STORCTL" nvmet port remove 1

note "exports"
expect_rc 2 "invalid NQN 'nqn.2014-8.org.x:y'" -- \
	"$STORCTL" nvmet export "/dev/$e" --host "$HOST_A" --nqn nqn.2014-8.org.x:y
expect_rc 2 "invalid NQN 'iqn.2014-08.org.x:y'" -- \
	"$STORCTL" nvmet export "/dev/$e" --host "$HOST_A" --nqn iqn.2014-08.org.x:y
expect_rc 2 "discovery" -- \
	"$STORCTL" nvmet export "/dev/$e" --host "$HOST_A" --nqn nqn.2014-08.org.nvmexpress.discovery
expect_rc 2 "invalid host NQN 'host-a'" -- "$STORCTL" nvmet export "/dev/$e" --host host-a
expect_rc 3 "/dev/nosuch does not exist" -- "$STORCTL" nvmet export /dev/nosuch --host "$HOST_A"
expect_rc 3 "does not exist" -- "$STORCTL" nvmet export srd999 --host "$HOST_A"
expect_rc 2 "not a block device" -- "$STORCTL" nvmet export /etc/hostname --host "$HOST_A"
expect_rc 2 "invalid volume '../sda'" -- "$STORCTL" nvmet export ../sda --host "$HOST_A"
expect_rc 2 "invalid port id '70000'" -- "$STORCTL" nvmet export "/dev/$e" --host "$HOST_A" --port 70000
expect_rc 3 "no NVMe-oF port 9" -- "$STORCTL" nvmet export "/dev/$e" --host "$HOST_A" --port 9
expect_rc 2 "denied by default" -- "$STORCTL" nvmet export "/dev/$e"
expect_rc 5 "already exported as $nqn" -- "$STORCTL" nvmet export "/dev/$d" --host "$HOST_A" \
	--nqn nqn.2014-08.org.storctl:other:x
expect_rc 5 "already used by the export of /dev/$d" -- \
	"$STORCTL" nvmet export "/dev/$e" --host "$HOST_A" --nqn "$nqn"
expect_rc 3 "/dev/$e is not exported" -- "$STORCTL" nvmet unexport "/dev/$e"
expect_rc 3 "no export nqn.2014-08.org.x:none" -- "$STORCTL" nvmet unexport nqn.2014-08.org.x:none
expect_rc 3 "not exported on port 7" -- "$STORCTL" nvmet unexport "/dev/$d" --port 7
expect_rc 2 "" -- "$STORCTL" nvmet export
expect_rc 2 "" -- "$STORCTL" nvmet port add --address 127.0.0.1 --interface lo

after=$(nvmet_snapshot)
if [ "$after" != "$before" ]; then
	diff <(echo "$before") <(echo "$after") >&2 || true
	fail "configfs changed by rejected commands"
fi
sc nvmet unexport "$nqn" >/dev/null
sc nvmet port remove 1 >/dev/null
nvmet_assert_empty
pass
