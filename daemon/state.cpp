// SPDX-License-Identifier: MIT
#include "state.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storctl/size.hpp>
#include <storctl/unique_fd.hpp>

#include "log.hpp"

namespace storctl::daemon {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTempInfix = ".tmp.";
constexpr std::string_view kContentsNote =
	"RAM disk contents are not persisted: a recreated RAM disk starts empty";

Result<void> write_all(int fd, std::string_view data, const std::string &what)
{
	while (!data.empty()) {
		ssize_t n = ::write(fd, data.data(), data.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno_error(errno, "cannot write " + what);
		}
		data.remove_prefix(static_cast<std::size_t>(n));
	}
	return ok();
}

std::string describe_spec(const RamdiskSpec &s)
{
	std::string d = format_size(s.size_bytes) + ", logical block size " +
			std::to_string(s.logical_block_size);
	if (s.numa_node)
		d += ", NUMA node " + std::to_string(*s.numa_node);
	if (s.prealloc)
		d += ", prealloc";
	if (s.read_only)
		d += ", read-only";
	if (s.overcommit)
		d += ", overcommit";
	return d;
}

// Differences between what exists and what the state says ("" if none).
std::string spec_differences(const RamdiskSpec &have, const RamdiskSpec &want)
{
	std::string d;
	auto add = [&d](const std::string &what) { d += (d.empty() ? "" : "; ") + what; };
	if (have.size_bytes != want.size_bytes)
		add("size " + format_size(have.size_bytes) + " (saved: " + format_size(want.size_bytes) + ")");
	if (have.logical_block_size != want.logical_block_size)
		add("logical block size " + std::to_string(have.logical_block_size) + " (saved: " +
		    std::to_string(want.logical_block_size) + ")");
	auto numa = [](const std::optional<int> &n) { return n ? std::to_string(*n) : std::string("none"); };
	if (have.numa_node != want.numa_node)
		add("NUMA node " + numa(have.numa_node) + " (saved: " + numa(want.numa_node) + ")");
	auto yn = [](bool b) { return b ? std::string("yes") : std::string("no"); };
	if (have.prealloc != want.prealloc)
		add("prealloc " + yn(have.prealloc) + " (saved: " + yn(want.prealloc) + ")");
	if (have.read_only != want.read_only)
		add("read-only " + yn(have.read_only) + " (saved: " + yn(want.read_only) + ")");
	if (have.overcommit != want.overcommit)
		add("overcommit " + yn(have.overcommit) + " (saved: " + yn(want.overcommit) + ")");
	return d;
}

} // namespace

RamdiskSpec spec_from_info(const RamdiskInfo &info)
{
	RamdiskSpec s;
	s.index = info.index;
	s.size_bytes = info.size_bytes;
	s.logical_block_size = info.logical_block_size;
	s.numa_node = info.numa_node;
	s.prealloc = info.prealloc;
	s.read_only = info.read_only;
	s.overcommit = info.overcommit;
	return s;
}

RamdiskCreateOptions create_options(const RamdiskSpec &spec)
{
	RamdiskCreateOptions o;
	o.index = spec.index;
	o.size_bytes = spec.size_bytes;
	o.logical_block_size = spec.logical_block_size;
	o.numa_node = spec.numa_node;
	o.prealloc = spec.prealloc;
	o.read_only = spec.read_only;
	o.overcommit = spec.overcommit;
	return o;
}

const RamdiskSpec *State::find(int index) const
{
	for (const RamdiskSpec &s : ramdisks)
		if (s.index == index)
			return &s;
	return nullptr;
}

void State::put(const RamdiskSpec &spec)
{
	auto it = std::lower_bound(ramdisks.begin(), ramdisks.end(), spec.index,
				   [](const RamdiskSpec &s, int idx) { return s.index < idx; });
	if (it != ramdisks.end() && it->index == spec.index)
		*it = spec;
	else
		ramdisks.insert(it, spec);
}

bool State::erase(int index)
{
	auto it = std::find_if(ramdisks.begin(), ramdisks.end(),
			       [index](const RamdiskSpec &s) { return s.index == index; });
	if (it == ramdisks.end())
		return false;
	ramdisks.erase(it);
	return true;
}

Json State::to_json() const
{
	Json disks = Json::array();
	for (const RamdiskSpec &s : ramdisks)
		disks.push_back(Json{
			{"index", s.index},
			{"size_bytes", s.size_bytes},
			{"logical_block_size", s.logical_block_size},
			{"numa_node", s.numa_node ? Json(*s.numa_node) : Json(nullptr)},
			{"prealloc", s.prealloc},
			{"read_only", s.read_only},
			{"overcommit", s.overcommit},
		});
	return Json{{"version", kStateVersion}, {"ramdisks", std::move(disks)}};
}

