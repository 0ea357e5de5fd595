// SPDX-License-Identifier: GPL-2.0
/*
 * scp "lru": exact least recently used.  The baseline.
 *
 * One queue ordered by last use: a promotion or a hit puts the block at the
 * tail, evictions take the head.  A hit is therefore a list update and
 * needs the caller's lock (SCP_OPS_HIT_LOCKED): exact LRU cannot be kept
 * with a lock-free "touched" bit, which only gives CLOCK (see "clock").
 * Per cache block: one struct scp_link (8 bytes) and a state byte.
 */
#include "scp_internal.h"

struct scp_lru {
	struct scp_policy p;
	struct scp_blocks b;
	struct scp_list queue;
};

static struct scp_lru *to_lru(struct scp_policy *p)
{
	return (struct scp_lru *)p;
}

static const struct scp_lru *to_clru(const struct scp_policy *p)
{
	return (const struct scp_lru *)p;
}

static size_t lru_mem_size(u32 nr)
{
	return scp_blocks_mem(sizeof(struct scp_lru), nr, 0);
}

static void lru_init(struct scp_policy *p)
{
	struct scp_lru *l = to_lru(p);

	scp_blocks_init(&l->b, l, sizeof(*l), p->nr_cblocks);
	scp_list_init(&l->queue);
}

static void lru_hit(struct scp_policy *p, u32 cblock, u32 flags)
{
	struct scp_lru *l = to_lru(p);

	if (l->b.state[cblock] != SCP_ST_QUEUE)
		return;
	scp_list_del(l->b.link, &l->queue, cblock);
	scp_list_push_tail(l->b.link, &l->queue, cblock);
}

static void lru_miss(struct scp_policy *p, u64 oblock, u32 flags,
		     struct scp_result *res)
{
	struct scp_lru *l = to_lru(p);
	u32 c = scp_blocks_take_free(&l->b, SCP_ST_PENDING);

	if (c == SCP_NIL) {
		c = scp_list_pop_head(l->b.link, &l->queue);
		if (c == SCP_NIL) {
			p->cnt.busy++;
			return;
		}
		scp_blocks_set_pending(&l->b, c, SCP_ST_PENDING);
		res->evict = 1;
	}
	res->op = SCP_OP_PROMOTE;
	res->cblock = c;
}

static void lru_promoted(struct scp_policy *p, u32 cblock)
{
	struct scp_lru *l = to_lru(p);

	if (l->b.state[cblock] != SCP_ST_PENDING) {
		p->cnt.bad_calls++;
		return;
	}
	l->b.nr_pending--;
	l->b.state[cblock] = SCP_ST_QUEUE;
	scp_list_push_tail(l->b.link, &l->queue, cblock);
}

static void lru_promotion_failed(struct scp_policy *p, u32 cblock)
{
	struct scp_lru *l = to_lru(p);

	if (l->b.state[cblock] != SCP_ST_PENDING) {
		p->cnt.bad_calls++;
		return;
	}
	p->cnt.promotion_failures++;
	scp_blocks_free(&l->b, cblock);
}

static void lru_invalidate(struct scp_policy *p, u32 cblock)
{
	struct scp_lru *l = to_lru(p);
	u8 st = l->b.state[cblock];

	if (st == SCP_ST_QUEUE) {
		scp_list_del(l->b.link, &l->queue, cblock);
	} else if (st != SCP_ST_PENDING) {
		p->cnt.bad_calls++;
		return;
	}
	p->cnt.invalidations++;
	scp_blocks_free(&l->b, cblock);
}

static enum scp_state lru_state(const struct scp_policy *p, u32 cblock)
{
	return scp_blocks_state(&to_clru(p)->b, cblock);
}

static void lru_set_tunable(struct scp_policy *p, u32 idx, u32 value)
{
}

static u32 lru_get_tunable(const struct scp_policy *p, u32 idx)
{
	return 0;
}

static void lru_stats(const struct scp_policy *p, struct scp_stats *st)
{
	scp_blocks_stats(&to_clru(p)->b, st);
}

const struct scp_ops scp_lru_ops = {
	.name = "lru",
	.description = "exact least recently used (baseline; hits need the lock)",
	.flags = SCP_OPS_HIT_LOCKED,
	.mem_size = lru_mem_size,
	.init = lru_init,
	.hit = lru_hit,
	.miss = lru_miss,
	.promoted = lru_promoted,
	.promotion_failed = lru_promotion_failed,
	.invalidate = lru_invalidate,
	.state = lru_state,
	.set_tunable = lru_set_tunable,
	.get_tunable = lru_get_tunable,
	.stats = lru_stats,
};
