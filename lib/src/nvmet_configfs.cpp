// SPDX-License-Identifier: MIT
//
// ConfigFs implementations: the real nvmet tree, and MemoryConfigFs, an
// in-memory imitation of the kernel's behaviour for unit tests.
#include <storctl/nvmet.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storctl/unique_fd.hpp>

namespace storctl::nvmet {

namespace {

std::string parent_of(const std::string &path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::vector<std::string> split(const std::string &path)
{
	std::vector<std::string> parts;
	std::size_t start = 0;
	while (start <= path.size() && !path.empty()) {
		auto slash = path.find('/', start);
		parts.push_back(path.substr(start, slash == std::string::npos ? slash : slash - start));
		if (slash == std::string::npos)
			break;
		start = slash + 1;
	}
	return parts;
}

Error fs_error(int err, const std::string &what, const std::string &path)
{
	return errno_error(err, what + " " + path);
}

// --- the real tree ----------------------------------------------------------------

class RealConfigFs final : public ConfigFs {
public:
	explicit RealConfigFs(std::string root) : root_(std::move(root))
	{
		while (root_.size() > 1 && root_.back() == '/')
			root_.pop_back();
	}

	std::string root() const override { return root_; }

	bool exists(const std::string &path) override
	{
		struct stat st {};
		return ::lstat(abs(path).c_str(), &st) == 0;
	}

	bool is_dir(const std::string &path) override
	{
		struct stat st {};
		return ::lstat(abs(path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
	}

	Result<std::vector<std::string>> list(const std::string &dir) override
	{
		const std::string p = abs(dir);
		DIR *d = ::opendir(p.c_str());
		if (!d)
			return fs_error(errno, "cannot read", p);
		std::vector<std::string> names;
		errno = 0;
		while (dirent *e = ::readdir(d)) {
			std::string n = e->d_name;
			if (n != "." && n != "..")
				names.push_back(std::move(n));
		}
		int err = errno;
		::closedir(d);
		if (err)
			return fs_error(err, "cannot read", p);
		std::sort(names.begin(), names.end());
		return names;
	}

	Result<std::string> read(const std::string &path) override
	{
		const std::string p = abs(path);
		auto fd = UniqueFd::open(p.c_str(), O_RDONLY);
		if (!fd)
			return fs_error(fd.error().sys_errno, "cannot read", p);
		auto content = read_to_end(fd->get(), p);
		if (!content)
			return fs_error(content.error().sys_errno, "cannot read", p);
		std::string s = std::move(*content);
		while (!s.empty() && (s.back() == '\n' || s.back() == '\0'))
			s.pop_back();
		return s;
	}

	Result<void> write(const std::string &path, const std::string &value) override
	{
		const std::string p = abs(path);
		auto fd = UniqueFd::open(p.c_str(), O_WRONLY);
		if (!fd)
			return fs_error(fd.error().sys_errno, "cannot write", p);
		// One write(2): a configfs attribute takes the whole value at once.
		const std::string line = value + "\n";
		ssize_t n;
		do {
			n = ::write(fd->get(), line.data(), line.size());
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return fs_error(errno, "cannot write '" + value + "' to", p);
		return ok();
	}

	Result<void> mkdir(const std::string &path) override
	{
		const std::string p = abs(path);
		if (::mkdir(p.c_str(), 0755) < 0)
			return fs_error(errno, "cannot create", p);
		return ok();
	}

	Result<void> rmdir(const std::string &path) override
	{
		const std::string p = abs(path);
		if (::rmdir(p.c_str()) < 0)
			return fs_error(errno, "cannot remove", p);
		return ok();
	}

	Result<void> symlink(const std::string &target, const std::string &link) override
	{
		// configfs resolves the target like any path of the caller: make
		// it absolute.
		const std::string t = abs(target), l = abs(link);
		if (::symlink(t.c_str(), l.c_str()) < 0)
			return fs_error(errno, "cannot link " + t + " as", l);
		return ok();
	}

	Result<void> unlink(const std::string &link) override
	{
		const std::string l = abs(link);
		if (::unlink(l.c_str()) < 0)
			return fs_error(errno, "cannot remove", l);
		return ok();
	}

	Result<std::string> readlink(const std::string &link) override
	{
		const std::string l = abs(link);
		char buf[4096];
		ssize_t n = ::readlink(l.c_str(), buf, sizeof(buf) - 1);
		if (n < 0)
			return fs_error(errno, "cannot read link", l);
		std::string t(buf, static_cast<std::size_t>(n));
		// configfs prints relative targets ("../../../hosts/x"); resolve
		// them against the link's directory.
		std::string base = t.front() == '/' ? std::string() : parent_of(l);
		std::vector<std::string> parts;
		for (const auto &part : split(base.empty() ? t : base + "/" + t)) {
			if (part.empty() || part == ".")
				continue;
			if (part == "..") {
				if (!parts.empty())
					parts.pop_back();
				continue;
			}
			parts.push_back(part);
		}
		std::string full = "/";
		for (std::size_t i = 0; i < parts.size(); i++)
			full += (i ? "/" : "") + parts[i];
		if (full == root_)
			return std::string();
		if (full.starts_with(root_ + "/"))
			return full.substr(root_.size() + 1);
		return full;
	}

private:
	std::string abs(const std::string &path) const { return path.empty() ? root_ : root_ + "/" + path; }

	std::string root_;
};

constexpr const char *kZeroUuid = "00000000-0000-0000-0000-000000000000";

bool parse_u32(const std::string &s, std::uint64_t max)
{
	if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), [](char c) {
		    return c >= '0' && c <= '9';
	    }))
		return false;
	return std::stoull(s) <= max;
}

bool is_bool(const std::string &v) { return v == "0" || v == "1"; }

} // namespace

std::unique_ptr<ConfigFs> make_configfs(std::string root)
{
	return std::make_unique<RealConfigFs>(std::move(root));
}

// --- MemoryConfigFs -----------------------------------------------------------------

MemoryConfigFs::MemoryConfigFs(bool with_passthru) : passthru_(with_passthru)
{
	add_dir("", false);
	add_dir("subsystems", false);
	add_dir("ports", false);
	add_dir("hosts", false);
}

void MemoryConfigFs::add_dir(const std::string &path, bool user_made)
{
	Node n;
	n.kind = Kind::dir;
	n.user_made = user_made;
	nodes_[path] = n;
}

void MemoryConfigFs::add_attr(const std::string &path, std::string value, bool write_only)
{
	Node n;
	n.kind = Kind::attr;
	n.value = std::move(value);
	n.write_only = write_only;
	nodes_[path] = n;
}

std::vector<std::string> MemoryConfigFs::children(const std::string &dir) const
{
	std::vector<std::string> out;
	const std::string prefix = dir.empty() ? std::string() : dir + "/";
	for (auto it = nodes_.lower_bound(prefix); it != nodes_.end(); ++it) {
		if (!it->first.starts_with(prefix))
			break;
		if (it->first.empty())
			continue;
		std::string rest = it->first.substr(prefix.size());
		if (rest.find('/') == std::string::npos)
			out.push_back(rest);
	}
	return out;
}

bool MemoryConfigFs::port_enabled(const std::string &port) const
{
	return !children(port + "/subsystems").empty();
}

bool MemoryConfigFs::ns_enabled(const std::string &ns) const
{
	auto it = nodes_.find(ns + "/enable");
	return it != nodes_.end() && it->second.value == "1";
}

Result<void> MemoryConfigFs::change(const std::string &what)
{
	const std::size_t idx = changes_++;
	log_.push_back(what);
	if (fail_at_ && idx == *fail_at_) {
		fail_at_.reset();
		return errno_error(fail_err_, "injected failure of '" + what + "'");
	}
	return ok();
}

void MemoryConfigFs::fail_change(std::size_t n, int err)
{
	fail_at_ = changes_ + n;
	fail_err_ = err;
}

bool MemoryConfigFs::exists(const std::string &path)
{
	return nodes_.count(path) != 0;
}

bool MemoryConfigFs::is_dir(const std::string &path)
{
	auto it = nodes_.find(path);
	return it != nodes_.end() && it->second.kind == Kind::dir;
}

Result<std::vector<std::string>> MemoryConfigFs::list(const std::string &dir)
{
	if (!is_dir(dir))
		return fs_error(exists(dir) ? ENOTDIR : ENOENT, "cannot read", dir);
	return children(dir);
}

Result<std::string> MemoryConfigFs::read(const std::string &path)
{
	auto it = nodes_.find(path);
	if (it == nodes_.end())
		return fs_error(ENOENT, "cannot read", path);
	if (it->second.kind == Kind::dir)
		return fs_error(EISDIR, "cannot read", path);
	if (it->second.kind == Kind::link)
		return fs_error(EISDIR, "cannot read", path);
	if (it->second.write_only)
		return fs_error(EACCES, "cannot read", path);
	return it->second.value;
}

Result<void> MemoryConfigFs::write(const std::string &path, const std::string &value)
{
	auto it = nodes_.find(path);
	if (it == nodes_.end())
		return fs_error(ENOENT, "cannot write", path);
	if (it->second.kind != Kind::attr)
		return fs_error(EISDIR, "cannot write", path);
	if (auto r = change("write " + path + "=" + value); !r)
		return r;

	auto parts = split(path);
	const std::string attr = parts.back();
	const std::string dir = parent_of(path);
	auto fail = [&](int err) { return fs_error(err, "cannot write '" + value + "' to", path); };

	if (parts.size() == 3 && parts[0] == "ports") {
		if (port_enabled(dir))
			return fail(EACCES);
		if (attr == "addr_trtype" && value != "rdma" && value != "fc" && value != "tcp" &&
		    value != "loop")
			return fail(EINVAL);
		if (attr == "addr_adrfam" && value != "pcie" && value != "ipv4" && value != "ipv6" &&
		    value != "ib" && value != "fc" && value != "loop")
			return fail(EINVAL);
		if ((attr == "addr_traddr" || attr == "addr_trsvcid") &&
		    (value.empty() || value.find(' ') != std::string::npos))
			return fail(EINVAL);
	} else if (parts.size() == 3 && parts[0] == "subsystems") {
		if (attr == "attr_allow_any_host") {
			if (!is_bool(value))
				return fail(EINVAL);
			if (value == "1" && !children(dir + "/allowed_hosts").empty())
				return fail(EINVAL);
		}
		if ((attr == "attr_serial" && (value.empty() || value.size() > 20)) ||
		    (attr == "attr_model" && (value.empty() || value.size() > 40)))
			return fail(EINVAL);
	} else if (parts.size() == 5 && parts[0] == "subsystems" && parts[2] == "namespaces") {
		if (attr == "enable") {
			if (!is_bool(value))
				return fail(EINVAL);
			if (value == "1" && !ns_enabled(dir)) {
				if (!devices.count(nodes_[dir + "/device_path"].value))
					return fail(ENOENT);
			}
		} else if (attr == "revalidate_size") {
			if (value != "1" || !ns_enabled(dir))
				return fail(EINVAL);
			return ok();
		} else if (ns_enabled(dir)) {
			return fail(EBUSY);
		} else if (attr == "device_path" && value.empty()) {
			return fail(EINVAL);
		} else if ((attr == "device_uuid" || attr == "device_nguid") && value.size() < 32) {
			return fail(EINVAL);
		}
	}
	it->second.value = value;
	return ok();
}

Result<void> MemoryConfigFs::mkdir(const std::string &path)
{
	if (exists(path))
		return fs_error(EEXIST, "cannot create", path);
	if (!is_dir(parent_of(path)))
		return fs_error(ENOENT, "cannot create", path);
	auto parts = split(path);
	const std::string name = parts.back();
	auto fail = [&](int err) { return fs_error(err, "cannot create", path); };

	enum { port, subsys, ns, host, none } what = none;
	if (parts.size() == 2 && parts[0] == "ports")
		what = port;
	else if (parts.size() == 2 && parts[0] == "subsystems")
		what = subsys;
	else if (parts.size() == 4 && parts[0] == "subsystems" && parts[2] == "namespaces")
		what = ns;
	else if (parts.size() == 2 && parts[0] == "hosts")
		what = host;
	if (what == none)
		return fail(EPERM);  // configfs: no make_group here
	if (auto r = change("mkdir " + path); !r)
		return r;
	if (what == port && !parse_u32(name, 65535))
		return fail(EINVAL);
	if (what == ns && (!parse_u32(name, 0xfffffffeULL) || name == "0"))
		return fail(EINVAL);
	if (what == subsys && name == kDiscoveryNqn)
		return fail(EINVAL);

	add_dir(path, true);
	switch (what) {
	case port:
		add_attr(path + "/addr_adrfam", "");
		add_attr(path + "/addr_treq", "not specified");
		add_attr(path + "/addr_traddr", "");
		add_attr(path + "/addr_trsvcid", "");
		add_attr(path + "/addr_trtype", "");
		add_attr(path + "/param_inline_data_size", "-1");
		add_dir(path + "/subsystems", false);
		add_dir(path + "/referrals", false);
		add_dir(path + "/ana_groups", false);
		add_dir(path + "/ana_groups/1", false);
		add_attr(path + "/ana_groups/1/ana_state", "optimized");
		break;
	case subsys:
		add_attr(path + "/attr_allow_any_host", "0");
		add_attr(path + "/attr_version", "1.3");
		add_attr(path + "/attr_serial", "2d0a7b1c9e3f4a56");
		add_attr(path + "/attr_model", "Linux");
		add_attr(path + "/attr_cntlid_min", "1");
		add_attr(path + "/attr_cntlid_max", "65519");
		add_attr(path + "/attr_qid_max", "128");
		add_dir(path + "/namespaces", false);
		add_dir(path + "/allowed_hosts", false);
		if (passthru_) {
			add_dir(path + "/passthru", false);
			add_attr(path + "/passthru/device_path", "");
			add_attr(path + "/passthru/enable", "0");
		}
		break;
	case ns:
		add_attr(path + "/device_path", "(null)");
		add_attr(path + "/device_nguid", kZeroUuid);
		add_attr(path + "/device_uuid", kZeroUuid);
		add_attr(path + "/ana_grpid", "1");
		add_attr(path + "/enable", "0");
		add_attr(path + "/buffered_io", "0");
		add_attr(path + "/revalidate_size", "", true);
		break;
	default:
		break;
	}
	return ok();
}

Result<void> MemoryConfigFs::rmdir(const std::string &path)
{
	auto it = nodes_.find(path);
	if (it == nodes_.end())
		return fs_error(ENOENT, "cannot remove", path);
	if (it->second.kind != Kind::dir)
		return fs_error(ENOTDIR, "cannot remove", path);
	if (!it->second.user_made)
		return fs_error(EPERM, "cannot remove", path);
	if (auto r = change("rmdir " + path); !r)
		return r;
	// A link target cannot go (EBUSY); links or made dirs inside -> ENOTEMPTY.
	for (const auto &[p, n] : nodes_)
		if (n.kind == Kind::link && n.value == path)
			return fs_error(EBUSY, "cannot remove", path);
	const std::string prefix = path + "/";
	for (auto i = nodes_.lower_bound(prefix); i != nodes_.end() && i->first.starts_with(prefix); ++i)
		if (i->second.kind == Kind::link || (i->second.kind == Kind::dir && i->second.user_made))
			return fs_error(ENOTEMPTY, "cannot remove", path);
	// The kernel disables a namespace as it goes.
	for (auto i = nodes_.lower_bound(prefix); i != nodes_.end() && i->first.starts_with(prefix);)
		i = nodes_.erase(i);
	nodes_.erase(path);
	return ok();
}

Result<void> MemoryConfigFs::symlink(const std::string &target, const std::string &link)
{
	if (exists(link))
		return fs_error(EEXIST, "cannot create link", link);
	const std::string dir = parent_of(link);
	if (!is_dir(dir))
		return fs_error(ENOENT, "cannot create link", link);
	if (!is_dir(target))
		return fs_error(ENOENT, "cannot link to", target);
	auto d = split(dir);
	auto t = split(target);
	auto fail = [&](int err) { return fs_error(err, "cannot link " + target + " as", link); };
	const bool port_link = d.size() == 3 && d[0] == "ports" && d[2] == "subsystems";
	const bool host_link = d.size() == 3 && d[0] == "subsystems" && d[2] == "allowed_hosts";
	if (!port_link && !host_link)
		return fail(EPERM);
	if (auto r = change("symlink " + link + " -> " + target); !r)
		return r;
	if (port_link) {
		if (t.size() != 2 || t[0] != "subsystems")
			return fail(EINVAL);
		for (const auto &c : children(dir))
			if (nodes_[dir + "/" + c].value == target)
				return fail(EEXIST);
		const std::string port = parent_of(dir);
		if (!port_enabled(port)) {
			const std::string trtype = nodes_[port + "/addr_trtype"].value;
			if (trtype.empty() || missing_transports.count(trtype))
				return fail(EINVAL);
			if (trtype != "loop") {
				const std::string fam = nodes_[port + "/addr_adrfam"].value;
				if (fam != "ipv4" && fam != "ipv6")
					return fail(EINVAL);
				if (unavailable_addresses.count(nodes_[port + "/addr_traddr"].value))
					return fail(EADDRNOTAVAIL);
			}
		}
	} else {
		if (t.size() != 2 || t[0] != "hosts")
			return fail(EINVAL);
		if (nodes_[parent_of(dir) + "/attr_allow_any_host"].value == "1")
			return fail(EINVAL);
		for (const auto &c : children(dir))
			if (nodes_[dir + "/" + c].value == target)
				return fail(EEXIST);
	}
	Node n;
	n.kind = Kind::link;
	n.value = target;
	nodes_[link] = n;
	return ok();
}

Result<void> MemoryConfigFs::unlink(const std::string &link)
{
	auto it = nodes_.find(link);
	if (it == nodes_.end())
		return fs_error(ENOENT, "cannot remove", link);
	if (it->second.kind != Kind::link)
		return fs_error(EPERM, "cannot remove", link);
	if (auto r = change("unlink " + link); !r)
		return r;
	nodes_.erase(it);
	return ok();
}

Result<std::string> MemoryConfigFs::readlink(const std::string &link)
{
	auto it = nodes_.find(link);
	if (it == nodes_.end())
		return fs_error(ENOENT, "cannot read link", link);
	if (it->second.kind != Kind::link)
		return fs_error(EINVAL, "cannot read link", link);
	return it->second.value;
}

std::string MemoryConfigFs::snapshot() const
{
	std::string s;
	for (const auto &[p, n] : nodes_) {
		switch (n.kind) {
		case Kind::dir:
			s += "d " + p + "\n";
			break;
		case Kind::link:
			s += "l " + p + " -> " + n.value + "\n";
			break;
		case Kind::attr:
			s += "a " + p + (n.write_only ? std::string(" (write-only)") : "=" + n.value) + "\n";
			break;
		}
	}
	return s;
}

} // namespace storctl::nvmet
