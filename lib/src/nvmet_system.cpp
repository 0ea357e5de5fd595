// SPDX-License-Identifier: MIT
//
// The real nvmet::System: block devices (stat), kernel modules (libkmod,
// through CacheSystem::load_module), configfs mounting, network interfaces
// (libnl-3 route, netif.cpp), host name and kernel release.
#include <storctl/nvmet.hpp>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <storctl/cache.hpp>
#include <storctl/unique_fd.hpp>

namespace storctl::nvmet {

namespace {

constexpr const char *kConfigfsMount = "/sys/kernel/config";
constexpr long kConfigfsMagic = 0x62656570;

class RealSystem final : public System {
public:
	Result<Volume> probe_volume(const std::string &path) override
	{
		struct stat st {};
		if (::stat(path.c_str(), &st) < 0) {
			int err = errno;
			if (err == ENOENT || err == ENOTDIR)
				return Error{Errc::not_found, err, path + " does not exist"};
			if (err == EACCES)
				return Error{Errc::permission_denied, err,
					     path + ": permission denied (run as root)"};
			return errno_error(err, path);
		}
		if (!S_ISBLK(st.st_mode))
			return make_error(Errc::invalid_argument,
					  path + " is not a block device (a volume is a RAM disk, "
					  "a device-mapper device or any other block device)");
		Volume v;
		v.path = path;
		v.major = ::major(st.st_rdev);
		v.minor = ::minor(st.st_rdev);
		auto fd = UniqueFd::open(path.c_str(), O_RDONLY);
		if (!fd) {
			int err = fd.error().sys_errno;
			if (err == ENXIO || err == ENODEV || err == ENOENT)
				return Error{Errc::not_found, err,
					     path + " does not exist (no device behind the node)"};
			if (err == EACCES || err == EPERM)
				return Error{Errc::permission_denied, err,
					     path + ": permission denied (run as root)"};
			return errno_error(err, "cannot open " + path);
		}
		std::uint64_t bytes = 0;
		if (::ioctl(fd->get(), BLKGETSIZE64, &bytes) < 0)
			return errno_error(errno, "cannot read the size of " + path);
		v.size_bytes = bytes;
		return v;
	}

	std::optional<std::pair<std::uint32_t, std::uint32_t>> devno(const std::string &path) override
	{
		struct stat st {};
		if (::stat(path.c_str(), &st) < 0 || !S_ISBLK(st.st_mode))
			return std::nullopt;
		return std::make_pair(static_cast<std::uint32_t>(::major(st.st_rdev)),
				      static_cast<std::uint32_t>(::minor(st.st_rdev)));
	}

	Result<void> load_module(const std::string &name) override
	{
		// Already loaded (or built in): nothing to do, no root needed.
		std::string sysname = name;
		for (char &c : sysname)
			if (c == '-')
				c = '_';
		struct stat st {};
		if (::stat(("/sys/module/" + sysname).c_str(), &st) == 0)
			return ok();
		return make_cache_system()->load_module(name);
	}

	Result<void> ensure_configfs() override
	{
		struct statfs fs {};
		if (::statfs(kConfigfsMount, &fs) == 0 && static_cast<long>(fs.f_type) == kConfigfsMagic)
			return ok();
		// configfs is a module on some kernels; it registers the mount point.
		(void)load_module("configfs");
		if (::mount("configfs", kConfigfsMount, "configfs", 0, nullptr) < 0) {
			int err = errno;
			if (err == EBUSY)
				return ok();
			if (err == EPERM || err == EACCES)
				return Error{Errc::permission_denied, err,
					     std::string("mounting configfs on ") + kConfigfsMount +
					     " needs root"};
			return Error{Errc::unsupported, err,
				     std::string("configfs is not mounted on ") + kConfigfsMount +
				     " and cannot be mounted: " + std::strerror(err)};
		}
		return ok();
	}

	Result<std::vector<IpAddress>> interface_addresses(const std::string &name) override
	{
		return resolve_interface(name);
	}

	std::string hostname() override
	{
		char buf[256] = {};
		if (::gethostname(buf, sizeof(buf) - 1) < 0)
			return "localhost";
		return buf;
	}

	std::string kernel_release() override
	{
		struct utsname u {};
		if (::uname(&u) < 0)
			return "unknown";
		return u.release;
	}
};

} // namespace

std::unique_ptr<System> make_system()
{
	return std::make_unique<RealSystem>();
}

} // namespace storctl::nvmet
