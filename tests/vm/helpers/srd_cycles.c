// SPDX-License-Identifier: GPL-2.0
/*
 * srd_cycles - create/write/remove stor_ramdisk disks through the control
 * device, many times, for the leak test (tests/vm/ramdisk/cycles.sh).
 *
 *   srd_cycles COUNT
 *
 * Cycle i makes one of five kinds of disk, as cycles.sh does with storctl:
 * 8 MiB plain, 8 MiB preallocated, 8 MiB with 4096-byte blocks, 8 MiB
 * read-only, 4 MiB at index 7.  Every writable disk gets 1 MiB written with
 * O_DIRECT, the read-only one is opened and read.  Then the
 * disk is removed; EBUSY (udevd still probing the new disk) is retried for
 * up to 30 s.  Exits 0 after COUNT cycles, 1 with a message on the first
 * failure.  It talks to the kernel only (no storctl, no udev wait), so a
 * cycle costs milliseconds where one through storctl costs about a second
 * under TCG; cycles.sh runs both kinds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "storctl/ramdisk.h"

#define MIB (1024ULL * 1024)

static int die(const char *what, int err)
{
	fprintf(stderr, "srd_cycles: %s: %s\n", what, strerror(err));
	exit(1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void write_mib(const char *dev)
{
	void *buf;
	int fd = open(dev, O_WRONLY | O_DIRECT);

	if (fd < 0)
		die(dev, errno);
	if (posix_memalign(&buf, 4096, MIB))
		die("posix_memalign", ENOMEM);
	memset(buf, 0xa5, MIB);
	if (pwrite(fd, buf, MIB, 0) != (ssize_t)MIB)
		die("write of 1 MiB", errno ? errno : EIO);
	free(buf);
	close(fd);
}

static void read_block(const char *dev)
{
	char buf[4096];
	int fd = open(dev, O_RDONLY);

	if (fd < 0)
		die(dev, errno);
	if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		die("read of 4 KiB", errno ? errno : EIO);
	close(fd);
}

static void run_cycle(int ctl, int i)
{
	struct srd_info info;
	char dev[64], what[96];
	int tries;

	memset(&info, 0, sizeof(info));
	info.index = SRD_INDEX_ANY;
	info.numa_node = SRD_NUMA_ANY;
	info.size_bytes = 8 * MIB;
	info.logical_block_size = 512;
	switch (i % 5) {
	case 1:
		info.flags = SRD_FLAG_PREALLOC;
		break;
	case 2:
		info.logical_block_size = 4096;
		break;
	case 3:
		info.flags = SRD_FLAG_READ_ONLY;
		break;
	case 4:
		info.size_bytes = 4 * MIB;
		info.index = 7;
		break;
	}
	if (ioctl(ctl, SRD_IOC_ADD, &info) < 0) {
		snprintf(what, sizeof(what), "cycle %d: SRD_IOC_ADD", i);
		die(what, errno);
	}
	snprintf(dev, sizeof(dev), "/dev/" SRD_DISK_PREFIX "%d", info.index);
	if (i % 5 == 3)
		read_block(dev);
	else
		write_mib(dev);
	for (tries = 0;; tries++) {
		if (ioctl(ctl, SRD_IOC_REMOVE, &info) == 0)
			break;
		if (errno != EBUSY || tries >= 3000) {
			snprintf(what, sizeof(what), "cycle %d: SRD_IOC_REMOVE %s", i, dev);
			die(what, errno);
		}
		sleep_ms(10);
	}
}

int main(int argc, char **argv)
{
	char *end;
	long count, i;
	int ctl;

	if (argc != 2) {
		fprintf(stderr, "usage: srd_cycles COUNT\n");
		return 2;
	}
	count = strtol(argv[1], &end, 10);
	if (*end || count < 1) {
		fprintf(stderr, "srd_cycles: not a count: %s\n", argv[1]);
		return 2;
	}
	ctl = open("/dev/" SRD_CONTROL_NAME, O_RDWR);
	if (ctl < 0)
		die("/dev/" SRD_CONTROL_NAME, errno);
	for (i = 0; i < count; i++)
		run_cycle(ctl, (int)i);
	close(ctl);
	printf("%ld cycles\n", count);
	return 0;
}
