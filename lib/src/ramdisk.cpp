// SPDX-License-Identifier: MIT
#include <storctl/ramdisk.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <storctl/cache.hpp>
#include <storctl/nvmet.hpp>
#include <storctl/ramdisk.h>
#include <storctl/size.hpp>
#include <storctl/unique_fd.hpp>

namespace storctl {

namespace {

constexpr std::string_view kModuleName = "stor_ramdisk";
constexpr auto kBusyGrace = std::chrono::milliseconds(2000);
constexpr auto kBusyPoll = std::chrono::milliseconds(50);

enum class Op { add, remove, resize, info, version };

std::string_view op_gerund(Op op)
{
	switch (op) {
	case Op::add:		return "creating";
	case Op::remove:	return "removing";
	case Op::resize:	return "resizing";
	case Op::info:
	case Op::version:	return "querying";
	}
	return "using";
}

std::string_view op_verb(Op op)
{
	switch (op) {
	case Op::add:		return "create";
	case Op::remove:	return "remove";
	case Op::resize:	return "resize";
	case Op::info:		return "query";
	case Op::version:	return "query the version of";
	}
	return "use";
}

// Parse a non-negative decimal int, whole string, no sign, no leading zeros
// (except "0").
std::optional<int> parse_index(std::string_view s)
{
	if (s.empty() || (s.size() > 1 && s[0] == '0'))
		return std::nullopt;
	int value = 0;
	auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
	if (ec != std::errc() || ptr != s.data() + s.size() || value < 0)
		return std::nullopt;
	return value;
}

// Contents of a small sysfs file with trailing whitespace removed.
std::optional<std::string> read_sysfs(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		return std::nullopt;
	std::ostringstream ss;
	ss << in.rdbuf();
	if (in.bad())
		return std::nullopt;
	std::string s = ss.str();
	while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
		s.pop_back();
	return s;
}

// Is @id in a kernel list like "0", "0-3,5" (cpulist/nodelist format)?
// nullopt when the list cannot be parsed.
std::optional<bool> in_id_list(std::string_view list, int id)
{
	if (list.empty())
		return false;
	while (!list.empty()) {
		std::size_t comma = list.find(',');
		std::string_view item = list.substr(0, comma);
		list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);

		std::size_t dash = item.find('-');
		auto lo = parse_index(item.substr(0, dash));
		auto hi = dash == std::string_view::npos ? lo : parse_index(item.substr(dash + 1));
		if (!lo || !hi)
			return std::nullopt;
		if (id >= *lo && id <= *hi)
			return true;
	}
	return false;
}

// An error caused by @err, with a complete message written for admins
// (no strerror suffix).
Error sys_error(Errc code, int err, std::string message)
{
	return Error{code, err, std::move(message)};
}

Error permission_error(Op op, int err)
{
	return sys_error(Errc::permission_denied, err,
			 "permission denied: " + std::string(op_gerund(op)) +
			 " a RAM disk requires CAP_SYS_ADMIN (run as root)");
}

// Errors every ioctl can produce; the per-operation mappers fall back here.
Error common_ioctl_error(Op op, int err, const std::string &control, const std::string &what)
{
	switch (err) {
	case EPERM:
	case EACCES:
		if (op == Op::add || op == Op::remove || op == Op::resize)
			return permission_error(op, err);
		return errno_error(Errc::permission_denied, err,
				   "permission denied querying " + what);
	case ENOTTY:
	case ENOSYS:
	case EOPNOTSUPP:
		return errno_error(Errc::unsupported, err,
				   control + " does not support the stor_ramdisk control "
				   "ioctls (wrong device or incompatible module)");
	default:
		return errno_error(err, "cannot " + std::string(op_verb(op)) + " " + what);
	}
}

RamdiskInfo to_info(const srd_info &k)
{
	RamdiskInfo info;
	info.index = k.index;
	info.name = ramdisk_name(k.index);
	info.path = ramdisk_path(k.index);
	info.size_bytes = k.size_bytes;
	info.used_bytes = k.used_bytes;
	info.logical_block_size = k.logical_block_size;
	info.alloc_failures = k.alloc_failures;
	info.open_count = k.open_count;
	if (k.numa_node != SRD_NUMA_ANY)
		info.numa_node = k.numa_node;
	info.read_only = (k.flags & SRD_FLAG_READ_ONLY) != 0;
	info.prealloc = (k.flags & SRD_FLAG_PREALLOC) != 0;
	info.overcommit = (k.flags & SRD_FLAG_OVERCOMMIT) != 0;
	return info;
}

// An open control device.  The ABI version is checked before the first
// request, so a mismatched module is reported as such rather than as odd
// errors from individual ioctls.
class ControlDevice {
public:
	static Result<ControlDevice> open(const std::string &path, bool write)
	{
		auto fd = UniqueFd::open(path.c_str(), write ? O_RDWR : O_RDONLY);
		if (!fd) {
			int err = fd.error().sys_errno;
			switch (err) {
			case ENOENT:
				return sys_error(Errc::unsupported, err,
						 std::string(kModuleName) + " module not loaded (" + path +
						 " missing); run 'modprobe " + std::string(kModuleName) + "'");
			case ENODEV:
			case ENXIO:
				return sys_error(Errc::unsupported, err,
						 std::string(kModuleName) + " module not loaded (" + path +
						 " has no driver); run 'modprobe " + std::string(kModuleName) + "'");
			case EACCES:
			case EPERM:
				return sys_error(Errc::permission_denied, err,
						 "permission denied opening " + path + " (run as root)");
			default:
				return errno_error(err, "cannot open " + path);
			}
		}
		return ControlDevice(path, std::move(*fd));
	}

