// SPDX-License-Identifier: MIT
//
// The real CacheSystem: block devices, sysfs, /proc/self/mountinfo, libkmod.
#include <storctl/cache.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libkmod.h>

#include <storctl/unique_fd.hpp>

namespace storctl {

namespace {

std::optional<std::string> read_line(const std::filesystem::path &p)
{
	std::ifstream in(p);
	std::string s;
	if (!in || !std::getline(in, s))
		return std::nullopt;
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	return s;
}

// Kernel name ("srd0", "dm-3") of a block device number, from
// <sysfs>/dev/block/M:m (a symlink into /sys/devices).
std::optional<std::string> kernel_name(const std::string &sysfs_root, DevNo d)
{
	std::error_code ec;
	auto target = std::filesystem::read_symlink(
		std::filesystem::path(sysfs_root) / "dev" / "block" / d.str(), ec);
	if (ec)
		return std::nullopt;
	std::string name = target.filename().string();
	if (name.empty())
		return std::nullopt;
	return name;
}

// Unescape a mountinfo path ("\040" for a space).
std::string unescape_octal(std::string_view s)
{
	std::string out;
	for (std::size_t i = 0; i < s.size(); i++) {
		if (s[i] == '\\' && i + 3 < s.size()) {
			int v = 0;
			bool okay = true;
			for (std::size_t k = 1; k <= 3; k++) {
				char c = s[i + k];
				if (c < '0' || c > '7') {
					okay = false;
					break;
				}
				v = v * 8 + (c - '0');
			}
			if (okay) {
				out += static_cast<char>(v);
				i += 3;
				continue;
			}
		}
		out += s[i];
	}
	return out;
}

extern "C" void kmod_silent_log(void *, int, const char *, int, const char *, const char *,
				va_list)
{
}

class RealCacheSystem final : public CacheSystem {
public:
	explicit RealCacheSystem(std::string sysfs_root) : sysfs_(std::move(sysfs_root)) {}

	Result<BlockDevice> probe(const std::string &path) override
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
			return make_error(Errc::invalid_argument, path + " is not a block device");
		BlockDevice dev;
		dev.path = path;
		dev.devno = DevNo{::major(st.st_rdev), ::minor(st.st_rdev)};

		auto fd = UniqueFd::open(path.c_str(), O_RDONLY | O_EXCL);
		if (!fd) {
			int err = fd.error().sys_errno;
			switch (err) {
			case EBUSY:
				return Error{Errc::busy, err, path + " is in use (" + user_of(dev.devno) + ")"};
			case ENXIO:
			case ENODEV:
			case ENOENT:
				return Error{Errc::not_found, err,
					     path + " does not exist (no device behind the node)"};
			case EACCES:
			case EPERM:
				return Error{Errc::permission_denied, err,
					     path + ": permission denied (run as root)"};
			default:
				return errno_error(err, "cannot open " + path);
			}
		}
		std::uint64_t bytes = 0;
		if (::ioctl(fd->get(), BLKGETSIZE64, &bytes) < 0)
			return errno_error(errno, "cannot read the size of " + path);
		dev.size_bytes = bytes;
		return dev;
	}

	Result<void> wipe(const BlockDevice &dev, std::size_t bytes) override
	{
		auto fd = UniqueFd::open(dev.path.c_str(), O_WRONLY | O_EXCL);
		if (!fd) {
			if (fd.error().sys_errno == EBUSY)
				return Error{Errc::busy, EBUSY,
					     dev.path + " is in use (" + user_of(dev.devno) + ")"};
			return std::move(fd).error();
		}
		const std::string zeros(bytes, '\0');
		std::size_t done = 0;
		while (done < bytes) {
			ssize_t n = ::pwrite(fd->get(), zeros.data() + done, bytes - done,
					     static_cast<off_t>(done));
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return errno_error(errno, "cannot write to " + dev.path);
			}
			done += static_cast<std::size_t>(n);
		}
		if (::fsync(fd->get()) < 0)
			return errno_error(errno, "cannot write to " + dev.path);
		// Drop the page cache of the device so nothing stale of the old
		// metadata is read back through it later.
		(void)::ioctl(fd->get(), BLKFLSBUF, 0);
		return ok();
	}

