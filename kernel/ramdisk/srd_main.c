// SPDX-License-Identifier: GPL-2.0
/*
 * stor_ramdisk: sparse RAM-backed block devices /dev/srd<N>, created,
 * resized and removed at run time through the misc device
 * /dev/srd-control (ioctls in include/storctl/ramdisk.h).
 *
 * This file has the module parameters, module init/exit and the control
 * device: it validates requests, assigns disk indexes and serialises every
 * control operation with srd_ctl_mutex.  The I/O path never takes it.
 */
#include "srd.h"

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/math.h>
#include <linux/miscdevice.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nodemask.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>

static int max_disks = SRD_DEFAULT_MAX_DISKS;
module_param(max_disks, int, 0444);
MODULE_PARM_DESC(max_disks,
		 "Maximum number of RAM disks, indexes 0..max_disks-1 (default 64)");

/*
 * Memory kept for the rest of the system: writes needing a new page fail
 * (counted in alloc_failures) once available memory is below this.
 */
static int reserve_mb = -1;
module_param(reserve_mb, int, 0444);
MODULE_PARM_DESC(reserve_mb,
		 "MiB of available memory RAM disks never take (default -1: 1/32 of RAM, 32..1024 MiB)");

int srd_major;

/* Serialises control operations and protects srd_disks. */
static DEFINE_MUTEX(srd_ctl_mutex);
/* index -> struct srd_device; NULL entries reserve an index being added */
static DEFINE_XARRAY_ALLOC(srd_disks);

/*
 * Largest disk: its size in bytes must fit the block device inode's
 * loff_t, and its pages the page cache index.
 */
#define SRD_MAX_SIZE	round_down((u64)MAX_LFS_FILESIZE, PAGE_SIZE)

static bool srd_reserved_zero(const struct srd_info *info)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(info->reserved); i++) {
		if (info->reserved[i])
			return false;
	}
	return true;
}

static int srd_check_size(u64 size, u32 flags)
{
	if (!size || !IS_ALIGNED(size, PAGE_SIZE) || size > SRD_MAX_SIZE)
		return -EINVAL;
	if (!(flags & SRD_FLAG_OVERCOMMIT) &&
	    size > (u64)totalram_pages() << PAGE_SHIFT)
		return -E2BIG;
	return 0;
}

/* Read and check the argument common to every ioctl. */
static int srd_get_info(struct srd_info *info, void __user *argp)
{
	if (copy_from_user(info, argp, sizeof(*info)))
		return -EFAULT;
	if (!srd_reserved_zero(info))
		return -EINVAL;
	return 0;
}

