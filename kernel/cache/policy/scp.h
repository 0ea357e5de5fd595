/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scp: the replacement-policy core of dm-stor-cache.
 *
 * Split of work, as in dm-cache: the *mechanism* (the dm target) owns the
 * mapping oblock -> cblock, the reverse map cblock -> oblock and all I/O; a
 * *policy* only decides.  On a miss the policy answers "do not promote" or
 * "promote into cblock X" (evicting the oblock X holds, if any); the
 * mechanism does the copy and reports back.  The policy never sees data,
 * never allocates, never sleeps, uses no floating point and no recursion,
 * and every call below does a bounded amount of work (scp_create() is O(N)
 * once).  Cache blocks are 32-bit indexes (0 .. nr_cblocks - 1), never
 * pointers.
 *
 * Memory: scp_mem_size(ops, N) bytes, provided by the caller and aligned to
 * 8 bytes (kvzalloc()/malloc() are); scp_create() builds the policy inside
 * it.  Freeing that memory is all the teardown there is.
 *
 * Life of a cache block (scp_block_state()):
 *
 *   FREE    -- scp_miss() answers PROMOTE into it ---------> PENDING
 *   CACHED  -- scp_miss() answers PROMOTE, evict = 1 ------> PENDING
 *   PENDING -- scp_promoted() -----------------------------> CACHED
 *   PENDING -- scp_promotion_failed() or scp_invalidate() --> FREE
 *   CACHED  -- scp_invalidate() ----------------------------> FREE
 *
 * A PENDING block is busy: no decision returns it until the mechanism has
 * called scp_promoted() or scp_promotion_failed() (or scp_invalidate()) for
 * it.  Calls that do not fit the block's state are ignored and counted in
 * scp_stats.bad_calls; they never corrupt the policy.
 *
 * Concurrency contract (the mechanism's side):
 *
 *  - Every call on a policy instance except scp_hit() must be serialised by
 *    the caller: one lock per cache (a spinlock is fine: nothing here
 *    sleeps or allocates).  scp_find(), scp_mem_size() and the tunable
 *    name lookups touch no instance state.
 *  - scp_hit() needs no lock, unless ops->flags has SCP_OPS_HIT_LOCKED (only
 *    the exact-LRU baseline sets it: moving a block to the MRU end is a list
 *    update).  For every other policy, a hit is one relaxed byte store
 *    (a saturating "hot" counter or nothing at all), safe against other
 *    hits and against the locked calls.  Concurrent hits may lose
 *    increments, and a hit racing with the eviction of its block may set a
 *    hint on a block that has just been reused; both only make the policy
 *    slightly less precise, never inconsistent.
 *  - scp_hit() must only be called for a cblock that the mechanism maps
 *    (found in its own lookup); out-of-range cblocks are ignored.
 *  - The oblock_of() callback is called only from scp_miss() and
 *    scp_invalidate(), under the caller's lock, for CACHED blocks: the
 *    mechanism's reverse map must still hold their oblock at that point
 *    (unmap the victim *after* scp_miss() returns).
 */
#ifndef _STORCTL_SCP_H
#define _STORCTL_SCP_H

#include "scp_env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "no cache block" */
#define SCP_NIL			U32_MAX
/* Largest cache supported: cblock indexes below 2^31. */
#define SCP_MAX_CBLOCKS		0x80000000U

/* Policy used when none is named. */
#define SCP_DEFAULT_POLICY	"s3fifo"

/* scp_hit()/scp_miss() flags */
#define SCP_IO_WRITE		0x1U

enum scp_state {
	SCP_STATE_FREE = 0,
	SCP_STATE_PENDING = 1,
	SCP_STATE_CACHED = 2,
};

enum scp_op {
	SCP_OP_NONE = 0,	/* do not promote */
	SCP_OP_PROMOTE = 1,	/* promote the oblock into .cblock */
};

/**
 * struct scp_result - what a miss asks the mechanism to do
 * @op: SCP_OP_NONE or SCP_OP_PROMOTE
 * @cblock: the destination cache block (SCP_NIL with SCP_OP_NONE); it is
 *	PENDING until scp_promoted()/scp_promotion_failed()
 * @evict: 1 if @cblock held another oblock, which the mechanism must unmap
 *	before reusing the block (write-through/around: no writeback needed)
 */
struct scp_result {
	u32 op;
	u32 cblock;
	u32 evict;
};

/**
 * struct scp_stats - counters and occupancy (read under the caller's lock)
 *
 * Hits are not counted here: they happen without the lock, so the mechanism
 * counts them itself (per CPU).
 */
struct scp_stats {
	u64 misses;		/* scp_miss() calls */
	u64 promotions;		/* SCP_OP_PROMOTE decisions */
	u64 evictions;		/* ... of which evicted a cached block */
	u64 declined;		/* misses not promoted by choice (writes) */
	u64 busy;		/* misses not promoted: every block pending */
	u64 promotion_failures;
	u64 invalidations;	/* of PENDING or CACHED blocks */
	u64 ghost_hits;		/* misses found in the ghost history */
	u64 forced_evictions;	/* eviction scan cut at SCP_SCAN_MAX */
	u64 bad_calls;		/* calls ignored: wrong state or index */
	u32 nr_cblocks;
	u32 nr_free;
	u32 nr_pending;
	u32 nr_cached;
	u32 nr_small;		/* S3-FIFO family: probationary queue S */
	u32 nr_main;		/* S3-FIFO family: main queue M */
	u32 small_target;	/* S3-FIFO family: S's current target size */
	u32 ghost_capacity;	/* ghost entries (0: no ghost) */
	u32 mem_bytes;		/* scp_mem_size() / nr_cblocks, rounded up */
};

/* Most entries an eviction looks at before it takes the next one anyway. */
#define SCP_SCAN_MAX		64

/**
 * typedef scp_oblock_fn - the mechanism's reverse map
 *
 * Returns the oblock cached in @cblock.  Only policies with a ghost history
 * call it (to remember what they evict).
 */
typedef u64 (*scp_oblock_fn)(void *ctx, u32 cblock);

struct scp_policy;

/**
 * struct scp_tunable - one tunable, set by name (dm "#opt_args" pairs)
 * @name: e.g. "small_pct"
 * @min: smallest accepted value
 * @max: largest accepted value
 * @help: one line for documentation and "cachesim --help-policy"
 */
struct scp_tunable {
	const char *name;
	u32 min;
	u32 max;
	const char *help;
};

/* ops->flags */
#define SCP_OPS_HIT_LOCKED	0x1U	/* scp_hit() needs the caller's lock */

/**
 * struct scp_ops - one policy
 *
 * Called through the scp_*() wrappers below, which check indexes and
 * count; policies implement these and nothing else.
 */
struct scp_ops {
	const char *name;
	const char *description;
	u32 flags;
	const struct scp_tunable *tunables;
	u32 nr_tunables;

	/* bytes for @nr cblocks; 0 if @nr is unsupported */
	size_t (*mem_size)(u32 nr);
	/* build the policy in @p's memory; p->nr_cblocks is set */
	void (*init)(struct scp_policy *p);
	void (*hit)(struct scp_policy *p, u32 cblock, u32 flags);
	void (*miss)(struct scp_policy *p, u64 oblock, u32 flags,
		     struct scp_result *res);
	void (*promoted)(struct scp_policy *p, u32 cblock);
	void (*promotion_failed)(struct scp_policy *p, u32 cblock);
	void (*invalidate)(struct scp_policy *p, u32 cblock);
	enum scp_state (*state)(const struct scp_policy *p, u32 cblock);
	/* value already range-checked against tunables[idx] */
	void (*set_tunable)(struct scp_policy *p, u32 idx, u32 value);
	u32 (*get_tunable)(const struct scp_policy *p, u32 idx);
	/* fill the policy-specific fields (occupancy) of @st */
	void (*stats)(const struct scp_policy *p, struct scp_stats *st);
};

/**
 * struct scp_policy - common head of every policy instance
 *
 * Lives at the start of the caller-provided memory, followed by the
 * policy's own state.  @ops and @nr_cblocks never change after
 * scp_create() (the lock-free hit path reads them); everything else
 * belongs to the locked side.
 */
struct scp_policy {
	const struct scp_ops *ops;
	u32 nr_cblocks;
	u32 write_promote;	/* common tunable: promote on write misses */
	scp_oblock_fn oblock_of;
	void *ctx;
	struct scp_stats cnt;	/* counters; occupancy is filled on demand */
};

/* Registered policies, SCP_DEFAULT_POLICY first; NULL-terminated. */
extern const struct scp_ops *const scp_policies[];

/* The policy called @name (SCP_DEFAULT_POLICY for NULL or ""), or NULL. */
const struct scp_ops *scp_find(const char *name);

/* Bytes of memory for @nr cblocks; 0 if @nr is 0 or too large. */
size_t scp_mem_size(const struct scp_ops *ops, u32 nr);

/*
 * Build a policy for @nr cblocks, all FREE, in @mem (@len bytes, at least
 * scp_mem_size(), 8-byte aligned; it need not be zeroed).  @oblock_of may
 * be NULL: policies with a ghost history then keep none.  Returns the
 * policy (== @mem) or NULL for bad arguments.  O(@nr).
 */
struct scp_policy *scp_create(const struct scp_ops *ops, u32 nr, void *mem,
			      size_t len, scp_oblock_fn oblock_of, void *ctx);

/* A hit on a CACHED cblock (see the concurrency contract above). */
static inline void scp_hit(struct scp_policy *p, u32 cblock, u32 flags)
{
	if (likely(cblock < p->nr_cblocks))
		p->ops->hit(p, cblock, flags);
}

/*
 * A miss on @oblock (SCP_IO_WRITE for writes).  Write misses are declined
 * unless the "write_promote" tunable is 1: a write-through cache populates
 * nothing on a write miss by default, and a write-around cache never calls
 * this for writes.  Fills @res; never fails.
 */
void scp_miss(struct scp_policy *p, u64 oblock, u32 flags,
	      struct scp_result *res);

/* The copy into a PENDING cblock finished: it is CACHED from now on. */
void scp_promoted(struct scp_policy *p, u32 cblock);

/* The copy into a PENDING cblock failed: it is FREE again. */
void scp_promotion_failed(struct scp_policy *p, u32 cblock);

/*
 * Drop a CACHED or PENDING cblock (write-around write, discard, cache
 * device error): it is FREE and will be reused before any block is evicted.
 * Call it before unmapping the oblock (ghost policies may look it up).
 */
void scp_invalidate(struct scp_policy *p, u32 cblock);

/* FREE, PENDING or CACHED (FREE for out-of-range indexes). */
enum scp_state scp_block_state(const struct scp_policy *p, u32 cblock);

/*
 * Tunables: the policy's own (ops->tunables) plus "write_promote" (0/1).
 * Values are decimal u32 strings.  Returns 0, or -EINVAL for an unknown
 * name, a malformed number or a value out of range (nothing changes then).
 */
int scp_set_tunable(struct scp_policy *p, const char *name,
		    const char *value);
int scp_get_tunable(const struct scp_policy *p, const char *name, u32 *value);
/* Number of tunables and the name of the @idx-th (NULL past the end). */
u32 scp_nr_tunables(const struct scp_policy *p);
const char *scp_tunable_name(const struct scp_policy *p, u32 idx);

/* Counters and occupancy. */
void scp_get_stats(const struct scp_policy *p, struct scp_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* _STORCTL_SCP_H */
