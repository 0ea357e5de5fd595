// SPDX-License-Identifier: GPL-2.0
/*
 * scp "s3fifo" (the default), "2q" and "clock": the FIFO-queue family.
 *
 * S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction",
 * SOSP 2023) keeps three FIFO queues:
 *
 *  - S, a small probationary queue that every new block enters;
 *  - M, the main queue, a FIFO with reinsertion (a CLOCK): the head block is
 *    evicted if it has no hits left, else one hit is used up and it goes
 *    back to the tail;
 *  - G, a ghost history of evicted blocks (fingerprints only, scp_ghost.c).
 *
 * A miss found in G is promoted straight into M; any other miss enters S.
 * When S holds at least its share of the cache, eviction looks at S's head:
 * with promote_hits hits or more it moves to M, otherwise it is evicted and
 * remembered in G.  Otherwise it looks at M's head as above.  A one-pass
 * scan therefore only cycles through S and G: M, where the working set
 * lives, is untouched.
 *
 * Two additions of ours, both measured in docs/cache-policy.md:
 *
 *  - Adaptive S (tunable "adapt", on by default): as in ARC, G also
 *    remembers blocks evicted from M, and a ghost hit moves S's target: a
 *    block evicted from S that comes back means S is too small, one evicted
 *    from M that comes back means M is too small.  The step is the ratio of
 *    the two kinds of ghost entries (at least one block), the target stays
 *    within small_min_pct .. small_max_pct.  This recovers LRU's speed on
 *    shifting working sets without giving up the scan resistance.
 *  - An invalidated block (write-around write, discard) is remembered in G
 *    with a neutral origin, so re-reading it goes straight back to M
 *    instead of through probation; it does not move S's target.
 *
 * The same engine with other settings gives two more policies:
 *
 *  - "2q": 2Q (Johnson and Shasha, VLDB 1994) with a CLOCK main queue:
 *    A1in = S (25%), A1out = G (50%), hits in A1in never promote
 *    (promote_hits 0), only a ghost hit enters Am = M; no adaptation;
 *  - "clock": no S, no G: one FIFO with reinsertion (CLOCK).
 *
 * Hits only bump a saturating per-block counter (0..3) with one relaxed
 * byte store, so scp_hit() needs no lock.  An eviction looks at no more
 * than SCP_SCAN_MAX queue heads (then takes the next one anyway).
 *
 * Memory per cache block: struct scp_link (8 bytes) + state (1) + hit
 * counter (1) + ghost (2 bytes per entry, allocated for 100% of the cache).
 */
#include "scp_internal.h"

#define S3_HOT_MAX	3

/* Ghost entry origins. */
enum {
	S3_FROM_SMALL = 0,
	S3_FROM_MAIN = 1,
	S3_FROM_INVALIDATE = 2,
};

enum {
	S3_T_SMALL_PCT,
	S3_T_SMALL_MIN_PCT,
	S3_T_SMALL_MAX_PCT,
	S3_T_ADAPT,
	S3_T_GHOST_PCT,
	S3_T_PROMOTE_HITS,
	S3_T_MAX_FREQ,
	S3_NR_TUNABLES,
};

static const struct scp_tunable s3_tunables[S3_NR_TUNABLES] = {
	[S3_T_SMALL_PCT] = { "small_pct", 0, 50,
		"probationary queue S, % of the cache, initially (0: no S)" },
	[S3_T_SMALL_MIN_PCT] = { "small_min_pct", 1, 50,
		"adapt: smallest S, % of the cache" },
	[S3_T_SMALL_MAX_PCT] = { "small_max_pct", 1, 90,
		"adapt: largest S, % of the cache" },
	[S3_T_ADAPT] = { "adapt", 0, 1,
		"1: size S from ghost hits (ARC-like); 0: S stays at small_pct" },
	[S3_T_GHOST_PCT] = { "ghost_pct", 0, 100,
		"ghost history, % of the cache in entries (0: none); resets it" },
	[S3_T_PROMOTE_HITS] = { "promote_hits", 0, 3,
		"hits in S that move a block to M (0: never, as in 2Q)" },
	[S3_T_MAX_FREQ] = { "max_freq", 1, 3,
		"passes through M a hit buys (1: CLOCK, 3: 2-bit counter)" },
};

