// SPDX-License-Identifier: GPL-2.0
/*
 * scp ghost history: fingerprints of recently evicted oblocks.
 *
 * See struct scp_ghost in scp_internal.h.  The bucket comes from the high
 * 32 bits of a 64-bit mix of the oblock (multiply-shift, so any bucket
 * count works without a division), the fingerprint from the low bits.
 * Within a bucket, way 0 is the newest entry.  All O(SCP_GHOST_WAYS),
 * except scp_ghost_resize() (a memset of the table).
 */
#include "scp_internal.h"

#define SCP_GHOST_ORIGIN_MASK	((u16)(SCP_GHOST_ORIGINS - 1))

/* A 64-bit mix (xor-shift-multiply rounds, odd multipliers). */
static u64 scp_ghost_hash(u64 x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return x;
}

static u16 *scp_ghost_bucket(const struct scp_ghost *g, u64 h)
{
	u32 b = (u32)(((h >> 32) * g->nr_buckets) >> 32);

	return g->tag + (size_t)b * SCP_GHOST_WAYS;
}

/* The fingerprint part of a tag: never 0, so a 0 tag means empty. */
static u16 scp_ghost_fingerprint(u64 h)
{
	u16 f = (u16)h & ~SCP_GHOST_ORIGIN_MASK;

	return f ? f : SCP_GHOST_ORIGIN_MASK + 1;
}

static u32 scp_ghost_buckets_for(u32 entries)
{
	return entries / SCP_GHOST_WAYS + !!(entries % SCP_GHOST_WAYS);
}

size_t scp_ghost_mem(u32 max_entries)
{
	return (size_t)scp_ghost_buckets_for(max_entries) * SCP_GHOST_WAYS *
	       sizeof(u16);
}

void scp_ghost_init(struct scp_ghost *g, void *mem, u32 max_entries)
{
	memset(g, 0, sizeof(*g));
	g->tag = mem;
	g->max_buckets = scp_ghost_buckets_for(max_entries);
}

void scp_ghost_resize(struct scp_ghost *g, u32 entries)
{
	u32 nb = scp_ghost_buckets_for(entries);

	if (nb > g->max_buckets)
		nb = g->max_buckets;
	g->nr_buckets = nb;
	memset(g->nr_origin, 0, sizeof(g->nr_origin));
	memset(g->tag, 0, scp_ghost_mem(nb * SCP_GHOST_WAYS));
}

void scp_ghost_add(struct scp_ghost *g, u64 oblock, u32 origin)
{
	u16 *w, last;
	u64 h;
	u32 i;

	if (!g->nr_buckets)
		return;
	origin &= SCP_GHOST_ORIGIN_MASK;
	h = scp_ghost_hash(oblock);
	w = scp_ghost_bucket(g, h);
	last = w[SCP_GHOST_WAYS - 1];
	if (last)
		g->nr_origin[last & SCP_GHOST_ORIGIN_MASK]--;
	for (i = SCP_GHOST_WAYS - 1; i > 0; i--)
		w[i] = w[i - 1];
	w[0] = scp_ghost_fingerprint(h) | (u16)origin;
	g->nr_origin[origin]++;
}

int scp_ghost_test_and_del(struct scp_ghost *g, u64 oblock)
{
	u16 *w, f;
	u64 h;
	u32 i;
	int origin;

	if (!g->nr_buckets)
		return -1;
	h = scp_ghost_hash(oblock);
	w = scp_ghost_bucket(g, h);
	f = scp_ghost_fingerprint(h);
	for (i = 0; i < SCP_GHOST_WAYS; i++) {
		if (!w[i] || (w[i] & ~SCP_GHOST_ORIGIN_MASK) != f)
			continue;
		origin = w[i] & SCP_GHOST_ORIGIN_MASK;
		g->nr_origin[origin]--;
		for (; i < SCP_GHOST_WAYS - 1; i++)
			w[i] = w[i + 1];
		w[SCP_GHOST_WAYS - 1] = 0;
		return origin;
	}
	return -1;
}