Result<State> State::from_json(const Json &j, std::vector<std::string> &problems)
{
	if (!j.is_object())
		return make_error(Errc::invalid_argument, "not a JSON object");
	auto v = j.find("version");
	if (v == j.end() || !v->is_number_integer())
		return make_error(Errc::invalid_argument, "no integer \"version\"");
	if (*v != kStateVersion)
		return make_error(Errc::unsupported,
				  "state version " + v->dump() + " is not supported (this storctld "
				  "reads version " + std::to_string(kStateVersion) + ")");
	State st;
	auto disks = j.find("ramdisks");
	if (disks == j.end())
		return st;
	if (!disks->is_array())
		return make_error(Errc::invalid_argument, "\"ramdisks\" is not an array");

	std::size_t n = 0;
	for (const Json &e : *disks) {
		std::string where = "ramdisks[" + std::to_string(n++) + "]";
		auto bad = [&](const std::string &why) { problems.push_back(where + ": " + why + "; entry ignored"); };
		if (!e.is_object()) {
			bad("not an object");
			continue;
		}
		RamdiskSpec s;
		auto idx = e.find("index");
		if (idx == e.end() || !idx->is_number_unsigned() || idx->get<std::uint64_t>() > INT_MAX) {
			bad("missing or invalid \"index\"");
			continue;
		}
		s.index = idx->get<int>();
		auto size = e.find("size_bytes");
		if (size == e.end() || !size->is_number_unsigned() ||
		    !validate_ramdisk_size(size->get<std::uint64_t>())) {
			bad("missing or invalid \"size_bytes\"");
			continue;
		}
		s.size_bytes = size->get<std::uint64_t>();
		if (auto lbs = e.find("logical_block_size"); lbs != e.end()) {
			if (!lbs->is_number_unsigned() || (*lbs != 512 && *lbs != 4096)) {
				bad("invalid \"logical_block_size\"");
				continue;
			}
			s.logical_block_size = lbs->get<std::uint32_t>();
		}
		if (auto numa = e.find("numa_node"); numa != e.end() && !numa->is_null()) {
			if (!numa->is_number_unsigned() || numa->get<std::uint64_t>() > INT_MAX) {
				bad("invalid \"numa_node\"");
				continue;
			}
			s.numa_node = numa->get<int>();
		}
		bool flags_ok = true;
		for (auto [key, dst] : {std::pair{"prealloc", &s.prealloc},
					std::pair{"read_only", &s.read_only},
					std::pair{"overcommit", &s.overcommit}}) {
			auto f = e.find(key);
			if (f == e.end())
				continue;
			if (!f->is_boolean()) {
				bad(std::string("invalid \"") + key + "\"");
				flags_ok = false;
				break;
			}
			*dst = f->get<bool>();
		}
		if (!flags_ok)
			continue;
		if (st.find(s.index)) {
			bad("index " + std::to_string(s.index) + " appears twice");
			continue;
		}
		st.put(s);
	}
	return st;
}

Result<void> write_file_atomic(const std::string &path, std::string_view content,
			       const std::function<void()> &before_rename)
{
	const fs::path target(path);
	const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
	std::string tmpl = (dir / (target.filename().string() + std::string(kTempInfix) + "XXXXXX")).string();

	int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
	if (raw < 0)
		return errno_error(errno, "cannot create a temporary file in " + dir.string());
	UniqueFd fd(raw);
	auto cleanup = [&tmpl] { ::unlink(tmpl.c_str()); };

	if (::fchmod(fd.get(), 0600) != 0) {
		int err = errno;
		cleanup();
		return errno_error(err, "cannot chmod " + tmpl);
	}
	if (auto r = write_all(fd.get(), content, tmpl); !r) {
		cleanup();
		return r;
	}
	if (::fsync(fd.get()) != 0) {
		int err = errno;
		cleanup();
		return errno_error(err, "cannot fsync " + tmpl);
	}
	if (::close(fd.release()) != 0) {
		int err = errno;
		cleanup();
		return errno_error(err, "cannot close " + tmpl);
	}
	if (before_rename)
		before_rename();
	if (::rename(tmpl.c_str(), path.c_str()) != 0) {
		int err = errno;
		cleanup();
		return errno_error(err, "cannot rename " + tmpl + " to " + path);
	}
	// Make the rename itself durable.
	auto dfd = UniqueFd::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
	if (!dfd)
		return std::move(dfd).error();
	if (::fsync(dfd->get()) != 0)
		return errno_error(errno, "cannot fsync directory " + dir.string());
	return ok();
}

