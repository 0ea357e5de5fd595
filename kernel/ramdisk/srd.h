/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stor_ramdisk internals shared by the control device (srd_main.c), the
 * disk life cycle (srd_dev.c) and the I/O path (srd_io.c).
 */
#ifndef _STORCTL_SRD_H
#define _STORCTL_SRD_H

#define pr_fmt(fmt) "stor_ramdisk: " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/blkdev.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <storctl/ramdisk.h>

/*
 * Minors per disk: the whole disk and 15 partitions; further partitions
 * get extended dev_t numbers.
 */
#define SRD_PART_SHIFT		4
#define SRD_MINORS		BIT(SRD_PART_SHIFT)
/* Indexes must keep first_minor within MINORBITS. */
#define SRD_MAX_DISKS_LIMIT	((int)BIT(MINORBITS - SRD_PART_SHIFT))
#define SRD_DEFAULT_MAX_DISKS	64

#define SRD_SECTORS_PER_PAGE_SHIFT	(PAGE_SHIFT - SECTOR_SHIFT)

/**
 * struct srd_device - one RAM disk
 * @index: N in srd<N>
 * @flags: SRD_FLAG_* given at creation
 * @nid: NUMA node for the pages, or NUMA_NO_NODE
 * @disk: the gendisk; its private_data points back here
 * @pages: page index -> struct page.  Lookups run under RCU without the
 *	xarray lock; inserts and erases take the xarray's own lock.  Pages are
 *	freed only after an RCU grace period once erased.
 * @nr_pages: pages held in @pages
 * @alloc_failures: writes failed because no page could be allocated
 * @deleting: set under disk->open_mutex once removal is committed; opens
 *	fail with -ENXIO from then on
 *
 * Everything except the page store and the counters is fixed after
 * creation or protected by srd_ctl_mutex (resize) and disk->open_mutex.
 */
struct srd_device {
	int			index;
	u32			flags;
	int			nid;
	struct gendisk		*disk;
	struct xarray		pages;
	atomic_long_t		nr_pages;
	atomic64_t		alloc_failures;
	bool			deleting;
};

static inline bool srd_is_prealloc(const struct srd_device *srd)
{
	return srd->flags & SRD_FLAG_PREALLOC;
}

static inline bool srd_is_read_only(const struct srd_device *srd)
{
	return srd->flags & SRD_FLAG_READ_ONLY;
}

/* srd_main.c */
extern int srd_major;

/* srd_dev.c: callers hold srd_ctl_mutex */
struct srd_device *srd_dev_create(int index, u64 size_bytes,
				  unsigned int lbs, int nid, u32 flags);
int srd_dev_remove(struct srd_device *srd);
void srd_dev_destroy(struct srd_device *srd);
int srd_dev_resize(struct srd_device *srd, u64 size_bytes);
void srd_dev_fill_info(struct srd_device *srd, struct srd_info *info);

/* srd_io.c */
extern unsigned long srd_reserve_pages;
extern const struct block_device_operations srd_fops;
int srd_store_prealloc(struct srd_device *srd, pgoff_t first, pgoff_t end);
void srd_store_free_range(struct srd_device *srd, pgoff_t first);
void srd_store_free_all(struct srd_device *srd);

#endif /* _STORCTL_SRD_H */
