// SPDX-License-Identifier: GPL-2.0
/*
 * dm-stor-cache: the device-mapper target "stor-cache", a write-through
 * (wt) or write-around (wa) cache of a slow origin device on a fast cache
 * device.  Metadata lives in memory only.  See docs/dm-stor-cache.md for
 * the table, status and message formats and for the design.
 *
 * Mapping: oblock (origin block) -> cblock (cache block) is a chained hash
 * of 32-bit cblock indexes; the reverse map is one u64 per cblock.  Every
 * change of the mapping, of a cblock's state and every policy call except
 * scp_hit() happens under c->lock.  A read hit looks the block up without
 * the lock and remembers the cblock's generation; every unmap increments
 * the generation before the cblock can be reused, and the hit's end_io
 * compares: a changed generation (or a cache read error) sends the bio to
 * the origin again from the per-target worker (end_io returns
 * DM_ENDIO_INCOMPLETE and the worker resubmits the same bio, as
 * dm-multipath does), so a hit never returns another block's data.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "policy/scp.h"

#define DM_MSG_PREFIX "stor-cache"

/* Cache block size limits, in 512-byte sectors: 4 KiB .. 1 MiB. */
#define SC_MIN_BLOCK_SECTORS	8U
#define SC_MAX_BLOCK_SECTORS	2048U

/* Origin block numbers are 32-bit: at most 2^32 - 2 blocks. */
#define SC_NO_OBLOCK		U32_MAX
/* Lock-free chain walks give up (and take the lock) after this many. */
#define SC_WALK_MAX		64
/* Writes in flight, counted per stripe of origin blocks. */
#define SC_STRIPE_BITS		10
#define SC_NR_STRIPES		BIT(SC_STRIPE_BITS)
/* Most tunables a table line carries. */
#define SC_MAX_OPTS		16

/* c->flags[cblock] */
#define SC_VALID	0x1	/* cached, reads may be served from it */
#define SC_FILLING	0x2	/* promotion in flight (policy: PENDING) */
/*
 * A write to the cache block is in flight (a write-through copy or a fill).
 * It outlives unmaps: until it completes, no other write to the block may
 * start (a write-through hit wants exactly VALID, a promotion into it
 * fails), so two writes to one cache block never race on the device.
 */
#define SC_WRITING	0x4

enum sc_mode {
	SC_MODE_WT,
	SC_MODE_WA,
};

enum sc_bio_type {
	SC_BIO_ORIGIN,	/* remapped to the origin */
	SC_BIO_HIT,	/* read served from the cache */
	SC_BIO_RETRY,	/* read hit sent to the origin again */
	SC_BIO_FILL,	/* read miss whose data also fills a cblock */
	SC_BIO_WT,	/* write to the origin plus a clone to the cache */
};

enum sc_counter {
	SC_READ_HITS,
	SC_READ_MISSES,
	SC_WRITE_HITS,
	SC_WRITE_MISSES,
	SC_PROMOTIONS,
	SC_EVICTIONS,
	SC_INVALIDATIONS,
	SC_CACHE_ERRORS,
	SC_ORIGIN_ERRORS,
	SC_PROMOTION_FAILURES,
	SC_RETRIES,
	SC_NR_COUNTERS,
};

struct sc_stats {
	u64 v[SC_NR_COUNTERS];
};

struct sc_opt {
	const char *name;	/* the policy's own string */
	u32 value;
};

struct sc_cache;

/*
 * One promotion: pages holding a copy of the block, written to the cache.
 * Released fills keep their pages in a small per-target pool (see
 * sc_fill_free()), so a miss does not allocate a block's worth of pages.
 */
struct sc_fill {
	struct list_head list;
	struct sc_cache *c;
	struct bio *bio;
	atomic_t parts;		/* origin reads into the pages not done yet */
	bool failed;		/* one of them failed: nothing to write */
	u32 cblock;
	u32 gen;
	struct page *pages[];	/* c->fill_pages of them */
};

/* The fill pool holds at most this much memory (and 4..64 fills). */
#define SC_FILL_POOL_BYTES	SZ_4M

/*
 * Each device a stor-cache target uses is claimed module-wide: two targets
 * sharing a cache device would overwrite each other's cached blocks, and a
 * device that is one target's cache and another's origin, or the origin of
 * two caches, would return stale data.  dm opens the devices of every table
 * with one shared holder, so dm does not stop this.  The only sharing
 * allowed is between two tables of one mapped device (a table reload: the
 * new table is constructed while the old one is still live).
 */
struct sc_claim {
	struct list_head list;
	dev_t dev;
	struct dm_target *ti;
};

static LIST_HEAD(sc_claims);
static DEFINE_MUTEX(sc_claims_lock);

struct sc_cache {
	struct dm_target *ti;
	struct dm_dev *origin;
	struct dm_dev *cache;
	struct sc_claim claims[2];	/* origin, cache */
	enum sc_mode mode;
	u32 block_sectors;
	u32 block_shift;	/* log2(block_sectors) */
	u32 nr_cblocks;

	/* table arguments, for STATUSTYPE_TABLE */
	const char *policy_name;	/* NULL: not given */
	struct sc_opt opts[SC_MAX_OPTS];
	u32 nr_opts;

	spinlock_t lock;	/* policy, mapping, flags; irq-safe */
	struct scp_policy *policy;
	void *policy_mem;
	u32 hash_bits;
	u32 *buckets;		/* 1 << hash_bits chain heads */
	u32 *next;		/* per cblock: chain link */
	u32 *oblock;		/* per cblock: reverse map */
	u32 *gen;		/* per cblock: bumped by every unmap */
	u8 *flags;		/* per cblock: SC_* */
	atomic_t stripes[SC_NR_STRIPES];

	struct sc_stats __percpu *stats;
	struct bio_set bs;

	struct workqueue_struct *wq;
	struct work_struct work;
	struct timer_list fill_timer;	/* fills nobody submitted: the worker */
	spinlock_t work_lock;	/* protects the lists below and nr_pooled */
	struct bio_list retries;
	struct list_head fills;		/* filled, to be written to the cache */
	struct list_head fill_pool;	/* released fills, pages kept */
	u32 nr_pooled;
	u32 max_pooled;
	u32 fill_pages;		/* pages per fill: one cache block */

	atomic_t nr_fills;	/* promotions allocated and not yet freed */
	wait_queue_head_t fill_wait;
	bool suspending;
};

/* Per-bio data. */
struct sc_bio {
	u8 type;		/* enum sc_bio_type */
	bool promote;		/* SC_BIO_WT: the write fills a new cblock */
	bool stripes_held;
	blk_status_t cache_status;
	u32 cblock;
	u32 gen;
	u64 first_oblock;	/* stripes held: blocks first .. first+n-1 */
	u64 nr_oblocks;
	struct bvec_iter iter;	/* as remapped to the origin */
	struct sc_fill *fill;
	u32 fill_off;		/* SC_BIO_FILL: byte offset in the block */
};