static int srd_put_info(struct srd_device *srd, void __user *argp)
{
	struct srd_info info;

	srd_dev_fill_info(srd, &info);
	info.max_disks = max_disks;
	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/* Call with srd_ctl_mutex held. */
static struct srd_device *srd_find(s32 index)
{
	if (index < 0 || index >= max_disks)
		return NULL;
	return xa_load(&srd_disks, index);
}

/* Reserve @req (or the lowest free index) in srd_disks; return it. */
static int srd_reserve_index(s32 req, s32 *index)
{
	u32 id;
	int ret;

	if (req == SRD_INDEX_ANY) {
		ret = xa_alloc(&srd_disks, &id, NULL,
			       XA_LIMIT(0, max_disks - 1), GFP_KERNEL);
		if (ret == -EBUSY)
			return -ENOSPC;
		if (ret)
			return ret;
		*index = id;
		return 0;
	}

	ret = xa_insert(&srd_disks, req, NULL, GFP_KERNEL);
	if (ret == -EBUSY)
		return -EEXIST;
	if (ret)
		return ret;
	*index = req;
	return 0;
}

/* Call with srd_ctl_mutex held. */
static int srd_remove_locked(struct srd_device *srd)
{
	s32 index = srd->index;
	int ret;

	ret = srd_dev_remove(srd);
	if (!ret)
		xa_erase(&srd_disks, index);
	return ret;
}

static int srd_ctl_add(void __user *argp)
{
	struct srd_device *srd;
	struct srd_info info;
	unsigned int lbs;
	int nid = NUMA_NO_NODE;
	s32 index;
	int ret;

	ret = srd_get_info(&info, argp);
	if (ret)
		return ret;
	if (info.flags & ~SRD_FLAGS_ALL)
		return -EINVAL;
	lbs = info.logical_block_size ? info.logical_block_size : SECTOR_SIZE;
	if ((lbs != 512 && lbs != 4096) || lbs > PAGE_SIZE)
		return -EINVAL;
	if (info.numa_node != SRD_NUMA_ANY) {
		if (info.numa_node < 0 || info.numa_node >= MAX_NUMNODES ||
		    !node_online(info.numa_node))
			return -EINVAL;
		nid = info.numa_node;
	}
	if (info.index != SRD_INDEX_ANY &&
	    (info.index < 0 || info.index >= max_disks))
		return -EINVAL;
	ret = srd_check_size(info.size_bytes, info.flags);
	if (ret)
		return ret;

	ret = mutex_lock_killable(&srd_ctl_mutex);
	if (ret)
		return ret;
	ret = srd_reserve_index(info.index, &index);
	if (ret)
		goto out_unlock;

	srd = srd_dev_create(index, info.size_bytes, lbs, nid, info.flags);
	if (IS_ERR(srd)) {
		ret = PTR_ERR(srd);
		goto err_release_index;
	}
	/* Replaces the reserved entry, which needs no memory. */
	ret = xa_err(xa_store(&srd_disks, index, srd, GFP_KERNEL));
	if (ret)
		goto err_destroy_disk;

	ret = srd_put_info(srd, argp);
	/* Do not keep a disk the caller cannot know about, unless it is open. */
	if (ret && srd_remove_locked(srd))
		pr_warn(SRD_DISK_PREFIX "%d: created but not reported to the caller; kept because it is open\n",
			index);
	mutex_unlock(&srd_ctl_mutex);
	return ret;

err_destroy_disk:
	srd_dev_destroy(srd);
err_release_index:
	xa_release(&srd_disks, index);
out_unlock:
	mutex_unlock(&srd_ctl_mutex);
	return ret;
}

static int srd_ctl_remove(void __user *argp)
{
	struct srd_device *srd;
	struct srd_info info;
	int ret;

	ret = srd_get_info(&info, argp);
	if (ret)
		return ret;

	ret = mutex_lock_killable(&srd_ctl_mutex);
	if (ret)
		return ret;
	srd = srd_find(info.index);
	ret = srd ? srd_remove_locked(srd) : -ENODEV;
	mutex_unlock(&srd_ctl_mutex);
	return ret;
}

static int srd_ctl_resize(void __user *argp)
{
	struct srd_device *srd;
	struct srd_info info;
	int ret;

	ret = srd_get_info(&info, argp);
	if (ret)
		return ret;

	ret = mutex_lock_killable(&srd_ctl_mutex);
	if (ret)
		return ret;
	srd = srd_find(info.index);
	if (!srd) {
		ret = -ENODEV;
		goto out_unlock;
	}
	ret = srd_check_size(info.size_bytes, srd->flags);
	if (!ret)
		ret = srd_dev_resize(srd, info.size_bytes);
out_unlock:
	mutex_unlock(&srd_ctl_mutex);
	return ret;
}

static int srd_ctl_info(void __user *argp)
{
	struct srd_device *srd;
	struct srd_info info;
	int ret;

	ret = srd_get_info(&info, argp);
	if (ret)
		return ret;

	ret = mutex_lock_killable(&srd_ctl_mutex);
	if (ret)
		return ret;
	srd = srd_find(info.index);
	ret = srd ? srd_put_info(srd, argp) : -ENODEV;
	mutex_unlock(&srd_ctl_mutex);
	return ret;
}

static long srd_ctl_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case SRD_IOC_GET_VERSION:
		return put_user((u32)SRD_ABI_VERSION, (u32 __user *)argp);
	case SRD_IOC_INFO:
		return srd_ctl_info(argp);
	case SRD_IOC_ADD:
	case SRD_IOC_REMOVE:
	case SRD_IOC_RESIZE:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		break;
	default:
		return -ENOTTY;
	}

	switch (cmd) {
	case SRD_IOC_ADD:
		return srd_ctl_add(argp);
	case SRD_IOC_REMOVE:
		return srd_ctl_remove(argp);
	default:
		return srd_ctl_resize(argp);
	}
}

static const struct file_operations srd_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= srd_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice srd_ctl_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= SRD_CONTROL_NAME,
	.fops	= &srd_ctl_fops,
	.mode	= 0600,
};

static int __init srd_init(void)
{
	int ret;

	if (max_disks < 1 || max_disks > SRD_MAX_DISKS_LIMIT) {
		int fixed = clamp(max_disks, 1, SRD_MAX_DISKS_LIMIT);

		pr_warn("max_disks=%d is out of range 1..%d, using %d\n",
			max_disks, SRD_MAX_DISKS_LIMIT, fixed);
		max_disks = fixed;
	}

	if (reserve_mb < 0) {
		u64 auto_mb = ((u64)totalram_pages() << PAGE_SHIFT) >> 25;

		reserve_mb = clamp_t(u64, auto_mb, 32, 1024);
	}
	srd_reserve_pages = (unsigned long)reserve_mb << (20 - PAGE_SHIFT);

	ret = register_blkdev(0, SRD_DISK_PREFIX);
	if (ret < 0)
		return ret;
	srd_major = ret;

	ret = misc_register(&srd_ctl_misc);
	if (ret)
		goto err_unregister_blkdev;

	pr_info("loaded, max_disks=%d reserve_mb=%d\n", max_disks, reserve_mb);
	return 0;

err_unregister_blkdev:
	unregister_blkdev(srd_major, SRD_DISK_PREFIX);
	return ret;
}

static void __exit srd_exit(void)
{
	struct srd_device *srd;
	unsigned long index;

	/* No new control operations; an open control fd pins the module. */
	misc_deregister(&srd_ctl_misc);

	/* Open disks pin the module too, so none of these is open. */
	mutex_lock(&srd_ctl_mutex);
	xa_for_each(&srd_disks, index, srd) {
		xa_erase(&srd_disks, index);
		srd_dev_destroy(srd);
	}
	mutex_unlock(&srd_ctl_mutex);
	xa_destroy(&srd_disks);

	unregister_blkdev(srd_major, SRD_DISK_PREFIX);
	/* Pages freed by discard or shrink wait in RCU callbacks here. */
	rcu_barrier();
	pr_info("unloaded\n");
}

module_init(srd_init);
module_exit(srd_exit);

MODULE_DESCRIPTION("storctl sparse RAM disks");
MODULE_LICENSE("GPL");
