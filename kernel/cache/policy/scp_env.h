/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Environment shim of the storctl cache policy core (scp).
 *
 * The policy sources (scp*.c) are plain C that builds in two places:
 *
 *  - in the kernel, linked into the dm-stor-cache target (__KERNEL__ set):
 *    everything comes from the kernel's own headers;
 *  - in userspace, for bench/cachesim and the unit tests: this file supplies
 *    the few kernel names the sources use, from the C library only.
 *
 * The policy core never allocates, never sleeps, never uses floating point
 * and never recurses.  The caller asks how many bytes a policy needs for N
 * cache blocks (scp_mem_size()) and hands over that much memory (kvzalloc()
 * in the kernel, malloc() in userspace); see scp.h.
 *
 * Shared-memory accessors: READ_ONCE()/WRITE_ONCE() are the kernel's; the
 * userspace versions are relaxed atomic loads and stores, which is what
 * the lock-free hit path needs (a racy but untorn byte update).
 */
#ifndef _STORCTL_SCP_ENV_H
#define _STORCTL_SCP_ENV_H

#ifdef __KERNEL__

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/string.h>
#include <linux/types.h>

#else /* userspace */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#ifndef __cplusplus
#include <stdbool.h>
#endif

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define U8_MAX		((u8)~0U)
#define U16_MAX		((u16)~0U)
#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

#define BUILD_BUG_ON(cond)	static_assert(!(cond), #cond)

#endif /* __KERNEL__ */

#endif /* _STORCTL_SCP_ENV_H */
