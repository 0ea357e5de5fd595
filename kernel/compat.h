/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Block layer API differences between the kernels storctl builds for.
 *
 * This is the only place in kernel/ that tests LINUX_VERSION_CODE; the .c
 * files use the helpers below.  Tested on 6.1 and 6.12 (Debian 12).  The
 * STOR_KV_* versions are where upstream changed each interface.
 */
#ifndef _STORCTL_COMPAT_H
#define _STORCTL_COMPAT_H

#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/limits.h>
#include <linux/version.h>

#define STOR_KV_MIN		KERNEL_VERSION(6, 1, 0)
/*
 * block_device_operations.open takes (struct gendisk *, blk_mode_t)
 * instead of (struct block_device *, fmode_t); BLK_OPEN_WRITE replaces
 * FMODE_WRITE.
 */
#define STOR_KV_OPEN_GENDISK	KERNEL_VERSION(6, 5, 0)
/*
 * blk_alloc_disk() takes the queue limits up front and returns an ERR_PTR;
 * the blk_queue_*() limit setters are deprecated.
 */
#define STOR_KV_ALLOC_LIMITS	KERNEL_VERSION(6, 9, 0)
/*
 * Queue features (nowait, iostats, rotational, ...) are part of struct
 * queue_limits instead of request_queue flags.
 */
#define STOR_KV_QUEUE_FEATURES	KERNEL_VERSION(6, 11, 0)
/*
 * Before 6.5 (upstream 2bc057692599, not in 6.1 stable as of Debian's
 * 6.1.0-57) a polled bio of the block device's async direct I/O is also
 * REQ_NOWAIT, and a REQ_NOWAIT bio the block layer must split fails with
 * EAGAIN, which io_uring (IOPOLL) retries in an io-wq worker forever: polled
 * I/O larger than the queue's limits never completes, and its task cannot
 * be killed.  Drivers with small limits can only say so.
 */
#define STOR_KV_POLLED_MAY_WAIT	KERNEL_VERSION(6, 5, 0)
#define STOR_POLLED_SPLIT_HANGS	(LINUX_VERSION_CODE < STOR_KV_POLLED_MAY_WAIT)

#if LINUX_VERSION_CODE < STOR_KV_MIN
#error "storctl kernel modules need Linux 6.1 or later"
#endif

/**
 * struct stor_queue_config - queue limits and features of a bio-based disk
 * @logical_block_size: smallest addressable unit, in bytes
 * @physical_block_size: smallest unit written without read-modify-write
 * @io_min: preferred minimum I/O size, in bytes
 * @max_hw_sectors: largest read/write bio the driver accepts
 * @max_discard_sectors: largest discard bio, 0 if discard is unsupported
 * @discard_granularity: unit in which discard frees space, in bytes
 * @max_write_zeroes_sectors: largest write-zeroes bio, 0 if unsupported
 * @nowait: the driver handles REQ_NOWAIT bios
 * @iostats: account I/O in /sys/block/<disk>/stat by default
 *
 * The disk is non-rotational, does not feed the entropy pool and has no
 * volatile write cache.  Segment count and size are not limited.
 */
struct stor_queue_config {
	unsigned int logical_block_size;
	unsigned int physical_block_size;
	unsigned int io_min;
	unsigned int max_hw_sectors;
	unsigned int max_discard_sectors;
	unsigned int discard_granularity;
	unsigned int max_write_zeroes_sectors;
	bool nowait;
	bool iostats;
};

#if LINUX_VERSION_CODE < STOR_KV_QUEUE_FEATURES
static inline void stor_set_queue_flags(struct request_queue *q,
					const struct stor_queue_config *cfg)
{
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	if (cfg->nowait)
		blk_queue_flag_set(QUEUE_FLAG_NOWAIT, q);
	if (cfg->iostats)
		blk_queue_flag_set(QUEUE_FLAG_IO_STAT, q);
}
#endif

#if LINUX_VERSION_CODE >= STOR_KV_ALLOC_LIMITS
/**
 * stor_alloc_disk - allocate a bio-based gendisk with the given limits
 * @cfg: queue limits and features
 * @node: NUMA node for the gendisk and queue, or NUMA_NO_NODE
 *
 * Return: the disk, or an ERR_PTR.  Free with put_disk().
 */