static inline void sc_inc(struct sc_cache *c, enum sc_counter i)
{
	this_cpu_inc(c->stats->v[i]);
}

static inline struct sc_bio *sc_pb(struct bio *bio)
{
	return dm_per_bio_data(bio, sizeof(struct sc_bio));
}

/* ------------------------------------------------------------ mapping */

static inline u32 sc_bucket(struct sc_cache *c, u64 ob)
{
	return hash_64(ob, c->hash_bits);
}

/* Under c->lock. */
static u32 sc_lookup_locked(struct sc_cache *c, u64 ob)
{
	u32 cb = c->buckets[sc_bucket(c, ob)];

	while (cb != SCP_NIL && c->oblock[cb] != ob)
		cb = c->next[cb];
	return cb;
}

/*
 * Without the lock: may miss an entry that is being moved (the caller then
 * takes the lock), never returns a cblock whose oblock is not @ob at the
 * time of the check.
 */
static u32 sc_lookup_lockless(struct sc_cache *c, u64 ob)
{
	u32 cb = READ_ONCE(c->buckets[sc_bucket(c, ob)]);
	int steps = 0;

	while (cb != SCP_NIL && cb < c->nr_cblocks && steps++ < SC_WALK_MAX) {
		if (READ_ONCE(c->oblock[cb]) == ob)
			return cb;
		cb = READ_ONCE(c->next[cb]);
	}
	return SCP_NIL;
}

/* Under c->lock: @cb (unmapped) now holds @ob, state @state. */
static void sc_set_mapping(struct sc_cache *c, u32 cb, u64 ob, u8 state)
{
	u32 b = sc_bucket(c, ob);

	WRITE_ONCE(c->oblock[cb], (u32)ob);
	WRITE_ONCE(c->next[cb], c->buckets[b]);
	WRITE_ONCE(c->flags[cb], (c->flags[cb] & SC_WRITING) | state);
	smp_wmb(); /* entry complete before it is reachable */
	WRITE_ONCE(c->buckets[b], cb);
}

/*
 * Under c->lock: forget what @cb holds (if anything).  The generation
 * changes before the oblock does, so a lock-free reader that saw the old
 * mapping notices at completion.
 */
static void sc_unmap(struct sc_cache *c, u32 cb)
{
	u64 ob = c->oblock[cb];
	u32 *link;

	if (ob == SC_NO_OBLOCK)
		return;
	WRITE_ONCE(c->flags[cb], c->flags[cb] & SC_WRITING);
	/* Not VALID before the new generation is visible (sc_map_read()). */
	smp_wmb();
	WRITE_ONCE(c->gen[cb], c->gen[cb] + 1);
	/* The new generation before the block leaves its chain. */
	smp_wmb();
	link = &c->buckets[sc_bucket(c, ob)];
	while (*link != SCP_NIL && *link != cb)
		link = &c->next[*link];
	if (*link == cb)
		WRITE_ONCE(*link, c->next[cb]);
	WRITE_ONCE(c->oblock[cb], SC_NO_OBLOCK);
}

/* Under c->lock: drop a VALID or FILLING block. */
static void sc_invalidate_cblock(struct sc_cache *c, u32 cb)
{
	scp_invalidate(c->policy, cb);
	sc_unmap(c, cb);
	sc_inc(c, SC_INVALIDATIONS);
}

/* Under c->lock: a promotion of @cb (FILLING, generation @gen) failed. */
static void sc_fill_failed_locked(struct sc_cache *c, u32 cb, u32 gen)
{
	if (c->gen[cb] != gen || !(c->flags[cb] & SC_FILLING))
		return; /* a write invalidated it meanwhile */
	scp_promotion_failed(c->policy, cb);
	sc_unmap(c, cb);
	sc_inc(c, SC_PROMOTION_FAILURES);
}

static void sc_fill_failed(struct sc_cache *c, u32 cb, u32 gen)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	sc_fill_failed_locked(c, cb, gen);
	spin_unlock_irqrestore(&c->lock, flags);
}

static u64 sc_oblock_of(void *ctx, u32 cblock)
{
	struct sc_cache *c = ctx;

	return c->oblock[cblock];
}

/* ------------------------------------------------------------ stripes */

static inline atomic_t *sc_stripe(struct sc_cache *c, u64 ob)
{
	return &c->stripes[hash_64(ob, SC_STRIPE_BITS)];
}

static void sc_stripes_add(struct sc_cache *c, u64 first, u64 n, int delta)
{
	u64 i;

	if (n >= SC_NR_STRIPES) {
		for (i = 0; i < SC_NR_STRIPES; i++)
			atomic_add(delta, &c->stripes[i]);
		return;
	}
	for (i = 0; i < n; i++)
		atomic_add(delta, sc_stripe(c, first + i));
}

/* ------------------------------------------------------------ fills */

static void sc_fill_destroy(struct sc_cache *c, struct sc_fill *f)
{
	u32 i;

	for (i = 0; i < c->fill_pages; i++)
		__free_page(f->pages[i]);
	kfree(f);
}

/* Keep @f's pages in the pool for the next miss, or free them. */
static void sc_fill_put_pages(struct sc_cache *c, struct sc_fill *f)
{
	unsigned long flags;
	bool pooled = false;

	spin_lock_irqsave(&c->work_lock, flags);
	if (c->nr_pooled < c->max_pooled) {
		list_add(&f->list, &c->fill_pool);
		c->nr_pooled++;
		pooled = true;
	}
	spin_unlock_irqrestore(&c->work_lock, flags);
	if (!pooled)
		sc_fill_destroy(c, f);
}

/* The fill's I/O is over (or never started).  Any context. */
static void sc_fill_free(struct sc_fill *f)
{
	struct sc_cache *c = f->c;

	bio_put(f->bio);
	f->bio = NULL;
	sc_fill_put_pages(c, f);
	if (atomic_dec_and_test(&c->nr_fills))
		wake_up_all(&c->fill_wait);
}

/* A fill with its pages, from the pool or newly allocated. */
static struct sc_fill *sc_fill_get(struct sc_cache *c, gfp_t gfp)
{
	struct sc_fill *f = NULL;
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&c->work_lock, flags);
	if (c->nr_pooled) {
		f = list_first_entry(&c->fill_pool, struct sc_fill, list);
		list_del(&f->list);
		c->nr_pooled--;
	}
	spin_unlock_irqrestore(&c->work_lock, flags);
	if (f)
		return f;

	f = kmalloc(struct_size(f, pages, c->fill_pages), gfp);
	if (!f)
		return NULL;
	for (i = 0; i < c->fill_pages; i++) {
		f->pages[i] = alloc_page(gfp);
		if (!f->pages[i])
			goto free_pages;
	}
	return f;

free_pages:
	while (i--)
		__free_page(f->pages[i]);
	kfree(f);
	return NULL;
}

