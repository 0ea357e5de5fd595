#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the VM harness itself (runs inside the guest via run-vm):
# the project module is loaded, its control device exists, the CLI runs
# and the results share is writable.
# vm-args: --mem 1024
set -euo pipefail

fail() {
	echo "boot.sh: FAIL: $*" >&2
	exit 1
}

echo "boot.sh: kernel $(uname -r), KVER=$KVER"
[ "$(uname -r)" = "$KVER" ] || fail "running $(uname -r), expected $KVER"
[ "$(id -u)" = 0 ] || fail "not root"
[ "$PWD" = "$STORCTL_SRC" ] || fail "cwd $PWD, expected $STORCTL_SRC"
[ -d "$STORCTL_BUILD" ] || fail "STORCTL_BUILD=$STORCTL_BUILD is not a directory"
[[ ":$PATH:" == *":$STORCTL_BUILD/bin:"* ]] || fail "PATH lacks $STORCTL_BUILD/bin"

lsmod | grep -q '^stor_ramdisk ' || fail "lsmod does not list stor_ramdisk"
[ -c /dev/srd-control ] || fail "/dev/srd-control is missing or not a character device"

if [ -x "$STORCTL_BUILD/bin/storctl" ]; then
	version=$("$STORCTL_BUILD/bin/storctl" --version) || fail "storctl --version failed"
	echo "boot.sh: $version"
	[[ $version == "storctl "* ]] || fail "unexpected version output: $version"
else
	echo "boot.sh: $STORCTL_BUILD/bin/storctl not built, skipping the CLI check"
fi

[ -d "$VM_RESULTS" ] || fail "VM_RESULTS=$VM_RESULTS is not a directory"
marker=$VM_RESULTS/boot-marker
echo "booted $KVER" >"$marker" || fail "cannot write $marker"
[ "$(cat "$marker")" = "booted $KVER" ] || fail "marker reads back wrong"

echo "boot.sh: ok"
exit 0
