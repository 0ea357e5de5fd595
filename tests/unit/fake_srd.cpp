// SPDX-License-Identifier: MIT
#include "fake_srd.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include <dlfcn.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

namespace storctl::test {

namespace {

bool g_attached = false;
dev_t g_dev = 0;
ino_t g_ino = 0;

bool is_fake_fd(int fd)
{
	if (!g_attached)
		return false;
	struct stat st {};
	return ::fstat(fd, &st) == 0 && st.st_dev == g_dev && st.st_ino == g_ino;
}

} // namespace

FakeSrd &fake_srd()
{
	static FakeSrd fake;
	return fake;
}

void FakeSrd::attach(const std::string &path)
{
	struct stat st {};
	if (::stat(path.c_str(), &st) == 0) {
		g_dev = st.st_dev;
		g_ino = st.st_ino;
		g_attached = true;
	}
}

void FakeSrd::detach()
{
	g_attached = false;
	*this = FakeSrd{};
}

srd_info &FakeSrd::add_disk(int index, std::uint64_t size, std::uint32_t flags)
{
	srd_info d{};
	d.index = index;
	d.flags = flags;
	d.size_bytes = size;
	d.logical_block_size = 512;
	d.numa_node = SRD_NUMA_ANY;
	d.max_disks = static_cast<__u32>(max_disks);
	return disks[index] = d;
}

int FakeSrd::handle(unsigned long request, void *arg)
{
	srd_info in{};
	if (request != SRD_IOC_GET_VERSION)
		std::memcpy(&in, arg, sizeof(in));
	calls.push_back({request, in});

	if (fail_errno && fail_request == request) {
		errno = fail_errno;
		fail_errno = 0;
		return -1;
	}
	auto fail = [](int err) {
		errno = err;
		return -1;
	};

	switch (request) {
	case SRD_IOC_GET_VERSION:
		*static_cast<__u32 *>(arg) = version;
		return 0;
	case SRD_IOC_ADD: {
		if (in.reserved[0] || in.reserved[1] || in.reserved[2] || in.reserved[3] ||
		    (in.flags & ~SRD_FLAGS_ALL) || in.size_bytes == 0 || in.size_bytes % 4096)
			return fail(EINVAL);
		int index = in.index;
		if (index == SRD_INDEX_ANY) {
			index = 0;
			while (disks.count(index))
				index++;
			if (index >= max_disks)
				return fail(ENOSPC);
		} else if (index < 0 || index >= max_disks) {
			return fail(EINVAL);
		} else if (disks.count(index)) {
			return fail(EEXIST);
		}
		srd_info &d = add_disk(index, in.size_bytes, in.flags);
		d.logical_block_size = in.logical_block_size ? in.logical_block_size : 512;
		d.numa_node = in.numa_node;
		if (in.flags & SRD_FLAG_PREALLOC)
			d.used_bytes = in.size_bytes;
		std::memcpy(arg, &d, sizeof(d));
		return 0;
	}
	case SRD_IOC_REMOVE: {
		auto it = disks.find(in.index);
		if (it == disks.end())
			return fail(ENODEV);
		if (it->second.open_count)
			return fail(EBUSY);
		disks.erase(it);
		return 0;
	}
	case SRD_IOC_RESIZE: {
		auto it = disks.find(in.index);
		if (it == disks.end())
			return fail(ENODEV);
		if (in.size_bytes == 0 || in.size_bytes % 4096)
			return fail(EINVAL);
		if (in.size_bytes < it->second.size_bytes && it->second.open_count)
			return fail(EBUSY);
		it->second.size_bytes = in.size_bytes;
		return 0;
	}
	case SRD_IOC_INFO: {
		auto it = disks.find(in.index);
		if (it == disks.end())
			return fail(ENODEV);
		std::memcpy(arg, &it->second, sizeof(it->second));
		return 0;
	}
	default:
		return fail(ENOTTY);
	}
}

} // namespace storctl::test

// Interpose ioctl(2) for this test binary.
extern "C" int ioctl(int fd, unsigned long request, ...) noexcept
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);

	if (storctl::test::is_fake_fd(fd))
		return storctl::test::fake_srd().handle(request, arg);

	using ioctl_fn = int (*)(int, unsigned long, ...);
	static auto real = reinterpret_cast<ioctl_fn>(::dlsym(RTLD_NEXT, "ioctl"));
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, request, arg);
}