static void sc_fill_pool_drain(struct sc_cache *c)
{
	struct sc_fill *f, *tmp;

	list_for_each_entry_safe(f, tmp, &c->fill_pool, list) {
		list_del(&f->list);
		sc_fill_destroy(c, f);
	}
	c->nr_pooled = 0;
}

static struct sc_fill *sc_fill_alloc(struct sc_cache *c, u32 cb, u32 gen)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct sc_fill *f = sc_fill_get(c, gfp);
	u32 i;

	if (!f)
		return NULL;
	f->bio = bio_alloc_bioset(c->cache->bdev, c->fill_pages, REQ_OP_WRITE,
				  gfp, &c->bs);
	if (!f->bio) {
		sc_fill_put_pages(c, f);
		return NULL;
	}
	for (i = 0; i < c->fill_pages; i++)
		__bio_add_page(f->bio, f->pages[i], PAGE_SIZE, 0);
	f->bio->bi_iter.bi_sector = (sector_t)cb << c->block_shift;
	f->c = c;
	atomic_set(&f->parts, 1);
	f->failed = false;
	f->cblock = cb;
	f->gen = gen;
	INIT_LIST_HEAD(&f->list);
	atomic_inc(&c->nr_fills);
	return f;
}

/*
 * Copy the data of a completed read (@iter as submitted) into @f's pages,
 * from byte @off of the block on.
 */
static void sc_fill_copy(struct sc_fill *f, struct bio *src,
			 struct bvec_iter iter, size_t off)
{
	struct bvec_iter it;
	struct bio_vec bv;

	__bio_for_each_segment(bv, src, it, iter) {
		unsigned int done = 0;

		/* The iterator advances by bv.bv_len: leave @bv alone. */
		while (done < bv.bv_len) {
			struct page *d = f->pages[off >> PAGE_SHIFT];
			unsigned int doff = off & (PAGE_SIZE - 1);
			unsigned int n = min_t(unsigned int, bv.bv_len - done,
					       PAGE_SIZE - doff);
			struct bio_vec part = {
				.bv_page = bv.bv_page,
				.bv_offset = bv.bv_offset + done,
				.bv_len = n,
			};

			memcpy_from_bvec(page_address(d) + doff, &part);
			done += n;
			off += n;
		}
	}
}

static void sc_queue_fill(struct sc_cache *c, struct sc_fill *f);

/*
 * One origin read into @f's pages is over: after the last one the block is
 * written to the cache, unless one of them failed.  Any context.
 */
static void sc_fill_part_done(struct sc_cache *c, struct sc_fill *f)
{
	if (!atomic_dec_and_test(&f->parts))
		return;
	if (READ_ONCE(f->failed)) {
		sc_fill_failed(c, f->cblock, f->gen);
		sc_fill_free(f);
		return;
	}
	sc_queue_fill(c, f);
}

/* A read of the rest of a partial miss's block (sc_map_read_promote()). */
static void sc_fill_rest_endio(struct bio *rd)
{
	struct sc_fill *f = rd->bi_private;

	if (rd->bi_status)
		WRITE_ONCE(f->failed, true);
	bio_put(rd);
	sc_fill_part_done(f->c, f);
}

static void sc_fill_endio(struct bio *bio)
{
	struct sc_fill *f = bio->bi_private;
	struct sc_cache *c = f->c;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	c->flags[f->cblock] &= ~SC_WRITING;
	if (bio->bi_status) {
		sc_inc(c, SC_CACHE_ERRORS);
		sc_fill_failed_locked(c, f->cblock, f->gen);
	} else if (c->gen[f->cblock] == f->gen &&
		   (c->flags[f->cblock] & SC_FILLING)) {
		scp_promoted(c->policy, f->cblock);
		smp_wmb(); /* data on the device before VALID */
		WRITE_ONCE(c->flags[f->cblock], SC_VALID);
		sc_inc(c, SC_PROMOTIONS);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	sc_fill_free(f);
}

/* Map or worker: write a fill to the cache unless a write overtook it. */
static void sc_fill_submit(struct sc_cache *c, struct sc_fill *f)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&c->lock, flags);
	ok = c->gen[f->cblock] == f->gen &&
	     c->flags[f->cblock] == SC_FILLING;
	if (ok)
		c->flags[f->cblock] |= SC_WRITING;
	else
		sc_fill_failed_locked(c, f->cblock, f->gen);
	spin_unlock_irqrestore(&c->lock, flags);
	if (!ok) {
		sc_fill_free(f);
		return;
	}
	f->bio->bi_end_io = sc_fill_endio;
	f->bio->bi_private = f;
	submit_bio(f->bio);
}

/* ------------------------------------------------------------ worker */

static void sc_queue_retry(struct sc_cache *c, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&c->work_lock, flags);
	bio_list_add(&c->retries, bio);
	spin_unlock_irqrestore(&c->work_lock, flags);
	queue_work(c->wq, &c->work);
}

/*
 * A fill has its data: park it for the next map call to submit, which is in
 * a context that may.  Waking the worker for every miss cost about 0.2 ms
 * per miss under QEMU/TCG, about as much as all of the other miss work
 * together; a timer wakes it a jiffy later for fills no map call took.
 */
static void sc_queue_fill(struct sc_cache *c, struct sc_fill *f)
{
	unsigned long flags;

	spin_lock_irqsave(&c->work_lock, flags);
	list_add_tail(&f->list, &c->fills);
	spin_unlock_irqrestore(&c->work_lock, flags);
	if (!timer_pending(&c->fill_timer))
		mod_timer(&c->fill_timer, jiffies + 1);
}

/* Parked fills go out from the worker now, without waiting for a map. */
static void sc_kick_fills(struct sc_cache *c)
{
	if (!list_empty_careful(&c->fills))
		queue_work(c->wq, &c->work);
}

static void sc_fill_timer_fn(struct timer_list *t)
{
	struct sc_cache *c = from_timer(c, t, fill_timer);

	sc_kick_fills(c);
}

/* Submit the parked fills (map or worker context). */
static void sc_submit_fills(struct sc_cache *c)
{
	struct sc_fill *f, *tmp;
	unsigned long flags;
	LIST_HEAD(fills);

	if (list_empty_careful(&c->fills))
		return;
	spin_lock_irqsave(&c->work_lock, flags);
	list_splice_init(&c->fills, &fills);
	spin_unlock_irqrestore(&c->work_lock, flags);
	list_for_each_entry_safe(f, tmp, &fills, list) {
		list_del_init(&f->list);
		sc_fill_submit(c, f);
	}
}

static void sc_worker(struct work_struct *work)
{
	struct sc_cache *c = container_of(work, struct sc_cache, work);
	struct bio_list retries;
	unsigned long flags;
	struct bio *bio;

	spin_lock_irqsave(&c->work_lock, flags);
	retries = c->retries;
	bio_list_init(&c->retries);
	spin_unlock_irqrestore(&c->work_lock, flags);

	/* Hits that must be read from the origin after all. */
	while ((bio = bio_list_pop(&retries))) {
		struct sc_bio *pb = sc_pb(bio);

		bio->bi_iter = pb->iter;
		bio->bi_status = BLK_STS_OK;
		bio_set_dev(bio, c->origin->bdev);
		submit_bio_noacct(bio);
	}
	sc_submit_fills(c);
}