struct scp_s3 {
	struct scp_policy p;
	struct scp_blocks b;
	struct scp_list small;
	struct scp_list main;
	u8 *hot;
	struct scp_ghost ghost;
	u32 small_target;
	u32 small_lo;
	u32 small_hi;
	u32 tun[S3_NR_TUNABLES];
};

static struct scp_s3 *to_s3(struct scp_policy *p)
{
	return (struct scp_s3 *)p;
}

static const struct scp_s3 *to_cs3(const struct scp_policy *p)
{
	return (const struct scp_s3 *)p;
}

static size_t s3_mem_size(u32 nr)
{
	return scp_blocks_mem(sizeof(struct scp_s3), nr,
			      scp_align8(nr) + scp_ghost_mem(nr));
}

/* Recompute the size targets from the tunables. */
static void s3_apply(struct scp_s3 *s)
{
	u32 nr = s->p.nr_cblocks;
	u32 *t = s->tun;

	s->small_target = scp_pct(nr, t[S3_T_SMALL_PCT]);
	if (t[S3_T_SMALL_PCT] && !s->small_target)
		s->small_target = 1;
	s->small_lo = scp_pct(nr, t[S3_T_SMALL_MIN_PCT]);
	if (!s->small_lo)
		s->small_lo = 1;
	s->small_hi = scp_pct(nr, t[S3_T_SMALL_MAX_PCT]);
	if (s->small_hi < s->small_lo)
		s->small_hi = s->small_lo;
	if (t[S3_T_ADAPT] && s->small_target) {
		if (s->small_target < s->small_lo)
			s->small_target = s->small_lo;
		if (s->small_target > s->small_hi)
			s->small_target = s->small_hi;
	}
}

static void s3_resize_ghost(struct scp_s3 *s)
{
	u32 entries = 0;

	if (s->p.oblock_of)
		entries = scp_pct(s->p.nr_cblocks, s->tun[S3_T_GHOST_PCT]);
	scp_ghost_resize(&s->ghost, entries);
}

struct s3_preset {
	u32 tun[S3_NR_TUNABLES];
};

static void s3_init_with(struct scp_policy *p, const struct s3_preset *pre)
{
	struct scp_s3 *s = to_s3(p);
	u32 nr = p->nr_cblocks;
	u8 *mem;

	memset((u8 *)s + sizeof(s->p), 0, sizeof(*s) - sizeof(s->p));
	mem = scp_blocks_init(&s->b, s, sizeof(*s), nr);
	s->hot = mem;
	memset(s->hot, 0, nr);
	mem += scp_align8(nr);
	scp_ghost_init(&s->ghost, mem, nr);
	scp_list_init(&s->small);
	scp_list_init(&s->main);
	memcpy(s->tun, pre->tun, sizeof(s->tun));
	s3_apply(s);
	s3_resize_ghost(s);
}

static const struct s3_preset s3fifo_preset = { .tun = {
	[S3_T_SMALL_PCT] = 10,
	[S3_T_SMALL_MIN_PCT] = 1,
	[S3_T_SMALL_MAX_PCT] = 20,
	[S3_T_ADAPT] = 1,
	[S3_T_GHOST_PCT] = 100,
	[S3_T_PROMOTE_HITS] = 1,
	[S3_T_MAX_FREQ] = 1,
} };

static const struct s3_preset s2q_preset = { .tun = {
	[S3_T_SMALL_PCT] = 25,
	[S3_T_SMALL_MIN_PCT] = 1,
	[S3_T_SMALL_MAX_PCT] = 50,
	[S3_T_ADAPT] = 0,
	[S3_T_GHOST_PCT] = 50,
	[S3_T_PROMOTE_HITS] = 0,
	[S3_T_MAX_FREQ] = 1,
} };

static const struct s3_preset clock_preset = { .tun = {
	[S3_T_SMALL_PCT] = 0,
	[S3_T_SMALL_MIN_PCT] = 1,
	[S3_T_SMALL_MAX_PCT] = 50,
	[S3_T_ADAPT] = 0,
	[S3_T_GHOST_PCT] = 0,
	[S3_T_PROMOTE_HITS] = 1,
	[S3_T_MAX_FREQ] = 1,
} };

static void s3fifo_init(struct scp_policy *p)
{
	s3_init_with(p, &s3fifo_preset);
}

static void s2q_init(struct scp_policy *p)
{
	s3_init_with(p, &s2q_preset);
}

static void clock_init(struct scp_policy *p)
{
	s3_init_with(p, &clock_preset);
}

