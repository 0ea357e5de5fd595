// SPDX-License-Identifier: GPL-2.0
/*
 * scp: policy registry and the checked wrappers around struct scp_ops.
 *
 * The wrappers check cblock indexes, count what every policy has in common
 * and parse tunables, so each policy only implements its decisions.
 */
#include "scp.h"
#include "scp_internal.h"

const struct scp_ops *const scp_policies[] = {
	&scp_s3fifo_ops,	/* SCP_DEFAULT_POLICY */
	&scp_2q_ops,
	&scp_clock_ops,
	&scp_lru_ops,
	&scp_fifo_ops,
	NULL,
};

/* The tunable every policy has, handled here. */
static const struct scp_tunable scp_common_tunables[] = {
	{ "write_promote", 0, 1,
	  "1: a write miss may promote (write-through with write-allocate)" },
};

#define SCP_NR_COMMON	((u32)(sizeof(scp_common_tunables) / \
			       sizeof(scp_common_tunables[0])))

const struct scp_ops *scp_find(const char *name)
{
	u32 i;

	if (!name || !*name)
		name = SCP_DEFAULT_POLICY;
	for (i = 0; scp_policies[i]; i++) {
		if (!strcmp(scp_policies[i]->name, name))
			return scp_policies[i];
	}
	return NULL;
}

size_t scp_mem_size(const struct scp_ops *ops, u32 nr)
{
	if (!ops || nr == 0 || nr > SCP_MAX_CBLOCKS)
		return 0;
	return ops->mem_size(nr);
}

struct scp_policy *scp_create(const struct scp_ops *ops, u32 nr, void *mem,
			      size_t len, scp_oblock_fn oblock_of, void *ctx)
{
	struct scp_policy *p = mem;
	size_t need = scp_mem_size(ops, nr);

	if (!need || !mem || len < need || ((unsigned long)mem & 7))
		return NULL;
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->nr_cblocks = nr;
	p->oblock_of = oblock_of;
	p->ctx = ctx;
	ops->init(p);
	return p;
}

void scp_miss(struct scp_policy *p, u64 oblock, u32 flags,
	      struct scp_result *res)
{
	res->op = SCP_OP_NONE;
	res->cblock = SCP_NIL;
	res->evict = 0;
	p->cnt.misses++;
	if ((flags & SCP_IO_WRITE) && !p->write_promote) {
		p->cnt.declined++;
		return;
	}
	p->ops->miss(p, oblock, flags, res);
	if (res->op == SCP_OP_PROMOTE) {
		p->cnt.promotions++;
		if (res->evict)
			p->cnt.evictions++;
	}
}

void scp_promoted(struct scp_policy *p, u32 cblock)
{
	if (unlikely(cblock >= p->nr_cblocks)) {
		p->cnt.bad_calls++;
		return;
	}
	p->ops->promoted(p, cblock);
}

void scp_promotion_failed(struct scp_policy *p, u32 cblock)
{
	if (unlikely(cblock >= p->nr_cblocks)) {
		p->cnt.bad_calls++;
		return;
	}
	p->ops->promotion_failed(p, cblock);
}

void scp_invalidate(struct scp_policy *p, u32 cblock)
{
	if (unlikely(cblock >= p->nr_cblocks)) {
		p->cnt.bad_calls++;
		return;
	}
	p->ops->invalidate(p, cblock);
}

enum scp_state scp_block_state(const struct scp_policy *p, u32 cblock)
{
	if (cblock >= p->nr_cblocks)
		return SCP_STATE_FREE;
	return p->ops->state(p, cblock);
}

/* Parse a decimal u32: digits only, no sign, no spaces, no overflow. */
static int scp_parse_u32(const char *s, u32 *out)
{
	u64 v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (u32)(*s - '0');
		if (v > U32_MAX)
			return -EINVAL;
	}
	*out = (u32)v;
	return 0;
}

u32 scp_nr_tunables(const struct scp_policy *p)
{
	return SCP_NR_COMMON + p->ops->nr_tunables;
}

const char *scp_tunable_name(const struct scp_policy *p, u32 idx)
{
	if (idx < SCP_NR_COMMON)
		return scp_common_tunables[idx].name;
	idx -= SCP_NR_COMMON;
	if (idx < p->ops->nr_tunables)
		return p->ops->tunables[idx].name;
	return NULL;
}

/* Index of tunable @name (common ones first), or U32_MAX. */
static u32 scp_tunable_index(const struct scp_policy *p, const char *name)
{
	u32 i, n = scp_nr_tunables(p);

	if (!name)
		return U32_MAX;
	for (i = 0; i < n; i++) {
		if (!strcmp(scp_tunable_name(p, i), name))
			return i;
	}
	return U32_MAX;
}

int scp_set_tunable(struct scp_policy *p, const char *name, const char *value)
{
	const struct scp_tunable *t;
	u32 idx = scp_tunable_index(p, name);
	u32 v;

	if (idx == U32_MAX || scp_parse_u32(value, &v))
		return -EINVAL;
	if (idx < SCP_NR_COMMON)
		t = &scp_common_tunables[idx];
	else
		t = &p->ops->tunables[idx - SCP_NR_COMMON];
	if (v < t->min || v > t->max)
		return -EINVAL;
	if (idx < SCP_NR_COMMON)
		p->write_promote = v;
	else
		p->ops->set_tunable(p, idx - SCP_NR_COMMON, v);
	return 0;
}

int scp_get_tunable(const struct scp_policy *p, const char *name, u32 *value)
{
	u32 idx = scp_tunable_index(p, name);

	if (idx == U32_MAX)
		return -EINVAL;
	if (idx < SCP_NR_COMMON)
		*value = p->write_promote;
	else
		*value = p->ops->get_tunable(p, idx - SCP_NR_COMMON);
	return 0;
}

void scp_get_stats(const struct scp_policy *p, struct scp_stats *st)
{
	size_t bytes = scp_mem_size(p->ops, p->nr_cblocks);

	*st = p->cnt;
	st->nr_cblocks = p->nr_cblocks;
	st->mem_bytes = (u32)((bytes + p->nr_cblocks - 1) / p->nr_cblocks);
	p->ops->stats(p, st);
}