/* ------------------------------------------------------------ map */

static void sc_remap_origin(struct sc_cache *c, struct bio *bio,
			    struct sc_bio *pb)
{
	bio_set_dev(bio, c->origin->bdev);
	bio->bi_iter.bi_sector = dm_target_offset(c->ti, bio->bi_iter.bi_sector);
	pb->iter = bio->bi_iter;
}

static void sc_remap_cache(struct sc_cache *c, struct bio *bio, u32 cb)
{
	sector_t off = bio->bi_iter.bi_sector & (c->block_sectors - 1);

	bio_set_dev(bio, c->cache->bdev);
	bio->bi_iter.bi_sector = ((sector_t)cb << c->block_shift) + off;
}

/* The whole of origin block @ob lies inside the target. */
static inline bool sc_block_fits(struct sc_cache *c, u64 ob)
{
	return ((ob + 1) << c->block_shift) <= c->ti->len;
}

/*
 * A clone of @f's pages reading origin sectors @first .. @first + @n - 1 of
 * the block into them (which start at sector @start).
 */
static struct bio *sc_fill_rest_bio(struct sc_cache *c, struct sc_fill *f,
				    sector_t start, sector_t first,
				    sector_t n, blk_opf_t sync)
{
	struct bio *rd;

	rd = bio_alloc_clone(c->origin->bdev, f->bio,
			     GFP_NOWAIT | __GFP_NOWARN, &c->bs);
	if (!rd)
		return NULL;
	rd->bi_opf = REQ_OP_READ | sync;
	bio_advance(rd, (first - start) << SECTOR_SHIFT);
	rd->bi_iter.bi_size = n << SECTOR_SHIFT;
	rd->bi_iter.bi_sector = first;
	rd->bi_end_io = sc_fill_rest_endio;
	rd->bi_private = f;
	return rd;
}

/*
 * A read miss of a block the policy wants (block @cb, FILLING, generation
 * @gen).  The read itself goes to the origin as it is, a plain miss, and is
 * answered as soon as its data is in.  Its data is copied into the fill's
 * pages (sc_end_io_fill()); if it covers only part of the block, the rest
 * is read from the origin into the pages beside it (one read before the
 * bio's range, one after, as needed).  Once all of them are in, the whole
 * block is written to the cache.  The origin reads each byte of the block
 * once, as with one whole-block read, but the caller waits only for its own
 * range.  Without memory the read is a plain miss and nothing is promoted.
 */
static int sc_map_read_promote(struct sc_cache *c, struct bio *bio,
			       struct sc_bio *pb, u32 cb, u32 gen)
{
	struct sc_fill *f = sc_fill_alloc(c, cb, gen);
	struct bio *before = NULL, *after = NULL;
	blk_opf_t sync = bio->bi_opf & REQ_SYNC;
	sector_t start, first, end, last;

	sc_remap_origin(c, bio, pb);
	first = pb->iter.bi_sector;
	end = first + bio_sectors(bio);
	start = first & ~((sector_t)c->block_sectors - 1);
	last = start + c->block_sectors;
	if (!f)
		goto plain;
	if (first > start) {
		before = sc_fill_rest_bio(c, f, start, start, first - start,
					  sync);
		if (!before)
			goto plain;
	}
	if (end < last) {
		after = sc_fill_rest_bio(c, f, start, end, last - end, sync);
		if (!after)
			goto plain;
	}
	atomic_add(!!before + !!after, &f->parts);
	pb->type = SC_BIO_FILL;
	pb->fill = f;
	pb->fill_off = (first - start) << SECTOR_SHIFT;
	pb->cblock = cb;
	pb->gen = gen;
	/* The caller's read first: it is the one somebody waits for. */
	dm_submit_bio_remap(bio, NULL);
	if (before)
		submit_bio_noacct(before);
	if (after)
		submit_bio_noacct(after);
	return DM_MAPIO_SUBMITTED;

plain:
	if (before)
		bio_put(before);
	sc_fill_failed(c, cb, gen);
	if (f)
		sc_fill_free(f);
	return DM_MAPIO_REMAPPED;
}

static int sc_map_read(struct sc_cache *c, struct bio *bio, struct sc_bio *pb)
{
	sector_t sector = dm_target_offset(c->ti, bio->bi_iter.bi_sector);
	u64 ob = sector >> c->block_shift;
	struct scp_result res = { .op = SCP_OP_NONE };
	unsigned long flags;
	u32 cb, gen = 0;
	bool hit = false;

	cb = sc_lookup_lockless(c, ob);
	if (cb != SCP_NIL) {
		/* The generation before the state: pairs with sc_unmap(). */
		gen = smp_load_acquire(&c->gen[cb]);
		hit = READ_ONCE(c->oblock[cb]) == ob &&
		      (READ_ONCE(c->flags[cb]) & SC_VALID);
	}
	if (!hit) {
		spin_lock_irqsave(&c->lock, flags);
		cb = sc_lookup_locked(c, ob);
		if (cb != SCP_NIL) {
			hit = c->flags[cb] & SC_VALID;
			gen = c->gen[cb];
		} else if (sc_block_fits(c, ob) && !READ_ONCE(c->suspending) &&
			   !atomic_read(sc_stripe(c, ob))) {
			scp_miss(c->policy, ob, 0, &res);
			if (res.op == SCP_OP_PROMOTE) {
				cb = res.cblock;
				if (res.evict) {
					sc_unmap(c, cb);
					sc_inc(c, SC_EVICTIONS);
				}
				sc_set_mapping(c, cb, ob, SC_FILLING);
				gen = c->gen[cb];
			}
		}
		spin_unlock_irqrestore(&c->lock, flags);
	}

	if (hit) {
		if (c->policy->ops->flags & SCP_OPS_HIT_LOCKED) {
			spin_lock_irqsave(&c->lock, flags);
			scp_hit(c->policy, cb, 0);
			spin_unlock_irqrestore(&c->lock, flags);
		} else {
			scp_hit(c->policy, cb, 0);
		}
		sc_inc(c, SC_READ_HITS);
		pb->type = SC_BIO_HIT;
		pb->cblock = cb;
		pb->gen = gen;
		sc_remap_origin(c, bio, pb);	/* saves the origin iter */
		sc_remap_cache(c, bio, cb);
		return DM_MAPIO_REMAPPED;
	}

	sc_inc(c, SC_READ_MISSES);
	if (res.op == SCP_OP_PROMOTE)
		return sc_map_read_promote(c, bio, pb, cb, gen);
	sc_remap_origin(c, bio, pb);
	return DM_MAPIO_REMAPPED;
}

