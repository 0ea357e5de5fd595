// SPDX-License-Identifier: GPL-2.0
/*
 * stor_ramdisk I/O path and page store.
 *
 * A disk keeps its data in an xarray of pages indexed by page offset.
 * Pages are allocated on first write; holes read as zeroes.  Reads and
 * writes find pages under RCU without taking any lock; only inserting or
 * erasing a page takes the xarray's own (per-disk) lock.  An erased page
 * is freed after an RCU grace period, so a bio that found it before the
 * erase may still copy to or from it.
 */
#include "srd.h"

#include <linux/bio.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include <compat.h>

/*
 * Pages for writes: no I/O from reclaim (we are on the I/O path) and no
 * retrying, OOM killing or warning when memory runs out; the write fails
 * instead.  REQ_NOWAIT writes must not sleep at all.
 */
#define SRD_GFP_IO	(GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN)
#define SRD_GFP_NOWAIT	(GFP_NOWAIT | __GFP_NOWARN)
/* Preallocation runs in the ioctl caller's context and may reclaim. */
#define SRD_GFP_PREALLOC (GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)

/* Pages handled between rescheduling points in long loops. */
#define SRD_BATCH	1024

/*
 * The memory reserve.  Once the memory the system reports as available
 * (si_mem_available(): free pages plus what reclaim can get back) falls
 * below srd_reserve_pages, writes that need a new page fail instead.
 * Allocation with __GFP_NORETRY alone does not stop a disk from taking
 * the last free pages, after which the rest of the system's allocations
 * end in the OOM killer.  The estimate walks every zone, so it is
 * refreshed at most once per jiffy and shared by all disks; a disk can
 * overshoot by what it allocates within one jiffy, which the reserve
 * absorbs.
 */
unsigned long srd_reserve_pages;
static unsigned long srd_mem_checked_at;
static bool srd_mem_low;

static bool srd_memory_low(void)
{
	unsigned long now = jiffies;

	if (READ_ONCE(srd_mem_checked_at) != now) {
		WRITE_ONCE(srd_mem_checked_at, now);
		WRITE_ONCE(srd_mem_low, si_mem_available() <
			   (long)READ_ONCE(srd_reserve_pages));
	}
	return READ_ONCE(srd_mem_low);
}

static struct page *srd_alloc_page(struct srd_device *srd, gfp_t gfp)
{
	if (srd_memory_low())
		return NULL;
	gfp |= __GFP_HIGHMEM;
	if (srd->nid == NUMA_NO_NODE)
		return alloc_page(gfp);
	return alloc_pages_node(srd->nid, gfp, 0);
}

static void srd_free_page_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/*
 * Insert @page at @idx.  Return 0, -EBUSY if a page is already there or
 * -ENOMEM.  @gfp is for the xarray's own nodes.
 */
static int srd_insert_page(struct srd_device *srd, pgoff_t idx,
			   struct page *page, gfp_t gfp)
{
	int ret;

	ret = xa_insert(&srd->pages, idx, page, gfp);
	if (!ret)
		atomic_long_inc(&srd->nr_pages);
	return ret;
}

/*
 * Erase the pages in [@first, @last] and free them after a grace period.
 * @may_sleep: reschedule between batches (the caller can sleep).
 */
static void srd_free_pages(struct srd_device *srd, pgoff_t first,
			   pgoff_t last, bool may_sleep)
{
	XA_STATE(xas, &srd->pages, first);
	unsigned int batch;
	struct page *page;
	bool more;

	do {
		more = false;
		batch = 0;
		xas_lock(&xas);
		xas_for_each(&xas, page, last) {
			xas_store(&xas, NULL);
			atomic_long_dec(&srd->nr_pages);
			call_rcu(&page->rcu_head, srd_free_page_rcu);
			if (++batch == SRD_BATCH && xas.xa_index < last) {
				/*
				 * Restart from the next index rather than
				 * xas_pause(): the store may have freed the
				 * node the state points into.
				 */
				xas_set(&xas, xas.xa_index + 1);
				more = true;
				break;
			}
		}
		xas_unlock(&xas);
		if (more && may_sleep)
			cond_resched();
	} while (more);
}

/* Zero every page present in [@first, @last]. */
static void srd_zero_pages(struct srd_device *srd, pgoff_t first,
			   pgoff_t last, bool may_sleep)
{
	XA_STATE(xas, &srd->pages, first);
	unsigned int batch = 0;
	struct page *page;

	rcu_read_lock();
	xas_for_each(&xas, page, last) {
		if (xas_retry(&xas, page))
			continue;
		clear_highpage(page);
		if (++batch < SRD_BATCH)
			continue;
		batch = 0;
		xas_pause(&xas);
		rcu_read_unlock();
		if (may_sleep)
			cond_resched();
		rcu_read_lock();
	}
	rcu_read_unlock();
}

