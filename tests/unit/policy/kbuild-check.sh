#!/usr/bin/env bash
# Build kernel/cache/policy/*.c as a throwaway module (W=1, -Werror) for
# every kernel whose headers are installed, in a temporary directory, to
# prove the policy core is warning-free kernel C.  The repository gets no
# Kbuild file for it: dm-stor-cache will link these objects itself.
# usage: kbuild-check.sh SRC_DIR [KVER...]     exit 77: no kernel headers
set -euo pipefail
src=$(cd "${1:?source dir}" && pwd)
shift
kvers=("$@")
if [ ${#kvers[@]} -eq 0 ]; then
	for d in /lib/modules/*/build; do
		case $d in */*-storctl-debug/build) continue ;; esac
		[ -d "$d" ] && kvers+=("$(basename "$(dirname "$d")")")
	done
fi
[ ${#kvers[@]} -gt 0 ] || { echo "no kernel headers installed: skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scp-kbuild.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
objs=()
for f in "$src"/kernel/cache/policy/*.[ch]; do
	ln -s "$f" "$tmp/"
	case $f in *.c) objs+=("$(basename "${f%.c}").o") ;; esac
done
cat >"$tmp/scp_check_mod.c" <<'C'
// SPDX-License-Identifier: GPL-2.0
/* Throwaway module: instantiate the default policy once. */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "scp.h"

static u64 scp_check_oblock(void *ctx, u32 cblock)
{
	return cblock;
}

static int __init scp_check_init(void)
{
	const struct scp_ops *ops = scp_find(NULL);
	size_t len = scp_mem_size(ops, 1024);
	void *mem = kvzalloc(len, GFP_KERNEL);
	struct scp_result res;
	struct scp_policy *p;

	if (!mem)
		return -ENOMEM;
	p = scp_create(ops, 1024, mem, len, scp_check_oblock, NULL);
	scp_miss(p, 1, 0, &res);
	if (res.op == SCP_OP_PROMOTE) {
		scp_promoted(p, res.cblock);
		scp_hit(p, res.cblock, 0);
	}
	kvfree(mem);
	return 0;
}

static void __exit scp_check_exit(void)
{
}

module_init(scp_check_init);
module_exit(scp_check_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("storctl cache policy core build check");
C
cat >"$tmp/Kbuild" <<K
obj-m += scp_check.o
scp_check-y := ${objs[*]} scp_check_mod.o
ccflags-y += -Werror
K

rc=0
for kv in "${kvers[@]}"; do
	kdir=/lib/modules/$kv/build
	if out=$(make -C "$kdir" M="$tmp" W=1 modules 2>&1) &&
	   ! grep -qiE '(warning|error):' <<<"$out"; then
		echo "scp builds warning-free as kernel C for $kv"
	else
		echo "$out" | grep -vE '^make\[|Entering|Leaving' >&2
		echo "FAILED: scp for $kv" >&2
		rc=1
	fi
	make -C "$kdir" M="$tmp" clean >/dev/null 2>&1 || true
done
exit $rc