/* Under c->lock: invalidate every cached block in [first, first + n). */
static bool sc_invalidate_range_locked(struct sc_cache *c, u64 first, u64 n)
{
	bool any = false;
	u64 i;
	u32 cb;

	if (n > c->nr_cblocks) {
		for (cb = 0; cb < c->nr_cblocks; cb++) {
			u64 ob = c->oblock[cb];

			if (ob == SC_NO_OBLOCK || ob < first || ob - first >= n)
				continue;
			any |= c->flags[cb] & SC_VALID;
			sc_invalidate_cblock(c, cb);
		}
		return any;
	}
	for (i = 0; i < n; i++) {
		cb = sc_lookup_locked(c, first + i);
		if (cb == SCP_NIL)
			continue;
		any |= c->flags[cb] & SC_VALID;
		sc_invalidate_cblock(c, cb);
	}
	return any;
}

static void sc_wt_clone_endio(struct bio *clone)
{
	struct bio *bio = clone->bi_private;

	sc_pb(bio)->cache_status = clone->bi_status;
	bio_put(clone);
	bio_endio(bio);
}

static int sc_map_write(struct sc_cache *c, struct bio *bio, struct sc_bio *pb)
{
	sector_t sector = dm_target_offset(c->ti, bio->bi_iter.bi_sector);
	sector_t nr = bio_sectors(bio);
	u64 first = sector >> c->block_shift;
	u64 last = (sector + max_t(sector_t, nr, 1) - 1) >> c->block_shift;
	bool whole = bio_op(bio) == REQ_OP_WRITE &&
		     !(sector & (c->block_sectors - 1)) &&
		     nr == c->block_sectors;
	struct scp_result res;
	unsigned long flags;
	struct bio *clone;
	bool hit = false;
	u32 cb;

	spin_lock_irqsave(&c->lock, flags);
	pb->first_oblock = first;
	pb->nr_oblocks = last - first + 1;
	pb->stripes_held = true;
	sc_stripes_add(c, first, pb->nr_oblocks, 1);

	if (c->mode == SC_MODE_WT && whole) {
		cb = sc_lookup_locked(c, first);
		if (cb != SCP_NIL && c->flags[cb] == SC_VALID) {
			c->flags[cb] |= SC_WRITING;
			pb->type = SC_BIO_WT;
			hit = true;
		} else if (cb != SCP_NIL) {
			hit = c->flags[cb] & SC_VALID;
			sc_invalidate_cblock(c, cb);
		} else {
			scp_miss(c->policy, first, SCP_IO_WRITE, &res);
			if (res.op == SCP_OP_PROMOTE) {
				cb = res.cblock;
				if (res.evict) {
					sc_unmap(c, cb);
					sc_inc(c, SC_EVICTIONS);
				}
				if (c->flags[cb] & SC_WRITING) {
					scp_promotion_failed(c->policy, cb);
					sc_inc(c, SC_PROMOTION_FAILURES);
				} else {
					sc_set_mapping(c, cb, first,
						       SC_FILLING |
						       SC_WRITING);
					pb->type = SC_BIO_WT;
					pb->promote = true;
				}
			}
		}
		if (pb->type == SC_BIO_WT) {
			pb->cblock = cb;
			pb->gen = c->gen[cb];
		}
	} else {
		hit = sc_invalidate_range_locked(c, first, pb->nr_oblocks);
	}
	spin_unlock_irqrestore(&c->lock, flags);

	if (bio_op(bio) == REQ_OP_WRITE) {
		if (hit)
			sc_inc(c, SC_WRITE_HITS);
		else
			sc_inc(c, SC_WRITE_MISSES);
	}

	if (pb->type == SC_BIO_WT) {
		gfp_t gfp = (bio->bi_opf & REQ_NOWAIT) ? GFP_NOWAIT : GFP_NOIO;

		clone = bio_alloc_clone(c->cache->bdev, bio, gfp, &c->bs);
		if (!clone) {
			spin_lock_irqsave(&c->lock, flags);
			c->flags[cb] &= ~SC_WRITING;
			if (c->gen[cb] == pb->gen) {
				if (pb->promote)
					sc_fill_failed_locked(c, cb, pb->gen);
				else
					sc_invalidate_cblock(c, cb);
			}
			spin_unlock_irqrestore(&c->lock, flags);
			pb->type = SC_BIO_ORIGIN;
			sc_remap_origin(c, bio, pb);
			return DM_MAPIO_REMAPPED;
		}
		clone->bi_iter.bi_sector = (sector_t)cb << c->block_shift;
		/* The origin is authoritative: no FUA/flush on the copy. */
		clone->bi_opf &= ~(REQ_FUA | REQ_PREFLUSH);
		clone->bi_private = bio;
		clone->bi_end_io = sc_wt_clone_endio;
		pb->cache_status = BLK_STS_OK;
		/* @bio completes when both the origin and the clone are done. */
		bio_inc_remaining(bio);
		/* The origin first: the cache copy overlaps its latency. */
		sc_remap_origin(c, bio, pb);
		dm_submit_bio_remap(bio, NULL);
		submit_bio_noacct(clone);
		return DM_MAPIO_SUBMITTED;
	}
	sc_remap_origin(c, bio, pb);
	return DM_MAPIO_REMAPPED;
}

static int sc_map_bio(struct sc_cache *c, struct bio *bio, struct sc_bio *pb)
{
	/* Empty flushes (num_flush_bios) go to the origin only. */
	if (bio->bi_opf & REQ_PREFLUSH && !bio_sectors(bio)) {
		sc_remap_origin(c, bio, pb);
		return DM_MAPIO_REMAPPED;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return sc_map_read(c, bio, pb);
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		return sc_map_write(c, bio, pb);
	default:
		sc_remap_origin(c, bio, pb);
		return DM_MAPIO_REMAPPED;
	}
}

/*
 * The bio goes out before the fills parked by earlier misses: a miss's
 * origin read is then started before the cache writes of the fills, whose
 * copying overlaps the origin's latency instead of adding to it (without a
 * plug, the block layer issues them in this order).
 */
static int sc_map(struct dm_target *ti, struct bio *bio)
{
	struct sc_cache *c = ti->private;
	struct sc_bio *pb = sc_pb(bio);
	int r;

	memset(pb, 0, sizeof(*pb));
	pb->type = SC_BIO_ORIGIN;
	r = sc_map_bio(c, bio, pb);
	if (r == DM_MAPIO_REMAPPED) {
		dm_submit_bio_remap(bio, NULL);
		r = DM_MAPIO_SUBMITTED;
	}
	sc_submit_fills(c);
	return r;
}

/* ------------------------------------------------------------ end_io */

static int sc_end_io_hit(struct sc_cache *c, struct bio *bio,
			 struct sc_bio *pb, blk_status_t *error)
{
	unsigned long flags;

