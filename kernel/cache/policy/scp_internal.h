/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scp internals: the registered policies, block bookkeeping shared by them
 * and the ghost history of the S3-FIFO family.
 *
 * Every policy keeps, per cache block, one struct scp_link (a doubly linked
 * list node made of two 32-bit cblock indexes, 8 bytes) and one state byte.
 * A block is on exactly one list at a time: the free list or one of the
 * policy's queues; PENDING blocks are on none.  All list operations are
 * O(1).  Everything here runs under the caller's lock.
 */
#ifndef _STORCTL_SCP_INTERNAL_H
#define _STORCTL_SCP_INTERNAL_H

#include "scp.h"

extern const struct scp_ops scp_s3fifo_ops;
extern const struct scp_ops scp_2q_ops;
extern const struct scp_ops scp_clock_ops;
extern const struct scp_ops scp_lru_ops;
extern const struct scp_ops scp_fifo_ops;

struct scp_link {
	u32 next;
	u32 prev;
};

/* A list of cblocks: @head is the oldest entry, @tail the newest. */
struct scp_list {
	u32 head;
	u32 tail;
	u32 nr;
};

/*
 * Per-block states.  Policies with one queue use SCP_ST_QUEUE; the S3-FIFO
 * family uses SCP_ST_QUEUE for its small queue and SCP_ST_MAIN for its main
 * one, and remembers where a pending block goes (SCP_ST_PENDING_MAIN).
 */
enum {
	SCP_ST_FREE = 0,
	SCP_ST_PENDING,
	SCP_ST_PENDING_MAIN,
	SCP_ST_QUEUE,
	SCP_ST_MAIN,
};

/**
 * struct scp_blocks - links, states and the free list of all cblocks
 * @link: @nr links
 * @state: @nr SCP_ST_* bytes
 * @free: FREE blocks; scp_blocks_take_free() takes the most recently
 *	freed one, and initially 0, 1, 2, ...
 * @nr: number of cblocks
 * @nr_pending: PENDING blocks
 */
struct scp_blocks {
	struct scp_link *link;
	u8 *state;
	struct scp_list free;
	u32 nr;
	u32 nr_pending;
};

static inline void scp_list_init(struct scp_list *l)
{
	l->head = SCP_NIL;
	l->tail = SCP_NIL;
	l->nr = 0;
}

static inline void scp_list_push_tail(struct scp_link *lk, struct scp_list *l,
				      u32 c)
{
	lk[c].next = SCP_NIL;
	lk[c].prev = l->tail;
	if (l->tail == SCP_NIL)
		l->head = c;
	else
		lk[l->tail].next = c;
	l->tail = c;
	l->nr++;
}

static inline void scp_list_push_head(struct scp_link *lk, struct scp_list *l,
				      u32 c)
{
	lk[c].prev = SCP_NIL;
	lk[c].next = l->head;
	if (l->head == SCP_NIL)
		l->tail = c;
	else
		lk[l->head].prev = c;
	l->head = c;
	l->nr++;
}

static inline void scp_list_del(struct scp_link *lk, struct scp_list *l,
				u32 c)
{
	u32 next = lk[c].next;
	u32 prev = lk[c].prev;

	if (prev == SCP_NIL)
		l->head = next;
	else
		lk[prev].next = next;
	if (next == SCP_NIL)
		l->tail = prev;
	else
		lk[next].prev = prev;
	lk[c].next = SCP_NIL;
	lk[c].prev = SCP_NIL;
	l->nr--;
}

/* Remove and return the oldest entry, SCP_NIL if @l is empty. */
static inline u32 scp_list_pop_head(struct scp_link *lk, struct scp_list *l)
{
	u32 c = l->head;

	if (c != SCP_NIL)
		scp_list_del(lk, l, c);
	return c;
}

/* Byte offset of the next 8-byte aligned object after @off. */
static inline size_t scp_align8(size_t off)
{
	return (off + 7) & ~(size_t)7;
}

/*
 * Memory layout helper: bytes for a struct of @head bytes followed by the
 * links and states of @nr blocks and @extra more bytes; 0 on overflow.
 */
static inline size_t scp_blocks_mem(size_t head, u32 nr, size_t extra)
{
	u64 total;

	if (nr == 0 || nr > SCP_MAX_CBLOCKS)
		return 0;
	total = scp_align8(head);
	total += (u64)nr * sizeof(struct scp_link);
	total += scp_align8(nr);
	total += extra;
	if (total > (u64)(size_t)-1)
		return 0;
	return (size_t)total;
}

/*
 * Carve links and states out of the memory after @head bytes of @base and
 * put every block on the free list.  Returns the first byte after them
 * (8-byte aligned) for the policy's own arrays.
 */
