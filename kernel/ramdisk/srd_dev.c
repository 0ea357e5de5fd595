// SPDX-License-Identifier: GPL-2.0
/*
 * stor_ramdisk disk life cycle: create (optionally preallocated), resize
 * and remove a disk, and its read-only sysfs attributes in
 * /sys/block/srd<N>/srd/.  Callers serialise these with srd_ctl_mutex.
 */
#include "srd.h"

#include <linux/device.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include <compat.h>

/*
 * Largest bio we take: what bi_size can describe, in whole pages.  The
 * driver has no reason to split I/O, so read/write, discard and
 * write-zeroes all use it.
 */
#define SRD_MAX_BIO_SECTORS \
	round_down(UINT_MAX >> SECTOR_SHIFT, 1U << SRD_SECTORS_PER_PAGE_SHIFT)

static struct srd_device *dev_to_srd(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t size_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)get_capacity(dev_to_disk(dev)) <<
			  SECTOR_SHIFT);
}
static DEVICE_ATTR_RO(size_bytes);

static ssize_t used_bytes_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct srd_device *srd = dev_to_srd(dev);

	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)atomic_long_read(&srd->nr_pages) <<
			  PAGE_SHIFT);
}
static DEVICE_ATTR_RO(used_bytes);

static ssize_t alloc_failures_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct srd_device *srd = dev_to_srd(dev);

	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)atomic64_read(&srd->alloc_failures));
}
static DEVICE_ATTR_RO(alloc_failures);

static ssize_t numa_node_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	/* NUMA_NO_NODE is -1, as the ABI wants for "no preference". */
	return sysfs_emit(buf, "%d\n", dev_to_srd(dev)->nid);
}
static DEVICE_ATTR_RO(numa_node);

static ssize_t options_show(struct device *dev,
			    struct device_attribute *attr, char *buf)
{
	static const struct {
		u32 flag;
		const char *name;
	} opts[] = {
		{ SRD_FLAG_PREALLOC,	"prealloc" },
		{ SRD_FLAG_READ_ONLY,	"read_only" },
		{ SRD_FLAG_OVERCOMMIT,	"overcommit" },
	};
	struct srd_device *srd = dev_to_srd(dev);
	int len = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		if (srd->flags & opts[i].flag)
			len += sysfs_emit_at(buf, len, "%s%s", len ? " " : "",
					     opts[i].name);
	}
	if (!len)
		len = sysfs_emit(buf, "none");
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(options);

static struct attribute *srd_attrs[] = {
	&dev_attr_size_bytes.attr,
	&dev_attr_used_bytes.attr,
	&dev_attr_alloc_failures.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_options.attr,
	NULL,
};

static const struct attribute_group srd_attr_group = {
	.name	= "srd",
	.attrs	= srd_attrs,
};

static const struct attribute_group *srd_attr_groups[] = {
	&srd_attr_group,
	NULL,
};

/**
 * srd_dev_create - create and register disk srd<@index>
 * @index: disk index, reserved by the caller
 * @size_bytes: capacity, validated by the caller
 * @lbs: logical block size, 512 or 4096
 * @nid: NUMA node for the pages, or NUMA_NO_NODE
 * @flags: SRD_FLAG_*
 *
 * Return: the new disk or an ERR_PTR; nothing is left behind on failure.
 */
struct srd_device *srd_dev_create(int index, u64 size_bytes,
				  unsigned int lbs, int nid, u32 flags)
{
	const struct stor_queue_config cfg = {
		.logical_block_size	= lbs,
		.physical_block_size	= lbs,
		.io_min			= PAGE_SIZE,
		.max_hw_sectors		= SRD_MAX_BIO_SECTORS,
		.max_discard_sectors	= SRD_MAX_BIO_SECTORS,
		.discard_granularity	= PAGE_SIZE,
		.max_write_zeroes_sectors = SRD_MAX_BIO_SECTORS,
		.nowait			= true,
		.iostats		= true,
	};
	struct srd_device *srd;
	struct gendisk *disk;
	int ret;

	srd = kzalloc_node(sizeof(*srd), GFP_KERNEL, nid);
	if (!srd)
		return ERR_PTR(-ENOMEM);
	srd->index = index;
	srd->flags = flags;
	srd->nid = nid;
	xa_init(&srd->pages);
	atomic_long_set(&srd->nr_pages, 0);
	atomic64_set(&srd->alloc_failures, 0);

	if (flags & SRD_FLAG_PREALLOC) {
		ret = srd_store_prealloc(srd, 0, size_bytes >> PAGE_SHIFT);
		if (ret)
			goto err_free_pages;
	}

	disk = stor_alloc_disk(&cfg, nid);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err_free_pages;
	}
	disk->major = srd_major;
	disk->first_minor = index << SRD_PART_SHIFT;
	disk->minors = SRD_MINORS;
	disk->fops = &srd_fops;
	disk->private_data = srd;
	snprintf(disk->disk_name, DISK_NAME_LEN, SRD_DISK_PREFIX "%d", index);
	set_capacity(disk, size_bytes >> SECTOR_SHIFT);
	if (flags & SRD_FLAG_READ_ONLY)
		set_disk_ro(disk, true);
	srd->disk = disk;

	/*
	 * A new disk reads as zeroes, so there is no partition table to
	 * scan.  Skipping the scan (as loop does) also keeps the scan's
	 * opener, released only when the caller returns to user space on
	 * 6.12, out of the open_count reported for the new disk.  Partition
	 * tables written later are found by the usual BLKRRPART.
	 */
	set_bit(GD_SUPPRESS_PART_SCAN, &disk->state);
	ret = device_add_disk(NULL, disk, srd_attr_groups);
	clear_bit(GD_SUPPRESS_PART_SCAN, &disk->state);
	if (ret)
		goto err_put_disk;
	return srd;