	smp_rmb(); /* data read before the generation check */
	if (!*error && READ_ONCE(c->gen[pb->cblock]) == pb->gen)
		return DM_ENDIO_DONE;
	if (*error) {
		/* Never return a failed cache read: drop the block. */
		sc_inc(c, SC_CACHE_ERRORS);
		spin_lock_irqsave(&c->lock, flags);
		if (c->gen[pb->cblock] == pb->gen &&
		    (c->flags[pb->cblock] & SC_VALID))
			sc_invalidate_cblock(c, pb->cblock);
		spin_unlock_irqrestore(&c->lock, flags);
	}
	/* Read the origin instead (the block was reused or failed). */
	sc_inc(c, SC_RETRIES);
	pb->type = SC_BIO_RETRY;
	sc_queue_retry(c, bio);
	return DM_ENDIO_INCOMPLETE;
}

static void sc_end_io_fill(struct sc_cache *c, struct bio *bio,
			   struct sc_bio *pb, blk_status_t error)
{
	if (error)
		WRITE_ONCE(pb->fill->failed, true);
	else
		sc_fill_copy(pb->fill, bio, pb->iter, pb->fill_off);
	sc_fill_part_done(c, pb->fill);
}

static void sc_end_io_wt(struct sc_cache *c, struct sc_bio *pb,
			 blk_status_t error)
{
	bool ok = !error && !pb->cache_status;
	u32 cb = pb->cblock;
	unsigned long flags;

	if (pb->cache_status)
		sc_inc(c, SC_CACHE_ERRORS);
	spin_lock_irqsave(&c->lock, flags);
	c->flags[cb] &= ~SC_WRITING;
	if (c->gen[cb] == pb->gen) {
		if (pb->promote && ok) {
			scp_promoted(c->policy, cb);
			WRITE_ONCE(c->flags[cb], SC_VALID);
			sc_inc(c, SC_PROMOTIONS);
		} else if (pb->promote) {
			sc_fill_failed_locked(c, cb, pb->gen);
		} else if (!ok) {
			sc_invalidate_cblock(c, cb);
		}
	}
	spin_unlock_irqrestore(&c->lock, flags);
}

static int sc_end_io(struct dm_target *ti, struct bio *bio,
		     blk_status_t *error)
{
	struct sc_cache *c = ti->private;
	struct sc_bio *pb = sc_pb(bio);

	switch (pb->type) {
	case SC_BIO_HIT:
		return sc_end_io_hit(c, bio, pb, error);
	case SC_BIO_FILL:
		sc_end_io_fill(c, bio, pb, *error);
		break;
	case SC_BIO_WT:
		sc_end_io_wt(c, pb, *error);
		break;
	default:
		break;
	}
	if (*error && *error != BLK_STS_AGAIN && *error != BLK_STS_NOTSUPP)
		sc_inc(c, SC_ORIGIN_ERRORS);
	if (pb->stripes_held) {
		pb->stripes_held = false;
		sc_stripes_add(c, pb->first_oblock, pb->nr_oblocks, -1);
	}
	return DM_ENDIO_DONE;
}

/* ------------------------------------------------------------ ctr/dtr */

/* Returns the claim of another mapped device (or table) on @dev, or NULL. */
static struct sc_claim *sc_find_conflict(struct dm_target *ti, dev_t dev)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct sc_claim *cl;

	lockdep_assert_held(&sc_claims_lock);
	list_for_each_entry(cl, &sc_claims, list) {
		if (cl->dev != dev)
			continue;
		if (dm_table_get_md(cl->ti->table) != md || cl->ti->table == ti->table)
			return cl;
	}
	return NULL;
}

static int sc_claim_devices(struct sc_cache *c, char **error)
{
	struct dm_target *ti = c->ti;
	int r = 0;

	mutex_lock(&sc_claims_lock);
	if (sc_find_conflict(ti, c->origin->bdev->bd_dev)) {
		*error = "Origin device is already used by another stor-cache target";
		r = -EBUSY;
		goto out;
	}
	if (sc_find_conflict(ti, c->cache->bdev->bd_dev)) {
		*error = "Cache device is already used by another stor-cache target";
		r = -EBUSY;
		goto out;
	}
	c->claims[0].dev = c->origin->bdev->bd_dev;
	c->claims[1].dev = c->cache->bdev->bd_dev;
	c->claims[0].ti = ti;
	c->claims[1].ti = ti;
	list_add_tail(&c->claims[0].list, &sc_claims);
	list_add_tail(&c->claims[1].list, &sc_claims);
out:
	mutex_unlock(&sc_claims_lock);
	return r;
}

static void sc_release_devices(struct sc_cache *c)
{
	int i;

	mutex_lock(&sc_claims_lock);
	for (i = 0; i < ARRAY_SIZE(c->claims); i++)
		list_del_init(&c->claims[i].list);
	mutex_unlock(&sc_claims_lock);
}

static void sc_free(struct sc_cache *c)
{
	sc_release_devices(c);
	del_timer_sync(&c->fill_timer);
	if (c->wq)
		destroy_workqueue(c->wq);
	sc_fill_pool_drain(c);
	bioset_exit(&c->bs);
	free_percpu(c->stats);
	kvfree(c->policy_mem);
	kvfree(c->buckets);
	kvfree(c->next);
	kvfree(c->oblock);
	kvfree(c->gen);
	kvfree(c->flags);
	if (c->cache)
		dm_put_device(c->ti, c->cache);
	if (c->origin)
		dm_put_device(c->ti, c->origin);
	kfree(c);
}

/*
 * Reads the optional argument count; leaves @as at the key value pairs,
 * @n of them words, and finds the policy name among them.
 */
static int sc_parse_opts(struct dm_arg_set *as, unsigned int *n,
			 const char **policy, char **error)
{
	static const struct dm_arg arg = {
		0, 2 * (SC_MAX_OPTS + 1), "Invalid number of optional arguments"
	};
	unsigned int i;
	int r;

	*policy = NULL;
	*n = 0;
	if (!as->argc)
		return 0;
	r = dm_read_arg_group(&arg, as, n, error);
	if (r)
		return r;
	if (*n % 2) {
		*error = "Optional arguments must be key value pairs";
		return -EINVAL;
	}
	if (as->argc != *n) {
		*error = "Unexpected argument after the optional arguments";
		return -EINVAL;
	}
	for (i = 0; i < *n; i += 2) {
		if (!strcmp(as->argv[i], "policy"))
			*policy = as->argv[i + 1];
	}
	return 0;
}

static int sc_apply_opts(struct sc_cache *c, struct dm_arg_set *as,
			 unsigned int n, char **error)
{
	unsigned int i, t, k;

	for (i = 0; i < n; i += 2) {
		const char *key = as->argv[i], *val = as->argv[i + 1];
		const char *name = NULL;
		u32 value;

		if (!strcmp(key, "policy"))
			continue;
		if (scp_set_tunable(c->policy, key, val) ||
		    scp_get_tunable(c->policy, key, &value)) {
			*error = "Invalid policy tunable or value";
			return -EINVAL;
		}
		for (t = 0; t < scp_nr_tunables(c->policy); t++) {
			if (!strcmp(scp_tunable_name(c->policy, t), key))
				name = scp_tunable_name(c->policy, t);
		}
		if (!name) {
			*error = "Invalid policy tunable or value";
			return -EINVAL;
		}
		for (k = 0; k < c->nr_opts && c->opts[k].name != name; k++)
			;
		if (k == c->nr_opts) {
			if (c->nr_opts == SC_MAX_OPTS) {
				*error = "Too many policy tunables";
				return -EINVAL;
			}
			c->nr_opts++;
		}
		c->opts[k].name = name;
		c->opts[k].value = value;
	}
	return 0;
}