static inline u8 *scp_blocks_init(struct scp_blocks *b, void *base,
				  size_t head, u32 nr)
{
	u8 *mem = (u8 *)base + scp_align8(head);
	u32 i;

	BUILD_BUG_ON(sizeof(struct scp_link) != 8);
	b->link = (struct scp_link *)mem;
	mem += (size_t)nr * sizeof(struct scp_link);
	b->state = mem;
	mem += scp_align8(nr);
	b->nr = nr;
	b->nr_pending = 0;
	scp_list_init(&b->free);
	for (i = 0; i < nr; i++) {
		b->state[i] = SCP_ST_FREE;
		scp_list_push_tail(b->link, &b->free, i);
	}
	return mem;
}

/* Take a FREE block and make it @pending_state; SCP_NIL if none. */
static inline u32 scp_blocks_take_free(struct scp_blocks *b, u8 pending_state)
{
	u32 c = scp_list_pop_head(b->link, &b->free);

	if (c != SCP_NIL) {
		b->state[c] = pending_state;
		b->nr_pending++;
	}
	return c;
}

/* A block leaves its queue as a victim: it becomes @pending_state. */
static inline void scp_blocks_set_pending(struct scp_blocks *b, u32 c,
					  u8 pending_state)
{
	b->state[c] = pending_state;
	b->nr_pending++;
}

/* A PENDING block (already off every list) or a victim goes back free. */
static inline void scp_blocks_free(struct scp_blocks *b, u32 c)
{
	if (b->state[c] == SCP_ST_PENDING ||
	    b->state[c] == SCP_ST_PENDING_MAIN)
		b->nr_pending--;
	b->state[c] = SCP_ST_FREE;
	scp_list_push_head(b->link, &b->free, c);
}

static inline bool scp_st_pending(u8 st)
{
	return st == SCP_ST_PENDING || st == SCP_ST_PENDING_MAIN;
}

static inline enum scp_state scp_blocks_state(const struct scp_blocks *b,
					      u32 c)
{
	u8 st = b->state[c];

	if (st == SCP_ST_FREE)
		return SCP_STATE_FREE;
	if (scp_st_pending(st))
		return SCP_STATE_PENDING;
	return SCP_STATE_CACHED;
}

/* Fill the occupancy fields every policy has. */
static inline void scp_blocks_stats(const struct scp_blocks *b,
				    struct scp_stats *st)
{
	st->nr_free = b->free.nr;
	st->nr_pending = b->nr_pending;
	st->nr_cached = b->nr - b->free.nr - b->nr_pending;
}

/*
 * Ghost history (scp_ghost.c): "was this oblock evicted recently, and from
 * where?" without keeping the oblocks.  A table of 16-bit tags in 4-way
 * buckets: 14 bits of fingerprint and a 2-bit origin chosen by the policy.
 * Each bucket is a small FIFO (a new entry pushes out the bucket's oldest),
 * so the table behaves like one FIFO of its capacity.  A lookup that finds
 * the fingerprint removes the entry.  False positives need a fingerprint
 * collision within one bucket: at most 4 in 16384 lookups of oblocks that
 * are not in the ghost.
 */
#define SCP_GHOST_WAYS		4
#define SCP_GHOST_ORIGINS	4

struct scp_ghost {
	u16 *tag;		/* @max_buckets * SCP_GHOST_WAYS, 0 = empty */
	u32 max_buckets;	/* allocated */
	u32 nr_buckets;		/* in use; 0: no ghost */
	u32 nr_origin[SCP_GHOST_ORIGINS];	/* entries per origin */
};

/* Bytes of a ghost able to hold up to @max_entries entries. */
size_t scp_ghost_mem(u32 max_entries);
/* Set up an empty, disabled ghost in @mem (scp_ghost_mem() bytes). */
void scp_ghost_init(struct scp_ghost *g, void *mem, u32 max_entries);
/* Empty the ghost and size it for @entries (capped at the allocation). */
void scp_ghost_resize(struct scp_ghost *g, u32 entries);

/* Capacity in entries (0: disabled). */
static inline u32 scp_ghost_capacity(const struct scp_ghost *g)
{
	return g->nr_buckets * SCP_GHOST_WAYS;
}

/* Remember @oblock with @origin (0 .. SCP_GHOST_ORIGINS - 1). */
void scp_ghost_add(struct scp_ghost *g, u64 oblock, u32 origin);
/* The origin of @oblock (and forget it) if it is in the ghost, else -1. */
int scp_ghost_test_and_del(struct scp_ghost *g, u64 oblock);

/* @nr * @pct / 100 in 32-bit arithmetic (@pct <= 100). */
static inline u32 scp_pct(u32 nr, u32 pct)
{
	return (nr / 100) * pct + (nr % 100) * pct / 100;
}

#endif /* _STORCTL_SCP_INTERNAL_H */