static void s3_hit(struct scp_policy *p, u32 cblock, u32 flags)
{
	struct scp_s3 *s = to_s3(p);
	u8 h = READ_ONCE(s->hot[cblock]);

	if (h < S3_HOT_MAX)
		WRITE_ONCE(s->hot[cblock], h + 1);
}

/* Remember @c's oblock in the ghost (no-op without a ghost). */
static void s3_remember(struct scp_s3 *s, u32 c, u32 origin)
{
	if (s->ghost.nr_buckets)
		scp_ghost_add(&s->ghost, s->p.oblock_of(s->p.ctx, c), origin);
}

/* Is it S's turn to give up a block? */
static bool s3_take_small(const struct scp_s3 *s)
{
	return s->small.nr && (s->small.nr >= s->small_target || !s->main.nr);
}

static u32 s3_evict_small_head(struct scp_s3 *s)
{
	u32 c = scp_list_pop_head(s->b.link, &s->small);

	s3_remember(s, c, S3_FROM_SMALL);
	return c;
}

static u32 s3_evict_main_head(struct scp_s3 *s)
{
	u32 c = scp_list_pop_head(s->b.link, &s->main);

	if (c != SCP_NIL && s->tun[S3_T_ADAPT])
		s3_remember(s, c, S3_FROM_MAIN);
	return c;
}

/*
 * Choose a victim among the CACHED blocks, SCP_NIL if there is none.  The
 * victim is off every list on return.
 */
static u32 s3_evict(struct scp_s3 *s)
{
	u32 promote = s->tun[S3_T_PROMOTE_HITS];
	u32 max_freq = s->tun[S3_T_MAX_FREQ];
	u32 scans, c;
	u8 h;

	for (scans = 0; scans < SCP_SCAN_MAX; scans++) {
		if (s3_take_small(s)) {
			c = s->small.head;
			h = READ_ONCE(s->hot[c]);
			if (!promote || h < promote)
				return s3_evict_small_head(s);
			scp_list_del(s->b.link, &s->small, c);
			WRITE_ONCE(s->hot[c], 0);
			s->b.state[c] = SCP_ST_MAIN;
			scp_list_push_tail(s->b.link, &s->main, c);
			continue;
		}
		c = s->main.head;
		if (c == SCP_NIL)
			return SCP_NIL;
		h = READ_ONCE(s->hot[c]);
		if (!h)
			return s3_evict_main_head(s);
		if (h > max_freq)
			h = max_freq;
		WRITE_ONCE(s->hot[c], h - 1);
		scp_list_del(s->b.link, &s->main, c);
		scp_list_push_tail(s->b.link, &s->main, c);
	}
	s->p.cnt.forced_evictions++;
	if (s3_take_small(s))
		return s3_evict_small_head(s);
	return s3_evict_main_head(s);
}

/*
 * A ghost hit on a block evicted from S (@origin S3_FROM_SMALL) or from M:
 * move S's target towards the queue that lost it, by the ratio of the other
 * kind of ghost entries to this kind (as ARC does with its B1 and B2).
 */
static void s3_adapt(struct scp_s3 *s, int origin)
{
	u32 from_small = s->ghost.nr_origin[S3_FROM_SMALL];
	u32 from_main = s->ghost.nr_origin[S3_FROM_MAIN];
	u32 step;

	if (origin == S3_FROM_SMALL) {
		step = from_small ? from_main / from_small : 1;
		step = step ? step : 1;
		if (s->small_target + step < s->small_hi)
			s->small_target += step;
		else
			s->small_target = s->small_hi;
	} else {
		step = from_main ? from_small / from_main : 1;
		step = step ? step : 1;
		if (s->small_target > s->small_lo + step)
			s->small_target -= step;
		else
			s->small_target = s->small_lo;
	}
}

static void s3_miss(struct scp_policy *p, u64 oblock, u32 flags,
		    struct scp_result *res)
{
	struct scp_s3 *s = to_s3(p);
	u8 st = SCP_ST_PENDING;
	int origin;
	u32 c;