static int sc_alloc_maps(struct sc_cache *c)
{
	u32 nr = c->nr_cblocks, i;

	c->hash_bits = max_t(u32, ilog2(roundup_pow_of_two(nr)) - 1, 4);
	c->buckets = kvmalloc_array(1U << c->hash_bits, sizeof(u32), GFP_KERNEL);
	c->next = kvmalloc_array(nr, sizeof(u32), GFP_KERNEL);
	c->oblock = kvmalloc_array(nr, sizeof(u32), GFP_KERNEL);
	c->gen = kvcalloc(nr, sizeof(u32), GFP_KERNEL);
	c->flags = kvzalloc(nr, GFP_KERNEL);
	if (!c->buckets || !c->next || !c->oblock || !c->gen || !c->flags)
		return -ENOMEM;
	for (i = 0; i < (1U << c->hash_bits); i++)
		c->buckets[i] = SCP_NIL;
	for (i = 0; i < nr; i++) {
		c->next[i] = SCP_NIL;
		c->oblock[i] = SC_NO_OBLOCK;
	}
	return 0;
}

/*
 * <origin dev> <cache dev> <block size in sectors> <wt|wa>
 * [<#opt args> [policy <name>] [<tunable> <value>]...]
 */
static int sc_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	const struct scp_ops *ops;
	const char *policy;
	struct sc_cache *c;
	sector_t cache_sectors;
	unsigned int bs, n_opt;
	size_t len;
	int r;

	if (argc < 4) {
		ti->error = "Expected <origin> <cache> <block size> <wt|wa> [#opts ...]";
		return -EINVAL;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		ti->error = "Cannot allocate cache context";
		return -ENOMEM;
	}
	c->ti = ti;
	INIT_LIST_HEAD(&c->claims[0].list);
	INIT_LIST_HEAD(&c->claims[1].list);
	spin_lock_init(&c->lock);
	spin_lock_init(&c->work_lock);
	bio_list_init(&c->retries);
	INIT_LIST_HEAD(&c->fills);
	INIT_LIST_HEAD(&c->fill_pool);
	INIT_WORK(&c->work, sc_worker);
	timer_setup(&c->fill_timer, sc_fill_timer_fn, 0);
	init_waitqueue_head(&c->fill_wait);
	atomic_set(&c->nr_fills, 0);

	r = -EINVAL;
	if (kstrtouint(argv[2], 10, &bs) || !is_power_of_2(bs) ||
	    bs < SC_MIN_BLOCK_SECTORS || bs > SC_MAX_BLOCK_SECTORS) {
		ti->error = "Invalid cache block size (sectors: power of two, 8 to 2048)";
		goto bad;
	}
	c->block_sectors = bs;
	c->block_shift = ilog2(bs);
	c->fill_pages = (bs << SECTOR_SHIFT) >> PAGE_SHIFT;
	c->max_pooled = clamp_t(u32, SC_FILL_POOL_BYTES / (bs << SECTOR_SHIFT),
				4, 64);
	if (((ti->len + bs - 1) >> c->block_shift) >= SC_NO_OBLOCK) {
		ti->error = "Origin has more than 2^32 - 2 blocks: use a larger block size";
		goto bad;
	}
	if (!strcmp(argv[3], "wt")) {
		c->mode = SC_MODE_WT;
	} else if (!strcmp(argv[3], "wa")) {
		c->mode = SC_MODE_WA;
	} else {
		ti->error = "Unknown cache mode (expected wt or wa)";
		goto bad;
	}
	dm_consume_args(&as, 4);
	r = sc_parse_opts(&as, &n_opt, &policy, &ti->error);
	if (r)
		goto bad;
	ops = scp_find(policy);
	if (!ops) {
		ti->error = "Unknown cache policy";
		r = -EINVAL;
		goto bad;
	}
	c->policy_name = policy ? ops->name : NULL;

	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &c->origin);
	if (r) {
		ti->error = "Cannot open origin device";
		goto bad;
	}
	r = dm_get_device(ti, argv[1], dm_table_get_mode(ti->table), &c->cache);
	if (r) {
		ti->error = "Cannot open cache device";
		goto bad;
	}
	r = -EINVAL;
	if (c->origin->bdev == c->cache->bdev) {
		ti->error = "Origin and cache must be different devices";
		goto bad;
	}
	r = sc_claim_devices(c, &ti->error);
	if (r)
		goto bad;
	r = -EINVAL;
	cache_sectors = bdev_nr_sectors(c->cache->bdev);
	if ((cache_sectors >> c->block_shift) == 0) {
		ti->error = "Cache device is smaller than one cache block";
		goto bad;
	}
	if ((cache_sectors >> c->block_shift) >= SCP_MAX_CBLOCKS) {
		ti->error = "Cache device has too many cache blocks";
		goto bad;
	}
	c->nr_cblocks = cache_sectors >> c->block_shift;

	r = -ENOMEM;
	if (sc_alloc_maps(c)) {
		ti->error = "Cannot allocate cache metadata";
		goto bad;
	}
	len = scp_mem_size(ops, c->nr_cblocks);
	c->policy_mem = len ? kvzalloc(len, GFP_KERNEL) : NULL;
	if (!c->policy_mem) {
		ti->error = "Cannot allocate policy metadata";
		goto bad;
	}
	c->policy = scp_create(ops, c->nr_cblocks, c->policy_mem, len,
			       sc_oblock_of, c);
	if (!c->policy) {
		ti->error = "Cannot create cache policy";
		r = -EINVAL;
		goto bad;
	}
	r = sc_apply_opts(c, &as, n_opt, &ti->error);
	if (r)
		goto bad;
	r = -ENOMEM;
	c->stats = alloc_percpu(struct sc_stats);
	if (!c->stats) {
		ti->error = "Cannot allocate statistics";
		goto bad;
	}
	if (bioset_init(&c->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS)) {
		ti->error = "Cannot allocate bio set";
		goto bad;
	}
	/*
	 * The worker resubmits failed hits to the origin and writes the fills
	 * that no map call took (sc_queue_fill()); map writes the rest, so it
	 * is off the miss path.  Unbound dates from when it wrote every fill
	 * (a later comparison of bound, unbound and high-priority queues then
	 * found no difference).
	 */
	c->wq = alloc_workqueue("dm-stor-cache", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!c->wq) {
		ti->error = "Cannot allocate workqueue";
		goto bad;
	}
	r = dm_set_target_max_io_len(ti, c->block_sectors);
	if (r)
		goto bad;
	ti->num_flush_bios = 1;
	/* sc_map() submits every bio itself, with dm_submit_bio_remap(). */
	ti->accounts_remapped_io = true;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct sc_bio);
	ti->private = c;
	return 0;