	std::string device_path(DevNo devno) override
	{
		auto kname = kernel_name(sysfs_, devno);
		if (!kname)
			return devno.str();
		if (auto dm = read_line(std::filesystem::path(sysfs_) / "block" / *kname / "dm" / "name"))
			return "/dev/mapper/" + *dm;
		return "/dev/" + *kname;
	}

	std::optional<std::string> mount_point(DevNo devno) override
	{
		std::ifstream in("/proc/self/mountinfo");
		std::string line;
		const std::string want = devno.str();
		while (std::getline(in, line)) {
			// id parent M:m root mountpoint ...
			std::istringstream ss(line);
			std::string id, parent, dev, root, mnt;
			if (!(ss >> id >> parent >> dev >> root >> mnt))
				continue;
			if (dev == want)
				return unescape_octal(mnt);
		}
		return std::nullopt;
	}

	Result<void> load_module(const std::string &name) override
	{
		if (::geteuid() != 0)
			return make_error(Errc::permission_denied,
					  "loading " + name + " needs root");
		kmod_ctx *ctx = kmod_new(nullptr, nullptr);
		if (!ctx)
			return make_error(Errc::unsupported, "libkmod cannot be initialised");
		kmod_set_log_fn(ctx, kmod_silent_log, nullptr);
		kmod_list *list = nullptr;
		int err = kmod_module_new_from_lookup(ctx, name.c_str(), &list);
		Result<void> result = ok();
		if (err < 0 || !list) {
			result = make_error(Errc::unsupported,
					    "module " + name + " not found in /lib/modules");
		} else {
			kmod_list *it = nullptr;
			kmod_list_foreach(it, list)
			{
				kmod_module *mod = kmod_module_get_module(it);
				int rc = kmod_module_probe_insert_module(mod, 0, nullptr, nullptr,
									 nullptr, nullptr);
				kmod_module_unref(mod);
				if (rc < 0) {
					result = Error{errc_from_errno(-rc), -rc,
						       "cannot load " + name + ": " + std::strerror(-rc)};
					break;
				}
				if (rc > 0) {
					result = make_error(Errc::unsupported,
							    "module " + name + " is blacklisted");
					break;
				}
			}
			kmod_module_unref_list(list);
		}
		kmod_unref(ctx);
		return result;
	}

	std::chrono::steady_clock::time_point now() override
	{
		return std::chrono::steady_clock::now();
	}

	void sleep(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }

private:
	// Who keeps @devno busy, for messages.
	std::string user_of(DevNo devno)
	{
		if (auto mnt = mount_point(devno))
			return "mounted on " + *mnt;
		if (auto kname = kernel_name(sysfs_, devno)) {
			auto holders = block_holders(sysfs_, *kname);
			if (!holders.empty()) {
				std::string s = "held by ";
				for (std::size_t i = 0; i < holders.size(); i++)
					s += (i ? ", " : "") + holders[i];
				return s;
			}
		}
		return "open exclusively by another program or device";
	}

	std::string sysfs_;
};

} // namespace

std::unique_ptr<CacheSystem> make_cache_system(std::string sysfs_root)
{
	return std::make_unique<RealCacheSystem>(std::move(sysfs_root));
}

std::vector<std::string> block_holders(const std::string &sysfs_root,
				       const std::string &kernel_name)
{
	namespace fs = std::filesystem;
	std::vector<std::string> out;
	std::error_code ec;
	fs::path dir = fs::path(sysfs_root) / "class" / "block" / kernel_name / "holders";
	if (!fs::is_directory(dir, ec))
		dir = fs::path(sysfs_root) / "block" / kernel_name / "holders";
	fs::directory_iterator it(dir, ec);
	if (ec)
		return out;
	for (; it != fs::directory_iterator(); it.increment(ec)) {
		if (ec)
			break;
		std::string h = it->path().filename().string();
		if (auto dm = read_line(fs::path(sysfs_root) / "block" / h / "dm" / "name"))
			out.push_back(*dm);
		else
			out.push_back(h);
	}
	std::sort(out.begin(), out.end());
	return out;
}

} // namespace storctl