static inline struct gendisk *
stor_alloc_disk(const struct stor_queue_config *cfg, int node)
{
	struct queue_limits lim = {
		.logical_block_size	= cfg->logical_block_size,
		.physical_block_size	= cfg->physical_block_size,
		.io_min			= cfg->io_min,
		.max_hw_sectors		= cfg->max_hw_sectors,
		.max_segments		= USHRT_MAX,
		.max_segment_size	= UINT_MAX,
		.max_hw_discard_sectors	= cfg->max_discard_sectors,
		.discard_granularity	= cfg->discard_granularity,
		.max_write_zeroes_sectors = cfg->max_write_zeroes_sectors,
	};
	struct gendisk *disk;

#if LINUX_VERSION_CODE >= STOR_KV_QUEUE_FEATURES
	/* Not rotational and no entropy contribution: features left clear. */
	if (cfg->nowait)
		lim.features |= BLK_FEAT_NOWAIT;
	if (cfg->iostats)
		lim.features |= BLK_FEAT_IO_STAT;
#endif
	disk = blk_alloc_disk(&lim, node);
#if LINUX_VERSION_CODE < STOR_KV_QUEUE_FEATURES
	if (!IS_ERR(disk))
		stor_set_queue_flags(disk->queue, cfg);
#endif
	return disk;
}
#else
static inline struct gendisk *
stor_alloc_disk(const struct stor_queue_config *cfg, int node)
{
	struct request_queue *q;
	struct gendisk *disk;

	disk = blk_alloc_disk(node);
	if (!disk)
		return ERR_PTR(-ENOMEM);
	q = disk->queue;
	/* The logical block size first: the other setters round to it. */
	blk_queue_logical_block_size(q, cfg->logical_block_size);
	blk_queue_physical_block_size(q, cfg->physical_block_size);
	blk_queue_io_min(q, cfg->io_min);
	blk_queue_max_hw_sectors(q, cfg->max_hw_sectors);
	blk_queue_max_segments(q, USHRT_MAX);
	blk_queue_max_segment_size(q, UINT_MAX);
	blk_queue_max_discard_sectors(q, cfg->max_discard_sectors);
	q->limits.discard_granularity = cfg->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, cfg->max_write_zeroes_sectors);
	stor_set_queue_flags(q, cfg);
	return disk;
}
#endif

/*
 * STOR_DEFINE_BDEV_OPEN(prefix) defines prefix_open(), a
 * block_device_operations.open method with this kernel's prototype that
 * calls
 *	int prefix_open_disk(struct gendisk *disk, bool for_write);
 * with disk->open_mutex held.
 */
#if LINUX_VERSION_CODE >= STOR_KV_OPEN_GENDISK
#define STOR_DEFINE_BDEV_OPEN(prefix)					\
static int prefix##_open(struct gendisk *disk, blk_mode_t mode)		\
{									\
	return prefix##_open_disk(disk, mode & BLK_OPEN_WRITE);		\
}
#else
#define STOR_DEFINE_BDEV_OPEN(prefix)					\
static int prefix##_open(struct block_device *bdev, fmode_t mode)	\
{									\
	return prefix##_open_disk(bdev->bd_disk, mode & FMODE_WRITE);	\
}
#endif

/* ------------------------------------------------------------------------
 * rnbd: stor_rnbd_server / stor_rnbd_client (kernel/rnbd)
 *
 * Only the remote block device modules use this section; it includes what
 * it needs itself.
 */
#include <linux/blk-mq.h>
#include <linux/fs.h>

/*
 * Block devices are opened as a struct file (bdev_file_open_by_path) and
 * closed with bdev_fput() instead of blkdev_get_by_path()/blkdev_put().
 */
#define STOR_KV_BDEV_FILE	KERNEL_VERSION(6, 9, 0)

/**
 * struct stor_bdev_ref - a block device opened by stor_bdev_open()
 * @bdev: the device
 * @file: (6.9+) the file holding it open
 * @mode: (before 6.9) the mode to give back to blkdev_put()
 */
struct stor_bdev_ref {
	struct block_device *bdev;
#if LINUX_VERSION_CODE >= STOR_KV_BDEV_FILE
	struct file *file;
#else
	fmode_t mode;
#endif
};

/**
 * stor_bdev_open - open a block device by path, not exclusively
 * @path: path of the device node
 * @write: open for writing as well as reading
 * @ref: filled in on success
 *
 * Return: 0 or a negative errno.  Close with stor_bdev_close().
 */
static inline int stor_bdev_open(const char *path, bool write,
				 struct stor_bdev_ref *ref)
{
#if LINUX_VERSION_CODE >= STOR_KV_BDEV_FILE
	blk_mode_t mode = BLK_OPEN_READ | (write ? BLK_OPEN_WRITE : 0);
	struct file *file;

