#!/usr/bin/env bash
# tests/vm/systemd/_install.sh - install storctl into the test VM's root the
# way an admin does, for run-vm --systemd --preboot (before systemd starts):
#
#   make install-files PREFIX=/usr/local KVER=<guest kernel>
#       cmake --install (binaries in /usr/local/sbin, the unit in
#       /usr/local/lib/systemd/system, man pages, completion, config, state
#       dir) and the modules built for KVER copied to
#       /lib/modules/KVER/updates/storctl, then depmod -a KVER
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
	BUILD="$STORCTL_BUILD" PREFIX=/usr/local KVER="$KVER"
step systemctl enable storctld.service
read -r up _ </proc/uptime
echo "+ [$up s] done" >>"$log"
