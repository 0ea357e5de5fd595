/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * storctl RAM disk (stor_ramdisk) control interface.
 *
 * Shared by the kernel module (kernel/ramdisk) and userspace (lib/).
 * Userspace opens /dev/srd-control and issues the ioctls below.  Every
 * ioctl returns 0 on success or -1 with errno set; nothing is changed on
 * failure.
 *
 * Versioning: SRD_IOC_GET_VERSION returns SRD_ABI_VERSION.  Structures only
 * grow by using their reserved fields; the kernel rejects non-zero reserved
 * fields and unknown flags with EINVAL, so an old module never silently
 * ignores a request it does not understand.
 */
#ifndef _UAPI_STORCTL_RAMDISK_H
#define _UAPI_STORCTL_RAMDISK_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#define SRD_ABI_VERSION		1

#define SRD_CONTROL_NAME	"srd-control"	/* /dev/srd-control */
#define SRD_DISK_PREFIX		"srd"		/* /dev/srd<N> */

/* srd_info.flags */
#define SRD_FLAG_PREALLOC	0x1U		/* allocate every page up front */
#define SRD_FLAG_READ_ONLY	0x2U		/* disk is read-only */
#define SRD_FLAG_OVERCOMMIT	0x4U		/* allow size > physical RAM */
#define SRD_FLAGS_ALL		(SRD_FLAG_PREALLOC | SRD_FLAG_READ_ONLY | \
				 SRD_FLAG_OVERCOMMIT)

#define SRD_INDEX_ANY		(-1)	/* ADD: lowest free index */
#define SRD_NUMA_ANY		(-1)	/* ADD: no NUMA preference */

/*
 * One structure serves every ioctl.  "in" fields are read by the kernel,
 * "out" fields are filled in by it.
 *
 *   ADD:    in index (or SRD_INDEX_ANY), size_bytes, logical_block_size
 *           (512 or 4096; 0 means 512), numa_node, flags.
 *           out: index and every out field.
 *   REMOVE: in index.  EBUSY while the disk is open.
 *   RESIZE: in index, size_bytes.  Shrinking an open disk is EBUSY.
 *   INFO:   in index; out everything.
 *
 * size_bytes must be a non-zero multiple of the page size (and therefore
 * of logical_block_size).
 */
struct srd_info {
	__s32 index;			/* in/out */
	__u32 flags;			/* in (ADD), out: SRD_FLAG_* */
	__u64 size_bytes;		/* in (ADD, RESIZE), out */
	__u32 logical_block_size;	/* in (ADD), out */
	__s32 numa_node;		/* in (ADD), out */
	__u64 used_bytes;		/* out: memory holding data */
	__u64 alloc_failures;		/* out: writes failed for lack of memory */
	__u32 open_count;		/* out: current openers */
	__u32 max_disks;		/* out: module's disk limit */
	__u64 reserved[4];		/* must be zero */
};

#define SRD_IOC_MAGIC		0xB5
#define SRD_IOC_GET_VERSION	_IOR(SRD_IOC_MAGIC, 0x00, __u32)
#define SRD_IOC_ADD		_IOWR(SRD_IOC_MAGIC, 0x01, struct srd_info)
#define SRD_IOC_REMOVE		_IOW(SRD_IOC_MAGIC, 0x02, struct srd_info)
#define SRD_IOC_RESIZE		_IOW(SRD_IOC_MAGIC, 0x03, struct srd_info)
#define SRD_IOC_INFO		_IOWR(SRD_IOC_MAGIC, 0x04, struct srd_info)

#endif /* _UAPI_STORCTL_RAMDISK_H */