/* Zero @len bytes at @off in page @idx, if that page exists. */
static void srd_zero_partial(struct srd_device *srd, pgoff_t idx,
			     unsigned int off, unsigned int len)
{
	struct page *page;

	rcu_read_lock();
	page = xa_load(&srd->pages, idx);
	if (page)
		memzero_page(page, off, len);
	rcu_read_unlock();
}

/* Copy @len bytes from the disk at page @idx, offset @off, to @dst. */
static void srd_read_chunk(struct srd_device *srd, pgoff_t idx,
			   unsigned int off, struct page *dst,
			   unsigned int dst_off, unsigned int len)
{
	struct page *page;

	rcu_read_lock();
	page = xa_load(&srd->pages, idx);
	if (page)
		memcpy_page(dst, dst_off, page, off, len);
	else
		memzero_page(dst, dst_off, len);
	rcu_read_unlock();
}

/*
 * Copy @len bytes from @src to the disk at page @idx, offset @off,
 * allocating the page if needed.  A new page is filled before it is
 * published, so readers never see uninitialised memory; it is zeroed
 * first only if the write does not cover all of it.
 */
static int srd_write_chunk(struct srd_device *srd, pgoff_t idx,
			   unsigned int off, struct page *src,
			   unsigned int src_off, unsigned int len, gfp_t gfp)
{
	struct page *page;
	int ret;

	for (;;) {
		rcu_read_lock();
		page = xa_load(&srd->pages, idx);
		if (page) {
			memcpy_page(page, off, src, src_off, len);
			rcu_read_unlock();
			return 0;
		}
		rcu_read_unlock();

		page = srd_alloc_page(srd, len == PAGE_SIZE ?
				      gfp : gfp | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		memcpy_page(page, off, src, src_off, len);
		ret = srd_insert_page(srd, idx, page, gfp);
		if (!ret)
			return 0;
		__free_page(page);
		if (ret != -EBUSY)
			return ret;
		/* Another writer inserted this page first: write into it. */
	}
}

static blk_status_t srd_do_rw(struct srd_device *srd, struct bio *bio)
{
	bool write = op_is_write(bio_op(bio));
	gfp_t gfp = bio->bi_opf & REQ_NOWAIT ? SRD_GFP_NOWAIT : SRD_GFP_IO;
	struct bvec_iter iter;
	struct bio_vec bv;
	int ret;

	bio_for_each_segment(bv, bio, iter) {
		u64 pos = (u64)iter.bi_sector << SECTOR_SHIFT;
		unsigned int done = 0;

		while (done < bv.bv_len) {
			pgoff_t idx = pos >> PAGE_SHIFT;
			unsigned int off = offset_in_page(pos);
			unsigned int len = min_t(unsigned int, bv.bv_len - done,
						 PAGE_SIZE - off);

			if (!write) {
				srd_read_chunk(srd, idx, off, bv.bv_page,
					       bv.bv_offset + done, len);
			} else {
				ret = srd_write_chunk(srd, idx, off, bv.bv_page,
						      bv.bv_offset + done, len,
						      gfp);
				if (ret)
					goto write_failed;
			}
			pos += len;
			done += len;
		}
		if (!write)
			flush_dcache_page(bv.bv_page);
	}
	return BLK_STS_OK;

write_failed:
	if (bio->bi_opf & REQ_NOWAIT)
		return BLK_STS_AGAIN;
	atomic64_inc(&srd->alloc_failures);
	pr_warn_ratelimited("%s: out of memory, write at sector %llu failed\n",
			    srd->disk->disk_name,
			    (unsigned long long)iter.bi_sector);
	return BLK_STS_IOERR;
}

/*
 * DISCARD and WRITE_ZEROES: afterwards the range reads back as zeroes.
 * Whole pages are freed, except on preallocated disks, which must never
 * need memory for a write: there they are zeroed.  Partial pages are
 * zeroed.  WRITE_ZEROES frees pages even with REQ_NOUNMAP (which BLKZEROOUT
 * always sets): the disk is sparse by design and used_bytes is expected
 * to drop either way.
 */
static void srd_do_zero(struct srd_device *srd, struct bio *bio)
{
	u64 pos = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	u64 end = pos + bio->bi_iter.bi_size;
	bool may_sleep = !(bio->bi_opf & REQ_NOWAIT);
	pgoff_t first, end_idx;
	u64 head_end;

	head_end = min(end, round_up(pos, (u64)PAGE_SIZE));
	if (pos < head_end)
		srd_zero_partial(srd, pos >> PAGE_SHIFT, offset_in_page(pos),
				 head_end - pos);
	if (head_end >= end)
		return;

	first = head_end >> PAGE_SHIFT;
	end_idx = end >> PAGE_SHIFT;
	if (first < end_idx) {
		if (!srd_is_prealloc(srd))
			srd_free_pages(srd, first, end_idx - 1, may_sleep);
		else
			srd_zero_pages(srd, first, end_idx - 1, may_sleep);
	}
	if (offset_in_page(end))
		srd_zero_partial(srd, end_idx, 0, offset_in_page(end));
}

static blk_status_t srd_handle_bio(struct srd_device *srd, struct bio *bio)
{
	enum req_op op = bio_op(bio);

	/* The block layer only warns about writes to read-only disks. */
	if (op_is_write(op) && srd_is_read_only(srd))
		return BLK_STS_IOERR;
	/* Beyond the end, e.g. a partition that outlived a shrink. */
	if (bio_end_sector(bio) > get_capacity(srd->disk))
		return BLK_STS_IOERR;

	switch (op) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		return srd_do_rw(srd, bio);
	case REQ_OP_FLUSH:
		/* No volatile cache: every completed write is durable. */
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		srd_do_zero(srd, bio);
		return BLK_STS_OK;
	default:
		return BLK_STS_NOTSUPP;
	}
}