	Result<std::uint32_t> version()
	{
		if (version_)
			return *version_;
		__u32 v = 0;
		if (int err = ioctl(SRD_IOC_GET_VERSION, &v))
			return common_ioctl_error(Op::version, err, path_, path_);
		version_ = v;
		return v;
	}

	// Issue @req after checking the module's ABI version.  The value is
	// the request's errno (0 on success), for the caller to interpret;
	// an error means the request was not issued.
	Result<int> request(unsigned long req, srd_info *arg)
	{
		auto v = version();
		if (!v)
			return std::move(v).error();
		// Structures only grow through their reserved fields, so any
		// module at least as new as our header understands us.
		if (*v < SRD_ABI_VERSION)
			return make_error(Errc::unsupported,
					  std::string(kModuleName) + " ABI version " + std::to_string(*v) +
					  " is too old (storctl needs " + std::to_string(SRD_ABI_VERSION) +
					  "); load a matching module");
		return ioctl(req, arg);
	}

	// Like request(), but EBUSY is retried for a short while: udev
	// opens every new disk to probe it, and a remove or shrink issued
	// right after create would otherwise fail on that transient opener.
	// A disk that is really held (mounted, open, under a dm table) still
	// gets EBUSY, after kBusyGrace.
	Result<int> request_unless_transiently_busy(unsigned long req, srd_info *arg)
	{
		const auto deadline = std::chrono::steady_clock::now() + kBusyGrace;
		for (;;) {
			auto rc = request(req, arg);
			if (!rc || *rc != EBUSY || std::chrono::steady_clock::now() >= deadline)
				return rc;
			std::this_thread::sleep_for(kBusyPoll);
		}
	}