bad:
	sc_free(c);
	return r;
}

static void sc_dtr(struct dm_target *ti)
{
	struct sc_cache *c = ti->private;

	wait_event(c->fill_wait, !atomic_read(&c->nr_fills));
	flush_workqueue(c->wq);
	sc_free(c);
}

/* ------------------------------------------------------------ status */

static void sc_sum_stats(struct sc_cache *c, struct sc_stats *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct sc_stats *s = per_cpu_ptr(c->stats, cpu);

		for (i = 0; i < SC_NR_COUNTERS; i++)
			sum->v[i] += READ_ONCE(s->v[i]);
	}
}

static void sc_status(struct dm_target *ti, status_type_t type,
		      unsigned int status_flags, char *result,
		      unsigned int maxlen)
{
	struct sc_cache *c = ti->private;
	struct scp_stats ps;
	struct sc_stats s;
	unsigned long flags;
	unsigned int sz = 0, i;

	switch (type) {
	case STATUSTYPE_INFO:
		sc_sum_stats(c, &s);
		spin_lock_irqsave(&c->lock, flags);
		scp_get_stats(c->policy, &ps);
		spin_unlock_irqrestore(&c->lock, flags);
		/* The order is an interface: docs/dm-stor-cache.md. */
		for (i = 0; i <= SC_ORIGIN_ERRORS; i++)
			DMEMIT("%llu ", s.v[i]);
		DMEMIT("%u %u %llu %llu %d", ps.nr_cached, c->nr_cblocks,
		       s.v[SC_PROMOTION_FAILURES], s.v[SC_RETRIES],
		       atomic_read(&c->nr_fills));
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s %u %s", c->origin->name, c->cache->name,
		       c->block_sectors, c->mode == SC_MODE_WT ? "wt" : "wa");
		if (!c->policy_name && !c->nr_opts)
			break;
		DMEMIT(" %u", 2 * (c->nr_opts + !!c->policy_name));
		if (c->policy_name)
			DMEMIT(" policy %s", c->policy_name);
		for (i = 0; i < c->nr_opts; i++)
			DMEMIT(" %s %u", c->opts[i].name, c->opts[i].value);
		break;
	case STATUSTYPE_IMA:
		DMEMIT("origin=%s,cache=%s,block_sectors=%u,mode=%s,policy=%s;",
		       c->origin->name, c->cache->name, c->block_sectors,
		       c->mode == SC_MODE_WT ? "wt" : "wa",
		       c->policy->ops->name);
		break;
	}
}

/* ------------------------------------------------------------ messages */

static void sc_invalidate_all(struct sc_cache *c)
{
	unsigned long flags;
	u32 cb = 0, end;

	/* In chunks, so interrupts are not off for the whole cache. */
	while (cb < c->nr_cblocks) {
		end = min_t(u32, c->nr_cblocks, cb + 1024);
		spin_lock_irqsave(&c->lock, flags);
		for (; cb < end; cb++) {
			if (c->oblock[cb] != SC_NO_OBLOCK)
				sc_invalidate_cblock(c, cb);
		}
		spin_unlock_irqrestore(&c->lock, flags);
		cond_resched();
	}
}

static int sc_message(struct dm_target *ti, unsigned int argc, char **argv,
		      char *result, unsigned int maxlen)
{
	struct sc_cache *c = ti->private;
	unsigned long flags;
	int cpu, r;

	if (argc == 1 && !strcmp(argv[0], "clear_stats")) {
		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(c->stats, cpu), 0, sizeof(struct sc_stats));
		return 0;
	}
	if (argc == 1 && !strcmp(argv[0], "invalidate_all")) {
		sc_invalidate_all(c);
		return 0;
	}
	if (argc == 2) {
		spin_lock_irqsave(&c->lock, flags);
		r = scp_set_tunable(c->policy, argv[0], argv[1]);
		spin_unlock_irqrestore(&c->lock, flags);
		if (r)
			DMWARN("invalid message or tunable: %s %s", argv[0], argv[1]);
		return r;
	}
	DMWARN("unknown message (expected clear_stats, invalidate_all or <tunable> <value>)");
	return -EINVAL;
}

/* ------------------------------------------------------------ suspend */

static void sc_wait_fills(struct sc_cache *c)
{
	sc_kick_fills(c);	/* now, not at the next tick */
	wait_event(c->fill_wait, !atomic_read(&c->nr_fills));
	flush_workqueue(c->wq);
}

static void sc_presuspend(struct dm_target *ti)
{
	struct sc_cache *c = ti->private;

	WRITE_ONCE(c->suspending, true);
	sc_wait_fills(c);
}

static void sc_postsuspend(struct dm_target *ti)
{
	sc_wait_fills(ti->private);
}

static void sc_resume(struct dm_target *ti)
{
	struct sc_cache *c = ti->private;

	WRITE_ONCE(c->suspending, false);
}

/* ------------------------------------------------------------ limits */

static int sc_iterate_devices(struct dm_target *ti,
			      iterate_devices_callout_fn fn, void *data)
{
	struct sc_cache *c = ti->private;
	int r;

	r = fn(ti, c->origin, 0, ti->len, data);
	if (r)
		return r;
	return fn(ti, c->cache, 0,
		  (sector_t)c->nr_cblocks << c->block_shift, data);
}

static void sc_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct sc_cache *c = ti->private;
	unsigned int bytes = c->block_sectors << SECTOR_SHIFT;

	/*
	 * The logical block size is already the larger of the two devices'
	 * (dm stacks the limits of iterate_devices); a cache block is at
	 * least 4 KiB, so it is a multiple of either.
	 */
	limits->io_min = max(limits->io_min, bytes);
	limits->io_opt = max(limits->io_opt, bytes);
}

static struct target_type sc_target = {
	.name = "stor-cache",
	.version = { 1, 0, 0 },
	.module = THIS_MODULE,
	.ctr = sc_ctr,
	.dtr = sc_dtr,
	.map = sc_map,
	.end_io = sc_end_io,
	.status = sc_status,
	.message = sc_message,
	.presuspend = sc_presuspend,
	.postsuspend = sc_postsuspend,
	.resume = sc_resume,
	.iterate_devices = sc_iterate_devices,
	.io_hints = sc_io_hints,
};

static int __init sc_init(void)
{
	int r = dm_register_target(&sc_target);

	if (r)
		DMERR("register failed %d", r);
	return r;
}

static void __exit sc_exit(void)
{
	dm_unregister_target(&sc_target);
}

module_init(sc_init);
module_exit(sc_exit);

MODULE_DESCRIPTION(DM_NAME " write-through/write-around block cache target");
MODULE_AUTHOR("storctl");
MODULE_LICENSE("GPL");
