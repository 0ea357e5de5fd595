// SPDX-License-Identifier: GPL-2.0
/*
 * scp "fifo": first in, first out.  The baseline.
 *
 * Blocks are evicted in the order they were promoted; hits change nothing
 * (scp_hit() is a no-op, trivially lock-free).  Per cache block: one
 * struct scp_link (8 bytes) and a state byte.
 */
#include "scp_internal.h"

struct scp_fifo {
	struct scp_policy p;
	struct scp_blocks b;
	struct scp_list queue;
};

static struct scp_fifo *to_fifo(struct scp_policy *p)
{
	return (struct scp_fifo *)p;
}

static const struct scp_fifo *to_cfifo(const struct scp_policy *p)
{
	return (const struct scp_fifo *)p;
}

static size_t fifo_mem_size(u32 nr)
{
	return scp_blocks_mem(sizeof(struct scp_fifo), nr, 0);
}

static void fifo_init(struct scp_policy *p)
{
	struct scp_fifo *f = to_fifo(p);

	scp_blocks_init(&f->b, f, sizeof(*f), p->nr_cblocks);
	scp_list_init(&f->queue);
}

static void fifo_hit(struct scp_policy *p, u32 cblock, u32 flags)
{
}

static void fifo_miss(struct scp_policy *p, u64 oblock, u32 flags,
		      struct scp_result *res)
{
	struct scp_fifo *f = to_fifo(p);
	u32 c = scp_blocks_take_free(&f->b, SCP_ST_PENDING);

	if (c == SCP_NIL) {
		c = scp_list_pop_head(f->b.link, &f->queue);
		if (c == SCP_NIL) {
			p->cnt.busy++;
			return;
		}
		scp_blocks_set_pending(&f->b, c, SCP_ST_PENDING);
		res->evict = 1;
	}
	res->op = SCP_OP_PROMOTE;
	res->cblock = c;
}

static void fifo_promoted(struct scp_policy *p, u32 cblock)
{
	struct scp_fifo *f = to_fifo(p);

	if (f->b.state[cblock] != SCP_ST_PENDING) {
		p->cnt.bad_calls++;
		return;
	}
	f->b.nr_pending--;
	f->b.state[cblock] = SCP_ST_QUEUE;
	scp_list_push_tail(f->b.link, &f->queue, cblock);
}

static void fifo_promotion_failed(struct scp_policy *p, u32 cblock)
{
	struct scp_fifo *f = to_fifo(p);

	if (f->b.state[cblock] != SCP_ST_PENDING) {
		p->cnt.bad_calls++;
		return;
	}
	p->cnt.promotion_failures++;
	scp_blocks_free(&f->b, cblock);
}

static void fifo_invalidate(struct scp_policy *p, u32 cblock)
{
	struct scp_fifo *f = to_fifo(p);
	u8 st = f->b.state[cblock];

	if (st == SCP_ST_QUEUE) {
		scp_list_del(f->b.link, &f->queue, cblock);
	} else if (st != SCP_ST_PENDING) {
		p->cnt.bad_calls++;
		return;
	}
	p->cnt.invalidations++;
	scp_blocks_free(&f->b, cblock);
}

static enum scp_state fifo_state(const struct scp_policy *p, u32 cblock)
{
	return scp_blocks_state(&to_cfifo(p)->b, cblock);
}

static void fifo_set_tunable(struct scp_policy *p, u32 idx, u32 value)
{
}

static u32 fifo_get_tunable(const struct scp_policy *p, u32 idx)
{
	return 0;
}

static void fifo_stats(const struct scp_policy *p, struct scp_stats *st)
{
	scp_blocks_stats(&to_cfifo(p)->b, st);
}

const struct scp_ops scp_fifo_ops = {
	.name = "fifo",
	.description = "first in, first out (baseline)",
	.mem_size = fifo_mem_size,
	.init = fifo_init,
	.hit = fifo_hit,
	.miss = fifo_miss,
	.promoted = fifo_promoted,
	.promotion_failed = fifo_promotion_failed,
	.invalidate = fifo_invalidate,
	.state = fifo_state,
	.set_tunable = fifo_set_tunable,
	.get_tunable = fifo_get_tunable,
	.stats = fifo_stats,
};