	const std::string &path() const { return path_; }

private:
	ControlDevice(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

	// Issue @req; returns 0 or the errno.
	int ioctl(unsigned long req, void *arg) const
	{
		int rc;
		do {
			rc = ::ioctl(fd_.get(), req, arg);
		} while (rc < 0 && errno == EINTR);
		return rc < 0 ? errno : 0;
	}

	std::string path_;
	UniqueFd fd_;
	std::optional<std::uint32_t> version_;
};

// Holders of a disk ("sc_srd1"; kernel names for non-dm holders), nullopt
// without any.
std::optional<std::vector<std::string>> holder_list(const std::string &sysfs_root, int index)
{
	auto holders = block_holders(sysfs_root, ramdisk_name(index));
	if (holders.empty())
		return std::nullopt;
	return holders;
}

// A disk under a device-mapper table (e.g. the cache or origin of a storctl
// cache) cannot be removed or resized: say which device holds it.
Error held_error(int index, const std::vector<std::string> &holders, std::string_view action)
{
	std::string names;
	for (std::size_t i = 0; i < holders.size(); i++)
		names += (i ? ", " : "") + holders[i];
	return sys_error(Errc::busy, EBUSY,
			 "cannot " + std::string(action) + " " + ramdisk_name(index) +
			 ": it is busy, held by " + names +
			 " (a device-mapper device such as a cache); remove " + holders.front() +
			 " first, e.g. 'storctl cache remove " + holders.front() + "'");
}

Result<RamdiskInfo> query_info(ControlDevice &ctl, int index)
{
	srd_info req{};
	req.index = index;
	auto rc = ctl.request(SRD_IOC_INFO, &req);
	if (!rc)
		return std::move(rc).error();
	const int err = *rc;
	if (err == ENODEV)
		return sys_error(Errc::not_found, err, "no RAM disk " + ramdisk_name(index));
	if (err)
		return common_ioctl_error(Op::info, err, ctl.path(), ramdisk_name(index));
	return to_info(req);
}

} // namespace

std::string ramdisk_name(int index)
{
	return SRD_DISK_PREFIX + std::to_string(index);
}

std::string ramdisk_path(int index)
{
	return "/dev/" + ramdisk_name(index);
}

Result<int> validate_ramdisk_name(std::string_view name)
{
	auto bad = [&](std::string_view why) {
		return make_error(Errc::invalid_argument,
				  "invalid RAM disk name '" + std::string(name) + "': " + std::string(why));
	};
	std::string_view s = name;
	if (s.starts_with("/dev/"))
		s.remove_prefix(5);
	if (!s.starts_with(SRD_DISK_PREFIX))
		return bad("expected srd<N> or /dev/srd<N>");
	s.remove_prefix(std::string_view(SRD_DISK_PREFIX).size());
	if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
		return bad("expected srd<N> or /dev/srd<N> with a decimal number N");
	if (s.size() > 1 && s[0] == '0')
		return bad("the number must not have leading zeros");
	auto index = parse_index(s);
	if (!index)
		return bad("the number is out of range");
	return *index;
}

Result<void> validate_ramdisk_size(std::uint64_t size_bytes)
{
	if (size_bytes == 0)
		return make_error(Errc::invalid_argument, "size must be greater than zero");
	if (size_bytes % kRamdiskSizeAlign != 0)
		return make_error(Errc::invalid_argument,
				  "size must be a multiple of 4096 bytes (got " +
				  std::to_string(size_bytes) + ")");
	return ok();
}

Result<void> validate_logical_block_size(std::uint32_t logical_block_size)
{
	if (logical_block_size != 512 && logical_block_size != 4096)
		return make_error(Errc::invalid_argument,
				  "invalid logical block size " + std::to_string(logical_block_size) +
				  ": must be 512 or 4096");
	return ok();
}

std::uint64_t physical_memory_bytes()
{
	long pages = ::sysconf(_SC_PHYS_PAGES);
	long page_size = ::sysconf(_SC_PAGESIZE);
	if (pages <= 0 || page_size <= 0)
		return 0;
	return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

RamdiskManager::RamdiskManager(std::string control_path, std::string sysfs_root)
	: control_path_(std::move(control_path)), sysfs_root_(std::move(sysfs_root))
{
}

std::optional<int> RamdiskManager::max_disks() const
{
	auto s = read_sysfs(sysfs_root_ + "/module/" + std::string(kModuleName) +
			    "/parameters/max_disks");
	if (!s)
		return std::nullopt;
	return parse_index(*s);
}

Result<void> RamdiskManager::validate_create(const RamdiskCreateOptions &opts) const
{
	if (auto r = validate_ramdisk_size(opts.size_bytes); !r)
		return r;
	if (auto r = validate_logical_block_size(opts.logical_block_size); !r)
		return r;
	if (opts.index) {
		if (*opts.index < 0)
			return make_error(Errc::invalid_argument,
					  "invalid index " + std::to_string(*opts.index) +
					  ": must be 0 or greater");
		if (auto max = max_disks(); max && *opts.index >= *max)
			return make_error(Errc::invalid_argument,
					  "invalid index " + std::to_string(*opts.index) +
					  ": the module allows indexes 0 to " + std::to_string(*max - 1) +
					  " (max_disks=" + std::to_string(*max) + ")");
	}
	if (opts.numa_node) {
		if (*opts.numa_node < 0)
			return make_error(Errc::invalid_argument,
					  "invalid NUMA node " + std::to_string(*opts.numa_node) +
					  ": must be 0 or greater");
		auto online = read_sysfs(sysfs_root_ + "/devices/system/node/online");
		if (online) {
			auto in = in_id_list(*online, *opts.numa_node);
			if (in && !*in)
				return make_error(Errc::invalid_argument,
						  "NUMA node " + std::to_string(*opts.numa_node) +
						  " is not online (online nodes: " + *online + ")");
		}
	}
	return ok();
}

Result<RamdiskInfo> RamdiskManager::create(const RamdiskCreateOptions &opts) const
{
	if (auto r = validate_create(opts); !r)
		return std::move(r).error();

	auto ctl = ControlDevice::open(control_path_, true);
	if (!ctl)
		return std::move(ctl).error();

	srd_info req{};
	req.index = opts.index.value_or(SRD_INDEX_ANY);
	req.size_bytes = opts.size_bytes;
	req.logical_block_size = opts.logical_block_size;
	req.numa_node = opts.numa_node.value_or(SRD_NUMA_ANY);
	req.flags = (opts.prealloc ? SRD_FLAG_PREALLOC : 0U) |
		    (opts.read_only ? SRD_FLAG_READ_ONLY : 0U) |
		    (opts.overcommit ? SRD_FLAG_OVERCOMMIT : 0U);

	auto rc = ctl->request(SRD_IOC_ADD, &req);
	if (!rc)
		return std::move(rc).error();
	const int err = *rc;
	const std::string size = format_size(opts.size_bytes);
	switch (err) {
	case 0:
		return to_info(req);
	case EINVAL:
		return sys_error(Errc::invalid_argument, err,
				 "invalid RAM disk parameters: the kernel rejected size " + size +
				 ", logical block size " + std::to_string(opts.logical_block_size) +
				 (opts.numa_node ? ", NUMA node " + std::to_string(*opts.numa_node) : "") +
				 (opts.index ? ", index " + std::to_string(*opts.index) : ""));
	case E2BIG:
		return sys_error(Errc::invalid_argument, err,
				 "size " + size + " exceeds physical memory (" +
				 format_size(physical_memory_bytes()) +
				 "); pass --overcommit to allow it");
	case EEXIST:
		return sys_error(Errc::exists, err,
				 ramdisk_name(opts.index.value_or(0)) + " already exists");
	case ENOSPC: {
		auto max = max_disks();
		return sys_error(Errc::no_space, err,
				 "cannot create another RAM disk: the module limit of " +
				 (max ? std::to_string(*max) + " disks" : std::string("disks")) +
				 " is reached (module parameter max_disks)");
	}
	case ENOMEM:
		if (opts.prealloc)
			return sys_error(Errc::no_memory, err,
					 "not enough memory to preallocate " + size +
					 " for the RAM disk (nothing was created)");
		return sys_error(Errc::no_memory, err,
				 "not enough memory to create the RAM disk (nothing was created)");
	default:
		return common_ioctl_error(Op::add, err, control_path_, "a RAM disk of " + size);
	}
}

Result<std::vector<RamdiskInfo>> RamdiskManager::list() const
{
	// Open first: "module not loaded" is an error, not an empty list.
	auto ctl = ControlDevice::open(control_path_, false);
	if (!ctl)
		return std::move(ctl).error();

	std::vector<int> indexes;
	const std::filesystem::path block = std::filesystem::path(sysfs_root_) / "block";
	std::error_code ec;
	std::filesystem::directory_iterator it(block, ec);
	if (ec) {
		if (ec == std::errc::no_such_file_or_directory)
			return std::vector<RamdiskInfo>{};
		return errno_error(ec.value(), "cannot read " + block.string());
	}
	for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
		std::string name = it->path().filename().string();
		if (!name.starts_with(SRD_DISK_PREFIX))
			continue;
		if (auto idx = validate_ramdisk_name(name))
			indexes.push_back(*idx);
	}
	if (ec)
		return errno_error(ec.value(), "cannot read " + block.string());
	std::sort(indexes.begin(), indexes.end());

	std::vector<RamdiskInfo> disks;
	disks.reserve(indexes.size());
	for (int idx : indexes) {
		auto info = query_info(*ctl, idx);
		if (!info) {
			if (info.error().code == Errc::not_found)
				continue;  // removed while we were listing
			return std::move(info).error();
		}
		disks.push_back(std::move(*info));
	}
	return disks;
}

Result<RamdiskInfo> RamdiskManager::info(int index) const
{
	if (index < 0)
		return make_error(Errc::invalid_argument, "invalid RAM disk index " + std::to_string(index));
	auto ctl = ControlDevice::open(control_path_, false);
	if (!ctl)
		return std::move(ctl).error();
	return query_info(*ctl, index);
}

Result<RamdiskInfo> RamdiskManager::info(std::string_view name) const
{
	auto idx = validate_ramdisk_name(name);
	if (!idx)
		return std::move(idx).error();
	return info(*idx);
}

Result<RamdiskInfo> RamdiskManager::resize(int index, std::uint64_t size_bytes) const
{
	if (index < 0)
		return make_error(Errc::invalid_argument, "invalid RAM disk index " + std::to_string(index));
	if (auto r = validate_ramdisk_size(size_bytes); !r)
		return std::move(r).error();

	auto ctl = ControlDevice::open(control_path_, true);
	if (!ctl)
		return std::move(ctl).error();

	// A table on top of the disk keeps its own idea of the size (a cache
	// sizes itself at creation): refuse any resize of a held disk.
	if (auto holders = holder_list(sysfs_root_, index))
		return held_error(index, *holders, "resize");

	srd_info req{};
	req.index = index;
	req.size_bytes = size_bytes;
	auto rc = ctl->request_unless_transiently_busy(SRD_IOC_RESIZE, &req);
	if (!rc)
		return std::move(rc).error();
	const int err = *rc;

	const std::string name = ramdisk_name(index);
	const std::string size = format_size(size_bytes);
	switch (err) {
	case 0:
		// Exported over NVMe-oF: make nvmet re-read the size, so
		// connected hosts see it (best effort: the resize is done).
		(void)nvmet::revalidate_exports(ramdisk_path(index));
		return query_info(*ctl, index);
	case ENODEV:
		return sys_error(Errc::not_found, err, "no RAM disk " + name);
	case EINVAL:
		return sys_error(Errc::invalid_argument, err,
				 "invalid size: the kernel rejected size " + size + " for " + name);
	case EBUSY:
		if (auto holders = holder_list(sysfs_root_, index))
			return held_error(index, *holders, "resize");
		return sys_error(Errc::busy, err,
				 "cannot shrink " + name + " to " + size +
				 ": it is open, mounted or held by another device "
				 "(e.g. a device-mapper table)");
	case E2BIG:
		return sys_error(Errc::invalid_argument, err,
				 "size " + size + " exceeds physical memory (" +
				 format_size(physical_memory_bytes()) + ") and " + name +
				 " was created without --overcommit");
	case ENOMEM:
		return sys_error(Errc::no_memory, err,
				 "not enough memory to resize " + name + " to " + size +
				 " (the disk is unchanged)");
	default:
		return common_ioctl_error(Op::resize, err, control_path_, name);
	}
}

Result<RamdiskInfo> RamdiskManager::resize(std::string_view name, std::uint64_t size_bytes) const
{
	auto idx = validate_ramdisk_name(name);
	if (!idx)
		return std::move(idx).error();
	return resize(*idx, size_bytes);
}

Result<void> RamdiskManager::remove(int index) const
{
	if (index < 0)
		return make_error(Errc::invalid_argument, "invalid RAM disk index " + std::to_string(index));
	auto ctl = ControlDevice::open(control_path_, true);
	if (!ctl)
		return std::move(ctl).error();

	// Held by a device-mapper table (e.g. a cache): that is not transient,
	// say so at once and name the holder.
	if (auto holders = holder_list(sysfs_root_, index))
		return held_error(index, *holders, "remove");
	// Exported over NVMe-oF (nvmet keeps it open): name the export.
	if (auto exported = nvmet::refuse_if_exported(ramdisk_path(index), "remove"))
		return *exported;

	srd_info req{};
	req.index = index;
	auto rc = ctl->request_unless_transiently_busy(SRD_IOC_REMOVE, &req);
	if (!rc)
		return std::move(rc).error();
	const int err = *rc;

	const std::string name = ramdisk_name(index);
	switch (err) {
	case 0:
		return ok();
	case ENODEV:
		return sys_error(Errc::not_found, err, "no RAM disk " + name);
	case EBUSY:
		if (auto holders = holder_list(sysfs_root_, index))
			return held_error(index, *holders, "remove");
		return sys_error(Errc::busy, err,
				 name + " is busy: it is open, mounted or held by another "
				 "device (e.g. a device-mapper table)");
	default:
		return common_ioctl_error(Op::remove, err, control_path_, name);
	}
}

Result<void> RamdiskManager::remove(std::string_view name) const
{
	auto idx = validate_ramdisk_name(name);
	if (!idx)
		return std::move(idx).error();
	return remove(*idx);
}

Result<std::uint32_t> RamdiskManager::abi_version() const
{
	auto ctl = ControlDevice::open(control_path_, false);
	if (!ctl)
		return std::move(ctl).error();
	return ctl->version();
}

} // namespace storctl