static void srd_submit_bio(struct bio *bio)
{
	struct gendisk *disk = bio->bi_bdev->bd_disk;
	bool acct = blk_queue_io_stat(disk->queue);
	unsigned long start = 0;
	blk_status_t status;

	if (acct)
		start = bio_start_io_acct(bio);
	status = srd_handle_bio(disk->private_data, bio);
	if (acct)
		bio_end_io_acct(bio, start);

	if (status == BLK_STS_AGAIN) {
		bio_wouldblock_error(bio);
		return;
	}
	bio->bi_status = status;
	bio_endio(bio);
}

/* Called with disk->open_mutex held, which orders it against removal. */
static int srd_open_disk(struct gendisk *disk, bool for_write)
{
	struct srd_device *srd = disk->private_data;

	lockdep_assert_held(&disk->open_mutex);
	if (srd->deleting)
		return -ENXIO;
	if (for_write && srd_is_read_only(srd))
		return -EROFS;
	return 0;
}

STOR_DEFINE_BDEV_OPEN(srd)

const struct block_device_operations srd_fops = {
	.owner		= THIS_MODULE,
	.open		= srd_open,
	.submit_bio	= srd_submit_bio,
};

/**
 * srd_store_prealloc - allocate zeroed pages for [@first, @end)
 * @srd: the disk
 * @first: first page index
 * @end: page index after the last
 *
 * Return: 0, -ENOMEM or -EINTR (fatal signal).  On failure the pages
 * allocated so far stay in place; the caller frees them.
 */
int srd_store_prealloc(struct srd_device *srd, pgoff_t first, pgoff_t end)
{
	struct page *page;
	pgoff_t idx;
	int ret;

	for (idx = first; idx < end; idx++) {
		page = srd_alloc_page(srd, SRD_GFP_PREALLOC | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		ret = srd_insert_page(srd, idx, page, SRD_GFP_PREALLOC);
		if (ret) {
			__free_page(page);
			return ret;
		}
		if ((idx - first) % SRD_BATCH == SRD_BATCH - 1) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/**
 * srd_store_free_range - free every page at index @first or above
 * @srd: the disk
 * @first: first page index to free
 *
 * For shrinking and for undoing a failed preallocation.  Bios may still
 * run below @first; pages are freed after an RCU grace period.
 */
void srd_store_free_range(struct srd_device *srd, pgoff_t first)
{
	srd_free_pages(srd, first, ULONG_MAX, true);
}

/**
 * srd_store_free_all - free every page and the xarray itself
 * @srd: the disk, no longer reachable by any bio (never added, or after
 *	del_gendisk())
 */
void srd_store_free_all(struct srd_device *srd)
{
	unsigned int batch = 0;
	unsigned long idx;
	struct page *page;

	xa_for_each(&srd->pages, idx, page) {
		__free_page(page);
		if (++batch % SRD_BATCH == 0)
			cond_resched();
	}
	xa_destroy(&srd->pages);
	atomic_long_set(&srd->nr_pages, 0);
}