	if (!s->small_target) {
		st = SCP_ST_PENDING_MAIN;
	} else {
		origin = scp_ghost_test_and_del(&s->ghost, oblock);
		if (origin >= 0) {
			p->cnt.ghost_hits++;
			st = SCP_ST_PENDING_MAIN;
			if (s->tun[S3_T_ADAPT] && origin != S3_FROM_INVALIDATE)
				s3_adapt(s, origin);
		}
	}
	c = scp_blocks_take_free(&s->b, st);
	if (c == SCP_NIL) {
		c = s3_evict(s);
		if (c == SCP_NIL) {
			p->cnt.busy++;
			return;
		}
		scp_blocks_set_pending(&s->b, c, st);
		res->evict = 1;
	}
	res->op = SCP_OP_PROMOTE;
	res->cblock = c;
}

static void s3_promoted(struct scp_policy *p, u32 cblock)
{
	struct scp_s3 *s = to_s3(p);
	u8 st = s->b.state[cblock];

	if (!scp_st_pending(st)) {
		p->cnt.bad_calls++;
		return;
	}
	s->b.nr_pending--;
	WRITE_ONCE(s->hot[cblock], 0);
	if (st == SCP_ST_PENDING_MAIN) {
		s->b.state[cblock] = SCP_ST_MAIN;
		scp_list_push_tail(s->b.link, &s->main, cblock);
	} else {
		s->b.state[cblock] = SCP_ST_QUEUE;
		scp_list_push_tail(s->b.link, &s->small, cblock);
	}
}

static void s3_promotion_failed(struct scp_policy *p, u32 cblock)
{
	struct scp_s3 *s = to_s3(p);

	if (!scp_st_pending(s->b.state[cblock])) {
		p->cnt.bad_calls++;
		return;
	}
	p->cnt.promotion_failures++;
	scp_blocks_free(&s->b, cblock);
}

static void s3_invalidate(struct scp_policy *p, u32 cblock)
{
	struct scp_s3 *s = to_s3(p);
	u8 st = s->b.state[cblock];

	if (st == SCP_ST_QUEUE) {
		s3_remember(s, cblock, S3_FROM_INVALIDATE);
		scp_list_del(s->b.link, &s->small, cblock);
	} else if (st == SCP_ST_MAIN) {
		s3_remember(s, cblock, S3_FROM_INVALIDATE);
		scp_list_del(s->b.link, &s->main, cblock);
	} else if (!scp_st_pending(st)) {
		p->cnt.bad_calls++;
		return;
	}
	p->cnt.invalidations++;
	scp_blocks_free(&s->b, cblock);
}

static enum scp_state s3_state(const struct scp_policy *p, u32 cblock)
{
	return scp_blocks_state(&to_cs3(p)->b, cblock);
}

static void s3_set_tunable(struct scp_policy *p, u32 idx, u32 value)
{
	struct scp_s3 *s = to_s3(p);

	s->tun[idx] = value;
	if (idx == S3_T_GHOST_PCT)
		s3_resize_ghost(s);
	else
		s3_apply(s);
}

static u32 s3_get_tunable(const struct scp_policy *p, u32 idx)
{
	return to_cs3(p)->tun[idx];
}

static void s3_stats(const struct scp_policy *p, struct scp_stats *st)
{
	const struct scp_s3 *s = to_cs3(p);

	scp_blocks_stats(&s->b, st);
	st->nr_small = s->small.nr;
	st->nr_main = s->main.nr;
	st->small_target = s->small_target;
	st->ghost_capacity = scp_ghost_capacity(&s->ghost);
}

#define SCP_S3_OPS(_name, _desc, _init)				\
	{							\
		.name = _name,					\
		.description = _desc,				\
		.tunables = s3_tunables,			\
		.nr_tunables = S3_NR_TUNABLES,			\
		.mem_size = s3_mem_size,			\
		.init = _init,					\
		.hit = s3_hit,					\
		.miss = s3_miss,				\
		.promoted = s3_promoted,			\
		.promotion_failed = s3_promotion_failed,	\
		.invalidate = s3_invalidate,			\
		.state = s3_state,				\
		.set_tunable = s3_set_tunable,			\
		.get_tunable = s3_get_tunable,			\
		.stats = s3_stats,				\
	}

const struct scp_ops scp_s3fifo_ops = SCP_S3_OPS("s3fifo",
	"S3-FIFO with adaptive small queue: S + CLOCK M + ghost (default)",
	s3fifo_init);
const struct scp_ops scp_2q_ops = SCP_S3_OPS("2q",
	"2Q with a CLOCK main queue: A1in + A1out ghost + Am",
	s2q_init);
const struct scp_ops scp_clock_ops = SCP_S3_OPS("clock",
	"CLOCK: FIFO with reinsertion of hit blocks", clock_init);
