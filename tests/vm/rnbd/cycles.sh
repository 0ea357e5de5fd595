#!/usr/bin/env bash
# rnbd map/unmap cycles (like upstream blktests rnbd/002): 100 cycles of
# map, one read, unmap.  Each cycle creates and destroys the whole session
# on both sides (connections, chunks, MRs, tag set, disk).  Afterwards:
# the device name is reused every time (the old one was freed), the RDMA
# resources (PD, CQ, QP, CM id, MR) are back to the baseline, slab and
# available memory did not grow, both modules' reference counts are 0 and
# they unload cleanly.
# vm-args: --no-udev --mem 1536
. "$(dirname "$0")/_lib.sh"

CYCLES=${RNBD_CYCLES:-100}
res() { rdma resource show | tr -s ' '; }
rnbd_net_setup 1
res_nomod=$(res)
rnbd_load
srd=$(srd_create 16M)
rnbd_export "device_path=/dev/$srd"
a=$(rnbd_addr 1)
line="sessname=cyc path=ip:$a device_path=/dev/$srd"
mods_refs() {
	local m
	for m in rdma_cm ib_core rdma_rxe stor_ramdisk; do
		printf '%s=%s ' "$m" "$(cat "/sys/module/$m/refcnt")"
	done
}

cycle() {
	sysfs_write "$CLT_CTL/map_device" "$line" || fail "map (cycle $1): $WERR"
	[ -e /sys/block/srnbd0 ] || fail "cycle $1: mapped device is not srnbd0: $(srnbd_names)"
	dd if=/dev/srnbd0 of=/dev/null bs=4k count=1 iflag=direct status=none ||
		fail "cycle $1: read failed"
	sysfs_write /sys/block/srnbd0/stor-rnbd/unmap_device normal ||
		fail "unmap (cycle $1): $WERR"
}

# Warm up (first-use allocations of the RDMA stack, worker threads), then
# the baseline.
for i in 1 2 3 4 5; do cycle "w$i"; done
wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20
drop_caches
res0=$(res)
refs0=$(mods_refs)
slab0=$(mem_kb Slab)
avail0=$(mem_kb MemAvailable)
note "baseline: $res0; $refs0; Slab ${slab0} kB; MemAvailable ${avail0} kB"

start=$SECONDS
for ((i = 1; i <= CYCLES; i++)); do
	cycle "$i"
done
note "$CYCLES cycles in $((SECONDS - start)) s"

wait_for '[ -z "$(cat "$SRV_CTL/sessions")" ]' 20
[ -z "$(srnbd_names)" ] || fail "devices left: $(srnbd_names)"
[ -z "$(ls "$CLT_CTL/sessions")" ] || fail "client sessions left"
drop_caches
res1=$(res)
refs1=$(mods_refs)
slab1=$(mem_kb Slab)
avail1=$(mem_kb MemAvailable)
note "after: $res1; $refs1; Slab ${slab1} kB; MemAvailable ${avail1} kB"
assert_eq "$res1" "$res0" "RDMA resources"
assert_eq "$refs1" "$refs0" "module reference counts"
assert_eq "$(cat /sys/module/stor_rnbd_client/refcnt)" 0 "stor_rnbd_client refcnt"
assert_eq "$(cat /sys/module/stor_rnbd_server/refcnt)" 0 "stor_rnbd_server refcnt"
# One leaked path would be tens of KiB of slab (control buffers alone are
# 64 KiB per side) and 16.5 MiB of chunk pages: 100 of them cannot hide
# in the noise (up to ~20 MiB of MemAvailable seen on 6.1 without any
# trend over 300 cycles).
[ $((slab1 - slab0)) -lt 2048 ] || fail "Slab grew by $((slab1 - slab0)) kB over $CYCLES cycles"
[ $((avail0 - avail1)) -lt 65536 ] ||
	fail "MemAvailable dropped by $((avail0 - avail1)) kB over $CYCLES cycles"

rmmod stor_rnbd_client || fail "rmmod stor_rnbd_client failed"
rmmod stor_rnbd_server || fail "rmmod stor_rnbd_server failed"
assert_eq "$(res)" "$res_nomod" "RDMA resources after unloading"
pass