StateStore::Loaded StateStore::load() const
{
	Loaded out;
	const fs::path target(path_);
	const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");

	// Leftovers of a write interrupted before its rename: never the state.
	std::error_code ec;
	const std::string prefix = target.filename().string() + std::string(kTempInfix);
	for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
		const std::string name = it->path().filename().string();
		if (name.starts_with(prefix) && name.size() == prefix.size() + 6) {
			std::error_code rm;
			fs::remove(it->path(), rm);
			log_info("removed " + it->path().string() + " (left by an interrupted state write)");
		}
	}

	std::ifstream in(path_, std::ios::binary);
	if (!in) {
		if (errno != ENOENT)
			out.problems.push_back("cannot read " + path_ + ": " + std::strerror(errno) +
					       "; starting with an empty state");
		return out;
	}
	out.existed = true;
	std::ostringstream ss;
	ss << in.rdbuf();
	Json j = Json::parse(ss.str(), nullptr, false);
	std::string why;
	if (j.is_discarded()) {
		why = "not valid JSON";
	} else {
		auto st = State::from_json(j, out.problems);
		if (st) {
			out.state = std::move(*st);
			return out;
		}
		why = st.error().message;
	}
	const std::string aside = path_ + ".corrupt." + std::to_string(std::time(nullptr));
	if (::rename(path_.c_str(), aside.c_str()) == 0)
		out.problems.push_back(path_ + " is unusable (" + why + "); kept as " + aside +
				       " and starting with an empty state");
	else
		out.problems.push_back(path_ + " is unusable (" + why + ") and could not be moved "
				       "aside: " + std::strerror(errno) + "; starting with an empty state");
	return out;
}

Result<void> StateStore::save(const State &state) const
{
	const fs::path target(path_);
	if (target.has_parent_path() && !fs::exists(target.parent_path())) {
		std::error_code ec;
		fs::create_directories(target.parent_path(), ec);
		if (ec)
			return errno_error(ec.value(), "cannot create " + target.parent_path().string());
		::chmod(target.parent_path().c_str(), 0700);
	}
	return write_file_atomic(path_, state.to_json().dump(2) + "\n");
}

std::size_t RestoreReport::count(std::string_view result) const
{
	return static_cast<std::size_t>(std::count_if(ramdisks.begin(), ramdisks.end(),
		[result](const RestoreItem &i) { return i.result == result; }));
}

Json RestoreReport::to_json() const
{
	Json items = Json::array();
	for (const RestoreItem &i : ramdisks)
		items.push_back(Json{{"name", i.name}, {"index", i.index}, {"result", i.result},
				     {"message", i.message}});
	return Json{
		{"time", static_cast<std::int64_t>(time)},
		{"state_file", state_file},
		{"state_file_existed", state_file_existed},
		{"contents_preserved", false},
		{"note", kContentsNote},
		{"problems", problems},
		{"ramdisks", std::move(items)},
		{"summary", Json{{"adopted", count("adopted")},
				 {"recreated", count("recreated")},
				 {"failed", count("failed")}}},
	};
}

RestoreReport restore_ramdisks(const RamdiskManager &manager, const State &state)
{
	RestoreReport report;
	report.time = std::time(nullptr);
	for (const RamdiskSpec &want : state.ramdisks) {
		RestoreItem item;
		item.index = want.index;
		item.name = ramdisk_name(want.index);

		auto have = manager.info(want.index);
		if (have) {
			item.result = "adopted";
			std::string diff = spec_differences(spec_from_info(*have), want);
			item.message = diff.empty()
				? "already exists as saved; adopted (contents untouched)"
				: "already exists and differs from the saved state: " + diff +
				  "; adopted as it is (nothing changed)";
		} else if (have.error().code != Errc::not_found) {
			item.result = "failed";
			item.message = "cannot check: " + have.error().message;
		} else if (auto made = manager.create(create_options(want)); made) {
			item.result = "recreated";
			item.message = "recreated empty (" + describe_spec(want) +
				       "); its previous contents were not kept";
		} else {
			item.result = "failed";
			item.message = "cannot recreate (" + describe_spec(want) + "): " + made.error().message;
		}
		LogLevel level = item.result == "failed" ? LogLevel::error : LogLevel::notice;
		log(level, "restore " + item.name + ": " + item.result + ": " + item.message);
		report.ramdisks.push_back(std::move(item));
	}
	return report;
}

} // namespace storctl::daemon