	file = bdev_file_open_by_path(path, mode, NULL, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ref->file = file;
	ref->bdev = file_bdev(file);
#else
	fmode_t mode = FMODE_READ | (write ? FMODE_WRITE : 0);
	struct block_device *bdev;

	bdev = blkdev_get_by_path(path, mode, NULL);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	ref->bdev = bdev;
	ref->mode = mode;
#endif
	return 0;
}

static inline void stor_bdev_close(struct stor_bdev_ref *ref)
{
#if LINUX_VERSION_CODE >= STOR_KV_BDEV_FILE
	bdev_fput(ref->file);
	ref->file = NULL;
#else
	blkdev_put(ref->bdev, ref->mode);
#endif
	ref->bdev = NULL;
}

/*
 * STOR_DEFINE_BDEV_RELEASE(prefix) defines prefix_release(), a
 * block_device_operations.release method with this kernel's prototype
 * that calls
 *	void prefix_release_disk(struct gendisk *disk);
 */
#if LINUX_VERSION_CODE >= STOR_KV_OPEN_GENDISK
#define STOR_DEFINE_BDEV_RELEASE(prefix)				\
static void prefix##_release(struct gendisk *disk)			\
{									\
	prefix##_release_disk(disk);					\
}
#else
#define STOR_DEFINE_BDEV_RELEASE(prefix)				\
static void prefix##_release(struct gendisk *disk, fmode_t mode)	\
{									\
	prefix##_release_disk(disk);					\
}
#endif

/**
 * struct stor_mq_config - queue limits and features of a blk-mq disk
 * @logical_block_size: bytes
 * @physical_block_size: bytes
 * @max_hw_sectors: largest read/write request
 * @max_segments: most segments in one request
 * @virt_boundary_mask: segments may not cross this boundary (0: none)
 * @max_discard_sectors: 0 if discard is unsupported
 * @discard_granularity: bytes
 * @max_write_zeroes_sectors: 0 if unsupported
 * @write_cache: the device has a volatile write cache (flushes matter)
 * @fua: the device handles FUA writes
 * @rotational: rotational media
 */
struct stor_mq_config {
	unsigned int logical_block_size;
	unsigned int physical_block_size;
	unsigned int max_hw_sectors;
	unsigned int max_segments;
	unsigned long virt_boundary_mask;
	unsigned int max_discard_sectors;
	unsigned int discard_granularity;
	unsigned int max_write_zeroes_sectors;
	bool write_cache;
	bool fua;
	bool rotational;
};

/**
 * stor_mq_alloc_disk - allocate a gendisk on a blk-mq tag set
 * @set: the tag set (may be shared by several disks)
 * @cfg: limits and features
 * @queuedata: request_queue.queuedata
 *
 * Return: the disk or an ERR_PTR.  Free with put_disk().
 */
#if LINUX_VERSION_CODE >= STOR_KV_ALLOC_LIMITS
static inline struct gendisk *
stor_mq_alloc_disk(struct blk_mq_tag_set *set,
		   const struct stor_mq_config *cfg, void *queuedata)
{
	struct queue_limits lim = {
		.logical_block_size	= cfg->logical_block_size,
		.physical_block_size	= cfg->physical_block_size,
		.max_hw_sectors		= cfg->max_hw_sectors,
		.max_segments		= cfg->max_segments,
		.virt_boundary_mask	= cfg->virt_boundary_mask,
		.max_hw_discard_sectors	= cfg->max_discard_sectors,
		.discard_granularity	= cfg->discard_granularity,
		.max_write_zeroes_sectors = cfg->max_write_zeroes_sectors,
	};
	struct gendisk *disk;

#if LINUX_VERSION_CODE >= STOR_KV_QUEUE_FEATURES
	if (cfg->write_cache)
		lim.features |= BLK_FEAT_WRITE_CACHE;
	if (cfg->write_cache && cfg->fua)
		lim.features |= BLK_FEAT_FUA;
	if (cfg->rotational)
		lim.features |= BLK_FEAT_ROTATIONAL;
#endif
	disk = blk_mq_alloc_disk(set, &lim, queuedata);
#if LINUX_VERSION_CODE < STOR_KV_QUEUE_FEATURES
	if (!IS_ERR(disk)) {
		blk_queue_write_cache(disk->queue, cfg->write_cache, cfg->fua);
		if (!cfg->rotational)
			blk_queue_flag_set(QUEUE_FLAG_NONROT, disk->queue);
		blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, disk->queue);
	}
#endif
	return disk;
}
#else
static inline struct gendisk *
stor_mq_alloc_disk(struct blk_mq_tag_set *set,
		   const struct stor_mq_config *cfg, void *queuedata)
{
	struct request_queue *q;
	struct gendisk *disk;

	disk = blk_mq_alloc_disk(set, queuedata);
	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	blk_queue_logical_block_size(q, cfg->logical_block_size);
	blk_queue_physical_block_size(q, cfg->physical_block_size);
	blk_queue_max_hw_sectors(q, cfg->max_hw_sectors);
	blk_queue_max_segments(q, cfg->max_segments);
	if (cfg->virt_boundary_mask)
		blk_queue_virt_boundary(q, cfg->virt_boundary_mask);
	blk_queue_max_discard_sectors(q, cfg->max_discard_sectors);
	q->limits.discard_granularity = cfg->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, cfg->max_write_zeroes_sectors);
	blk_queue_write_cache(q, cfg->write_cache, cfg->fua);
	if (!cfg->rotational)
		blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	return disk;
}
#endif

#endif /* _STORCTL_COMPAT_H */
