// SPDX-License-Identifier: MIT
#include "sysinfo.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <sys/utsname.h>

namespace storctl::daemon {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_trimmed(const fs::path &p)
{
	std::ifstream in(p);
	if (!in)
		return std::nullopt;
	std::ostringstream ss;
	ss << in.rdbuf();
	std::string s = ss.str();
	while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
		s.pop_back();
	return s;
}

std::optional<std::uint64_t> read_u64(const fs::path &p)
{
	auto s = read_trimmed(p);
	if (!s)
		return std::nullopt;
	std::uint64_t v = 0;
	auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
	if (ec != std::errc() || ptr != s->data() + s->size())
		return std::nullopt;
	return v;
}

} // namespace

std::string kernel_release()
{
	struct utsname u {};
	if (::uname(&u) != 0)
		return "unknown";
	return u.release;
}

bool module_loaded(const std::string &sysfs_root, const std::string &name)
{
	std::error_code ec;
	return fs::is_directory(fs::path(sysfs_root) / "module" / name, ec);
}

std::optional<MemInfo> read_meminfo(const std::string &proc_root)
{
	std::ifstream in(fs::path(proc_root) / "meminfo");
	if (!in)
		return std::nullopt;
	MemInfo m;
	bool total = false;
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream ls(line);
		std::string key, unit;
		std::uint64_t kb = 0;
		if (!(ls >> key >> kb))
			continue;
		const std::uint64_t bytes = kb * 1024;
		if (key == "MemTotal:") {
			m.total_bytes = bytes;
			total = true;
		} else if (key == "MemFree:") {
			m.free_bytes = bytes;
		} else if (key == "MemAvailable:") {
			m.available_bytes = bytes;
		}
	}
	if (!total)
		return std::nullopt;
	return m;
}

std::vector<BlockDevice> block_devices(const std::string &sysfs_root)
{
	std::vector<BlockDevice> out;
	std::error_code ec;
	const fs::path block = fs::path(sysfs_root) / "block";
	for (fs::directory_iterator it(block, ec), end; !ec && it != end; it.increment(ec)) {
		const fs::path &p = it->path();
		BlockDevice d;
		d.name = p.filename().string();
		d.size_bytes = read_u64(p / "size").value_or(0) * 512;
		d.read_only = read_u64(p / "ro").value_or(0) != 0;
		d.removable = read_u64(p / "removable").value_or(0) != 0;
		d.vendor = read_trimmed(p / "device" / "vendor").value_or("");
		d.model = read_trimmed(p / "device" / "model").value_or("");
		out.push_back(std::move(d));
	}
	std::sort(out.begin(), out.end(),
		  [](const BlockDevice &a, const BlockDevice &b) { return a.name < b.name; });
	return out;
}

} // namespace storctl::daemon