err_put_disk:
	put_disk(disk);
err_free_pages:
	srd_store_free_all(srd);
	kfree(srd);
	return ERR_PTR(ret);
}

/**
 * srd_dev_destroy - unregister a disk and free it, opened or not
 * @srd: the disk
 *
 * Only for module unload, when no disk can be open: an open disk holds a
 * reference on the module.
 */
void srd_dev_destroy(struct srd_device *srd)
{
	struct gendisk *disk = srd->disk;

	mutex_lock(&disk->open_mutex);
	srd->deleting = true;
	mutex_unlock(&disk->open_mutex);

	/* Waits for bios in flight; afterwards no bio can reach the pages. */
	del_gendisk(disk);
	put_disk(disk);
	srd_store_free_all(srd);
	kfree(srd);
}

/**
 * srd_dev_remove - remove a disk unless it is open
 * @srd: the disk
 *
 * Open file descriptors, mounts and holders such as a device-mapper table
 * all count as openers.  The check and marking the disk as deleting happen
 * under disk->open_mutex, which srd_open() also runs under, so a
 * concurrent open either makes this fail with -EBUSY or fails with -ENXIO.
 *
 * Return: 0, or -EBUSY with nothing changed.
 */
int srd_dev_remove(struct srd_device *srd)
{
	struct gendisk *disk = srd->disk;

	mutex_lock(&disk->open_mutex);
	if (disk_openers(disk)) {
		mutex_unlock(&disk->open_mutex);
		return -EBUSY;
	}
	srd->deleting = true;
	mutex_unlock(&disk->open_mutex);

	srd_dev_destroy(srd);
	return 0;
}

/**
 * srd_dev_resize - change the capacity of a disk
 * @srd: the disk
 * @size_bytes: new capacity, validated by the caller
 *
 * Growing works at any time.  On a preallocated disk the new pages are
 * allocated first, so -ENOMEM leaves the disk as it was.  Shrinking is
 * refused while the disk is open and frees the pages past the new end.
 *
 * Return: 0, -ENOMEM, -EINTR (preallocation interrupted) or -EBUSY.
 */
int srd_dev_resize(struct srd_device *srd, u64 size_bytes)
{
	struct gendisk *disk = srd->disk;
	sector_t old_sectors = get_capacity(disk);
	sector_t new_sectors = size_bytes >> SECTOR_SHIFT;
	pgoff_t old_pages = old_sectors >> SRD_SECTORS_PER_PAGE_SHIFT;
	pgoff_t new_pages = size_bytes >> PAGE_SHIFT;
	int ret;

	if (new_sectors == old_sectors)
		return 0;

	if (new_sectors > old_sectors) {
		if (srd_is_prealloc(srd)) {
			ret = srd_store_prealloc(srd, old_pages, new_pages);
			if (ret) {
				srd_store_free_range(srd, old_pages);
				return ret;
			}
		}
		set_capacity_and_notify(disk, new_sectors);
		return 0;
	}

	/* Like loop: the open count is only stable under open_mutex. */
	mutex_lock(&disk->open_mutex);
	if (disk_openers(disk)) {
		mutex_unlock(&disk->open_mutex);
		return -EBUSY;
	}
	set_capacity_and_notify(disk, new_sectors);
	mutex_unlock(&disk->open_mutex);

	/* Bios opened from now on see the new capacity. */
	srd_store_free_range(srd, new_pages);
	return 0;
}

/**
 * srd_dev_fill_info - describe a disk for SRD_IOC_ADD and SRD_IOC_INFO
 * @srd: the disk
 * @info: filled in; max_disks is left to the caller
 */
void srd_dev_fill_info(struct srd_device *srd, struct srd_info *info)
{
	struct gendisk *disk = srd->disk;

	memset(info, 0, sizeof(*info));
	info->index = srd->index;
	info->flags = srd->flags;
	info->size_bytes = (u64)get_capacity(disk) << SECTOR_SHIFT;
	info->logical_block_size = queue_logical_block_size(disk->queue);
	info->numa_node = srd->nid == NUMA_NO_NODE ? SRD_NUMA_ANY : srd->nid;
	info->used_bytes = (u64)atomic_long_read(&srd->nr_pages) << PAGE_SHIFT;
	info->alloc_failures = atomic64_read(&srd->alloc_failures);
	info->open_count = disk_openers(disk);
}
