#!/usr/bin/env bash
# tests/vm/systemd/_install.sh - install storctl into the test VM's root the
# way an admin does, for run-vm --systemd --preboot (before systemd starts):
#
#   make install-files PREFIX=/usr/local KVER=<guest kernel> DEPMOD=:
#       cmake --install (binaries in /usr/local/sbin, the unit in
#       /usr/local/lib/systemd/system, man pages, completion, config, state
#       dir) and the modules built for KVER copied to
#       /lib/modules/KVER/updates/storctl; instead of depmod -a KVER (which
#       reads every module of the kernel over 9p: 92 s and more on 6.12),
#       the modules.* files tests/vm/systemd/depmod-host made on the host
#       for the same tree (ctest fixture vm.depmod.<kver>) are copied in;
#       without them (run-vm by hand) depmod runs here
#   systemctl enable storctld.service
#
# Everything lands in the guest's tmpfs overlay; the host is never written
# (its root is mounted read-only under the overlay).  The output of the
# install goes to $VM_RESULTS/install.log (with the guest's uptime at each
# step), and to stderr if it fails.
# Refuses to run anywhere but in a run-vm --systemd guest.
set -euo pipefail

me=${0##*/}
if [ -z "${VM_RESULTS:-}" ] || [ -z "${KVER:-}" ] || [ ! -e /run/storctl-vm-results ] ||
	! grep -qw 'systemd.unit=storctl-vmtest.target' /proc/cmdline; then
	echo "$me: refusing to run: not in the root of a run-vm --systemd guest" >&2
	exit 1
fi
[ "$(uname -r)" = "$KVER" ] || { echo "$me: running kernel $(uname -r), not KVER=$KVER" >&2; exit 1; }

log=$VM_RESULTS/install.log
step() {
	local up
	read -r up _ </proc/uptime
	echo "+ [$up s] $*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		echo "$me: '$*' failed; its output:" >&2
		cat "$log" >&2
		exit 1
	fi
}

: >"$log"
step make -C "$STORCTL_SRC" --no-print-directory install-files \
	BUILD="$STORCTL_BUILD" PREFIX=/usr/local KVER="$KVER" DEPMOD=:
# The index files from the host's depmod over the same tree, if they list
# exactly the modules just installed; else depmod here.
idx=$STORCTL_BUILD/vm-depmod/lib/modules/$KVER
want=$(cd "/lib/modules/$KVER/updates/storctl" && ls -- *.ko | sort)
have=$({ sed -n 's|^updates/storctl/\([^:]*\):.*|\1|p' "$idx/modules.dep" 2>/dev/null || true; } | sort)
if [ -n "$want" ] && [ "$want" = "$have" ]; then
	step cp "$idx"/modules.* "/lib/modules/$KVER/"
	echo "+ modules.* from the host's depmod ($idx)" >>"$log"
else
	echo "+ no host depmod for these modules in $idx: depmod here" >>"$log"
	step depmod -a "$KVER"
fi
step systemctl enable storctld.service
read -r up _ </proc/uptime
echo "+ [$up s] done" >>"$log"
