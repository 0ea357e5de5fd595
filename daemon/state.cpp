// SPDX-License-Identifier: MIT
#include "state.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <tuple>
#include <type_traits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storctl/size.hpp>
#include <storctl/unique_fd.hpp>

namespace storctl::daemon {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTempInfix = ".tmp.";
constexpr std::string_view kContentsNote =
	"RAM disk contents are not persisted: a recreated RAM disk starts empty (and a cache "
	"recreated over it starts cold)";

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


bool same_path(const std::string &a, const std::string &b)
{
	if (a == b)
		return true;
	std::error_code ea, eb;
	fs::path ca = fs::canonical(a, ea), cb = fs::canonical(b, eb);
	return !ea && !eb && ca == cb;
}

std::string describe_cache(const CacheSpec &s)
{
	std::string d = std::string(to_string(s.mode)) + ", cache " + s.cache + ", origin " + s.origin;
	if (s.block_size)
		d += ", " + format_size(s.block_size) + " blocks";
	if (s.policy)
		d += ", policy " + *s.policy;
	return d;
}

std::string cache_differences(const CacheInfo &have, const CacheSpec &want)
{
	std::string d;
	auto add = [&d](const std::string &what) { d += (d.empty() ? "" : "; ") + what; };
	if (have.mode != want.mode)
		add("mode " + std::string(to_string(have.mode)) + " (saved: " +
		    std::string(to_string(want.mode)) + ")");
	if (!same_path(have.cache, want.cache))
		add("cache device " + have.cache + " (saved: " + want.cache + ")");
	if (!same_path(have.origin, want.origin))
		add("origin " + have.origin + " (saved: " + want.origin + ")");
	if (want.block_size && have.block_size != want.block_size)
		add("block size " + format_size(have.block_size) + " (saved: " +
		    format_size(want.block_size) + ")");
	if (want.policy && have.policy != want.policy)
		add("policy " + have.policy.value_or("none") + " (saved: " + *want.policy + ")");
	return d;
}

// Write-back options in the state file, in writecache's order.
constexpr std::array<std::pair<const char *, std::optional<std::uint32_t> WbTunables::*>, 5> kWbKeys = {{
	{"high_watermark", &WbTunables::high_watermark},
	{"low_watermark", &WbTunables::low_watermark},
	{"writeback_jobs", &WbTunables::writeback_jobs},
	{"autocommit_blocks", &WbTunables::autocommit_blocks},
	{"autocommit_time", &WbTunables::autocommit_time},
}};

// --option for set_wb_tunable() of a state key.
std::string wb_flag(std::string_view key)
{
	std::string f = "--" + std::string(key);
	for (char &c : f)
		if (c == '_')
			c = '-';
	return f;
}

Json cache_spec_json(const CacheSpec &s)
{
	Json tun = Json::object();
	for (const PolicyTunable &t : s.tunables)
		tun[t.key] = t.value;
	Json wb = Json::object();
	for (const auto &[key, member] : kWbKeys)
		if (s.wb.*member)
			wb[key] = *(s.wb.*member);
	return Json{
		{"name", s.name},
		{"mode", std::string(to_string(s.mode))},
		{"cache", s.cache},
		{"origin", s.origin},
		{"block_size", s.block_size},
		{"policy", s.policy ? Json(*s.policy) : Json(nullptr)},
		{"tunables", std::move(tun)},
		{"wb", std::move(wb)},
	};
}

// One "caches" entry; an error message if it is unusable.
Result<CacheSpec> cache_spec_from_json(const Json &e)
{
	auto bad = [](const std::string &why) { return make_error(Errc::invalid_argument, why); };
	if (!e.is_object())
		return bad("not an object");
	CacheSpec s;
	auto str = [&e](const char *key) -> const std::string * {
		auto it = e.find(key);
		return it != e.end() && it->is_string() ? &it->get_ref<const std::string &>() : nullptr;
	};
	const std::string *name = str("name"), *mode = str("mode"), *cache = str("cache"),
			  *origin = str("origin");
	if (!name || !mode || !cache || !origin)
		return bad("\"name\", \"mode\", \"cache\" and \"origin\" must be strings");
	auto m = parse_cache_mode(*mode);
	if (!m)
		return std::move(m).error();
	s.name = *name;
	s.mode = *m;
	s.cache = *cache;
	s.origin = *origin;
	if (auto bs = e.find("block_size"); bs != e.end()) {
		if (!bs->is_number_unsigned() || bs->get<std::uint64_t>() > UINT32_MAX)
			return bad("invalid \"block_size\"");
		s.block_size = bs->get<std::uint32_t>();
	}
	if (auto p = e.find("policy"); p != e.end() && !p->is_null()) {
		if (!p->is_string())
			return bad("invalid \"policy\"");
		s.policy = p->get<std::string>();
	}
	if (auto t = e.find("tunables"); t != e.end()) {
		if (!t->is_object())
			return bad("\"tunables\" is not an object");
		for (const auto &item : t->items()) {
			if (!item.value().is_number_unsigned() || item.value().get<std::uint64_t>() > UINT32_MAX)
				return bad("invalid tunable \"" + item.key() + "\"");
			s.tunables.push_back({item.key(), item.value().get<std::uint32_t>()});
		}
	}
	if (auto w = e.find("wb"); w != e.end()) {
		if (!w->is_object())
			return bad("\"wb\" is not an object");
		for (const auto &item : w->items()) {
			if (!item.value().is_number_unsigned())
				return bad("invalid \"wb\" option \"" + item.key() + "\"");
			if (auto r = set_wb_tunable(s.wb, wb_flag(item.key()),
						    std::to_string(item.value().get<std::uint64_t>()));
			    !r)
				return std::move(r).error();
		}
	}
	CacheCreateOptions o = create_options(s);
	if (s.block_size == 0)
		o.block_size.reset();
	if (auto r = CacheManager::validate_create(o); !r)
		return std::move(r).error();
	if (auto n = validate_cache_name(s.name); !n || *n != s.name)
		return bad("invalid \"name\"");
	return s;
}

} // namespace

bool CacheSpec::operator==(const CacheSpec &o) const
{
	auto wb_eq = [](const WbTunables &a, const WbTunables &b) {
		for (const auto &[key, member] : kWbKeys)
			if (a.*member != b.*member)
				return false;
		return true;
	};
	return name == o.name && mode == o.mode && cache == o.cache && origin == o.origin &&
	       block_size == o.block_size && policy == o.policy && tunables == o.tunables &&
	       wb_eq(wb, o.wb);
}

CacheSpec cache_spec(const CacheCreateOptions &opts, const CacheInfo &info)
{
	CacheSpec s;
	s.name = info.name;
	s.mode = info.mode;
	s.cache = opts.cache;
	s.origin = opts.origin;
	s.block_size = info.block_size;
	s.policy = opts.policy;
	s.tunables = opts.tunables;
	s.wb = opts.wb;
	return s;
}

CacheCreateOptions create_options(const CacheSpec &spec)
{
	CacheCreateOptions o;
	o.cache = spec.cache;
	o.origin = spec.origin;
	o.mode = spec.mode;
	o.name = spec.name;
	if (spec.block_size)
		o.block_size = spec.block_size;
	o.policy = spec.policy;
	o.tunables = spec.tunables;
	o.wb = spec.wb;
	return o;
}

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

const CacheSpec *State::find_cache(std::string_view name) const
{
	for (const CacheSpec &s : caches)
		if (s.name == name)
			return &s;
	return nullptr;
}

void State::put_cache(const CacheSpec &spec)
{
	auto it = std::lower_bound(caches.begin(), caches.end(), spec.name,
				   [](const CacheSpec &s, const std::string &n) { return s.name < n; });
	if (it != caches.end() && it->name == spec.name)
		*it = spec;
	else
		caches.insert(it, spec);
}

bool State::erase_cache(std::string_view name)
{
	auto it = std::find_if(caches.begin(), caches.end(),
			       [name](const CacheSpec &s) { return s.name == name; });
	if (it == caches.end())
		return false;
	caches.erase(it);
	return true;
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

namespace {

Json nvmet_port_spec_json(const NvmetPortSpec &p)
{
	return Json{{"id", p.id}, {"transport", p.transport}, {"address", p.address}, {"service", p.service}};
}

Result<NvmetPortSpec> nvmet_port_spec_from_json(const Json &e)
{
	auto bad = [](const std::string &why) { return make_error(Errc::invalid_argument, why); };
	if (!e.is_object())
		return bad("not an object");
	NvmetPortSpec p;
	auto id = e.find("id");
	if (id == e.end() || !id->is_number_unsigned() || id->get<std::uint64_t>() < nvmet::kMinPortId ||
	    id->get<std::uint64_t>() > nvmet::kMaxPortId)
		return bad("missing or invalid \"id\"");
	p.id = static_cast<std::uint16_t>(id->get<std::uint64_t>());
	for (auto [key, dst] : {std::pair{"transport", &p.transport}, std::pair{"address", &p.address},
				std::pair{"service", &p.service}}) {
		auto it = e.find(key);
		if (it == e.end() || !it->is_string())
			return bad(std::string("\"") + key + "\" must be a string");
		*dst = it->get<std::string>();
	}
	auto t = nvmet::parse_transport(p.transport);
	if (!t)
		return std::move(t).error();
	if (*t != nvmet::Transport::loop) {
		if (auto a = nvmet::parse_ip_address(p.address); !a)
			return std::move(a).error();
		if (auto sv = nvmet::parse_service(p.service); !sv)
			return std::move(sv).error();
	}
	return p;
}

Json nvmet_export_spec_json(const NvmetExportSpec &x)
{
	return Json{{"nqn", x.nqn}, {"volume", x.volume}, {"hosts", x.hosts},
		    {"allow_any_host", x.allow_any_host}, {"ports", x.ports}};
}

Result<NvmetExportSpec> nvmet_export_spec_from_json(const Json &e)
{
	auto bad = [](const std::string &why) { return make_error(Errc::invalid_argument, why); };
	if (!e.is_object())
		return bad("not an object");
	NvmetExportSpec x;
	auto nqn = e.find("nqn"), volume = e.find("volume"), hosts = e.find("hosts"),
	     any = e.find("allow_any_host"), ports = e.find("ports");
	if (nqn == e.end() || !nqn->is_string() || volume == e.end() || !volume->is_string())
		return bad("\"nqn\" and \"volume\" must be strings");
	x.nqn = nqn->get<std::string>();
	x.volume = volume->get<std::string>();
	if (auto r = nvmet::validate_subsystem_nqn(x.nqn); !r)
		return std::move(r).error();
	if (x.volume.empty() || x.volume.front() != '/')
		return bad("\"volume\" must be a device path");
	if (any != e.end()) {
		if (!any->is_boolean())
			return bad("\"allow_any_host\" must be true or false");
		x.allow_any_host = any->get<bool>();
	}
	if (hosts != e.end()) {
		if (!hosts->is_array())
			return bad("\"hosts\" must be an array");
		for (const Json &h : *hosts) {
			if (!h.is_string())
				return bad("\"hosts\" must hold strings");
			if (auto r = nvmet::validate_nqn(h.get<std::string>(), "host NQN"); !r)
				return std::move(r).error();
			x.hosts.push_back(h.get<std::string>());
		}
	}
	if (ports != e.end()) {
		if (!ports->is_array())
			return bad("\"ports\" must be an array");
		for (const Json &p : *ports) {
			if (!p.is_number_unsigned() || p.get<std::uint64_t>() < nvmet::kMinPortId ||
			    p.get<std::uint64_t>() > nvmet::kMaxPortId)
				return bad("\"ports\" must hold port ids (1-65534)");
			x.ports.push_back(static_cast<std::uint16_t>(p.get<std::uint64_t>()));
		}
	}
	if (x.allow_any_host && !x.hosts.empty())
		return bad("\"allow_any_host\" and \"hosts\" exclude each other");
	return x;
}

Json rnbd_export_spec_json(const RnbdExportSpec &x)
{
	return Json{{"device_path", x.device_path},
		    {"session", x.session.empty() ? Json(nullptr) : Json(x.session)},
		    {"read_only", x.read_only}};
}

Result<RnbdExportSpec> rnbd_export_spec_from_json(const Json &e)
{
	auto bad = [](const std::string &why) { return make_error(Errc::invalid_argument, why); };
	if (!e.is_object())
		return bad("not an object");
	RnbdExportSpec x;
	auto path = e.find("device_path"), sess = e.find("session"), ro = e.find("read_only");
	if (path == e.end() || !path->is_string())
		return bad("\"device_path\" must be a string");
	x.device_path = path->get<std::string>();
	if (sess != e.end() && !sess->is_null()) {
		if (!sess->is_string())
			return bad("\"session\" must be a string or null");
		x.session = sess->get<std::string>();
	}
	if (ro != e.end()) {
		if (!ro->is_boolean())
			return bad("\"read_only\" must be true or false");
		x.read_only = ro->get<bool>();
	}
	if (auto r = rnbd_export_spec(x); !r)
		return std::move(r).error();
	return x;
}

Json rnbd_mapping_spec_json(const RnbdMappingSpec &m)
{
	Json j{{"session", m.session},
	       {"paths", m.paths},
	       {"device_path", m.device_path},
	       {"access", m.access},
	       {"port", m.port ? Json(*m.port) : Json(nullptr)}};
	if (m.poll_queues)
		j["poll_queues"] = *m.poll_queues;
	return j;
}

Result<RnbdMappingSpec> rnbd_mapping_spec_from_json(const Json &e)
{
	auto bad = [](const std::string &why) { return make_error(Errc::invalid_argument, why); };
	if (!e.is_object())
		return bad("not an object");
	RnbdMappingSpec m;
	auto sess = e.find("session"), paths = e.find("paths"), path = e.find("device_path"),
	     access = e.find("access"), port = e.find("port"), poll = e.find("poll_queues");
	if (sess == e.end() || !sess->is_string() || path == e.end() || !path->is_string())
		return bad("\"session\" and \"device_path\" must be strings");
	m.session = sess->get<std::string>();
	m.device_path = path->get<std::string>();
	if (paths == e.end() || !paths->is_array())
		return bad("\"paths\" must be an array");
	for (const Json &p : *paths) {
		if (!p.is_string())
			return bad("\"paths\" must hold strings");
		m.paths.push_back(p.get<std::string>());
	}
	if (access != e.end()) {
		if (!access->is_string())
			return bad("\"access\" must be a string");
		m.access = access->get<std::string>();
	}
	if (port != e.end() && !port->is_null()) {
		if (!port->is_number_unsigned() || port->get<std::uint64_t>() < 1 ||
		    port->get<std::uint64_t>() > 65535)
			return bad("\"port\" must be 1..65535 or null");
		m.port = static_cast<std::uint16_t>(port->get<std::uint64_t>());
	}
	if (poll != e.end() && !poll->is_null()) {
		if (!poll->is_number_unsigned() || poll->get<std::uint64_t>() > rnbd::kMaxPollQueues)
			return bad("\"poll_queues\" must be 0.." + std::to_string(rnbd::kMaxPollQueues) +
				   " or null");
		m.poll_queues = static_cast<unsigned>(poll->get<std::uint64_t>());
	}
	if (auto r = rnbd_map_spec(m); !r)
		return std::move(r).error();
	return m;
}

std::string describe_port(const NvmetPortSpec &p)
{
	if (p.address.empty())
		return p.transport;
	return p.transport + " " + p.address + ":" + p.service;
}

template <typename T>
std::string join_list(const std::vector<T> &v)
{
	std::string out;
	for (const auto &x : v) {
		if (!out.empty())
			out += ",";
		if constexpr (std::is_same_v<T, std::string>)
			out += x;
		else
			out += std::to_string(x);
	}
	return out.empty() ? "none" : out;
}

std::string export_differences(const NvmetExportSpec &have, const NvmetExportSpec &want)
{
	std::string d;
	auto add = [&d](const std::string &s) { d += (d.empty() ? "" : ", ") + s; };
	if (!same_path(have.volume, want.volume))
		add("volume " + have.volume + " (saved: " + want.volume + ")");
	if (have.hosts != want.hosts)
		add("hosts " + join_list(have.hosts) + " (saved: " + join_list(want.hosts) + ")");
	if (have.allow_any_host != want.allow_any_host)
		add(std::string("allow_any_host ") + (have.allow_any_host ? "true" : "false") +
		    " (saved: " + (want.allow_any_host ? "true" : "false") + ")");
	if (have.ports != want.ports)
		add("ports " + join_list(have.ports) + " (saved: " + join_list(want.ports) + ")");
	return d;
}

} // namespace

NvmetPortSpec nvmet_port_spec(const nvmet::PortInfo &info)
{
	return NvmetPortSpec{info.id, info.transport, info.address, info.service};
}

NvmetExportSpec nvmet_export_spec(const nvmet::ExportInfo &info)
{
	NvmetExportSpec x;
	x.nqn = info.nqn;
	x.volume = info.volume;
	x.hosts = info.hosts;
	std::sort(x.hosts.begin(), x.hosts.end());
	x.allow_any_host = info.allow_any_host;
	x.ports = info.ports;
	std::sort(x.ports.begin(), x.ports.end());
	return x;
}

const NvmetPortSpec *State::find_nvmet_port(std::uint16_t id) const
{
	for (const NvmetPortSpec &p : nvmet_ports)
		if (p.id == id)
			return &p;
	return nullptr;
}

void State::put_nvmet_port(const NvmetPortSpec &spec)
{
	auto it = std::lower_bound(nvmet_ports.begin(), nvmet_ports.end(), spec.id,
				   [](const NvmetPortSpec &p, std::uint16_t id) { return p.id < id; });
	if (it != nvmet_ports.end() && it->id == spec.id)
		*it = spec;
	else
		nvmet_ports.insert(it, spec);
}

bool State::erase_nvmet_port(std::uint16_t id)
{
	auto it = std::find_if(nvmet_ports.begin(), nvmet_ports.end(),
			       [id](const NvmetPortSpec &p) { return p.id == id; });
	if (it == nvmet_ports.end())
		return false;
	nvmet_ports.erase(it);
	return true;
}

const NvmetExportSpec *State::find_nvmet_export(std::string_view nqn) const
{
	for (const NvmetExportSpec &x : nvmet_exports)
		if (x.nqn == nqn)
			return &x;
	return nullptr;
}

void State::put_nvmet_export(const NvmetExportSpec &spec)
{
	auto it = std::lower_bound(nvmet_exports.begin(), nvmet_exports.end(), spec.nqn,
				   [](const NvmetExportSpec &x, const std::string &n) { return x.nqn < n; });
	if (it != nvmet_exports.end() && it->nqn == spec.nqn)
		*it = spec;
	else
		nvmet_exports.insert(it, spec);
}

bool State::erase_nvmet_export(std::string_view nqn)
{
	auto it = std::find_if(nvmet_exports.begin(), nvmet_exports.end(),
			       [nqn](const NvmetExportSpec &x) { return x.nqn == nqn; });
	if (it == nvmet_exports.end())
		return false;
	nvmet_exports.erase(it);
	return true;
}

Result<rnbd::ExportSpec> rnbd_export_spec(const RnbdExportSpec &spec)
{
	rnbd::ExportSpec e{spec.device_path, spec.session, spec.read_only};
	if (auto r = rnbd::validate(e); !r)
		return std::move(r).error();
	return e;
}

Result<rnbd::MapSpec> rnbd_map_spec(const RnbdMappingSpec &spec)
{
	rnbd::MapSpec m;
	m.session = spec.session;
	for (const std::string &p : spec.paths) {
		auto ps = rnbd::parse_path(p);
		if (!ps)
			return std::move(ps).error();
		m.paths.push_back(*ps);
	}
	m.device_path = spec.device_path;
	auto a = rnbd::parse_access(spec.access);
	if (!a)
		return std::move(a).error();
	m.access = *a;
	m.port = spec.port;
	m.poll_queues = spec.poll_queues;
	if (auto r = rnbd::validate(m); !r)
		return std::move(r).error();
	return m;
}

RnbdMappingSpec rnbd_mapping_spec(const rnbd::MapSpec &spec)
{
	RnbdMappingSpec m;
	m.session = spec.session;
	for (const auto &p : spec.paths)
		m.paths.push_back(p.str());
	m.device_path = spec.device_path;
	m.access = std::string(rnbd::to_string(spec.access));
	m.port = spec.port;
	m.poll_queues = spec.poll_queues;
	return m;
}

const RnbdExportSpec *State::find_rnbd_export(std::string_view device_path, std::string_view session) const
{
	for (const RnbdExportSpec &x : rnbd_exports)
		if (x.device_path == device_path && x.session == session)
			return &x;
	return nullptr;
}

void State::put_rnbd_export(const RnbdExportSpec &spec)
{
	auto key = [](const RnbdExportSpec &x) { return std::tie(x.device_path, x.session); };
	auto it = std::lower_bound(rnbd_exports.begin(), rnbd_exports.end(), spec,
				   [&](const RnbdExportSpec &a, const RnbdExportSpec &b) { return key(a) < key(b); });
	if (it != rnbd_exports.end() && key(*it) == key(spec))
		*it = spec;
	else
		rnbd_exports.insert(it, spec);
}

bool State::erase_rnbd_export(std::string_view device_path, std::string_view session)
{
	auto it = std::find_if(rnbd_exports.begin(), rnbd_exports.end(), [&](const RnbdExportSpec &x) {
		return x.device_path == device_path && x.session == session;
	});
	if (it == rnbd_exports.end())
		return false;
	rnbd_exports.erase(it);
	return true;
}

const RnbdMappingSpec *State::find_rnbd_mapping(std::string_view session, std::string_view device_path) const
{
	for (const RnbdMappingSpec &m : rnbd_mappings)
		if (m.session == session && m.device_path == device_path)
			return &m;
	return nullptr;
}

void State::put_rnbd_mapping(const RnbdMappingSpec &spec)
{
	auto key = [](const RnbdMappingSpec &m) { return std::tie(m.session, m.device_path); };
	auto it = std::lower_bound(rnbd_mappings.begin(), rnbd_mappings.end(), spec,
				   [&](const RnbdMappingSpec &a, const RnbdMappingSpec &b) { return key(a) < key(b); });
	if (it != rnbd_mappings.end() && key(*it) == key(spec))
		*it = spec;
	else
		rnbd_mappings.insert(it, spec);
}

bool State::erase_rnbd_mapping(std::string_view session, std::string_view device_path)
{
	auto it = std::find_if(rnbd_mappings.begin(), rnbd_mappings.end(), [&](const RnbdMappingSpec &m) {
		return m.session == session && m.device_path == device_path;
	});
	if (it == rnbd_mappings.end())
		return false;
	rnbd_mappings.erase(it);
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
	Json caches_j = Json::array();
	for (const CacheSpec &c : caches)
		caches_j.push_back(cache_spec_json(c));
	Json ports_j = Json::array();
	for (const NvmetPortSpec &p : nvmet_ports)
		ports_j.push_back(nvmet_port_spec_json(p));
	Json exports_j = Json::array();
	for (const NvmetExportSpec &x : nvmet_exports)
		exports_j.push_back(nvmet_export_spec_json(x));
	Json rnbd_exports_j = Json::array();
	for (const RnbdExportSpec &x : rnbd_exports)
		rnbd_exports_j.push_back(rnbd_export_spec_json(x));
	Json rnbd_mappings_j = Json::array();
	for (const RnbdMappingSpec &m : rnbd_mappings)
		rnbd_mappings_j.push_back(rnbd_mapping_spec_json(m));
	return Json{{"version", kStateVersion}, {"ramdisks", std::move(disks)},
		    {"caches", std::move(caches_j)}, {"nvmet_ports", std::move(ports_j)},
		    {"nvmet_exports", std::move(exports_j)}, {"rnbd_exports", std::move(rnbd_exports_j)},
		    {"rnbd_mappings", std::move(rnbd_mappings_j)}};
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
	auto caches = j.find("caches");
	if (disks != j.end() && !disks->is_array())
		return make_error(Errc::invalid_argument, "\"ramdisks\" is not an array");
	if (caches != j.end() && !caches->is_array())
		return make_error(Errc::invalid_argument, "\"caches\" is not an array");
	if (caches != j.end()) {
		std::size_t n = 0;
		for (const Json &e : *caches) {
			std::string where = "caches[" + std::to_string(n++) + "]";
			auto spec = cache_spec_from_json(e);
			if (!spec) {
				problems.push_back(where + ": " + spec.error().message + "; entry ignored");
				continue;
			}
			if (st.find_cache(spec->name)) {
				problems.push_back(where + ": cache " + spec->name + " appears twice; entry ignored");
				continue;
			}
			st.put_cache(*spec);
		}
	}
	for (const char *key : {"nvmet_ports", "nvmet_exports"}) {
		auto arr = j.find(key);
		if (arr == j.end())
			continue;
		if (!arr->is_array())
			return make_error(Errc::invalid_argument, std::string("\"") + key + "\" is not an array");
		const bool ports = std::string_view(key) == "nvmet_ports";
		std::size_t n = 0;
		for (const Json &e : *arr) {
			std::string where = std::string(key) + "[" + std::to_string(n++) + "]";
			if (ports) {
				auto spec = nvmet_port_spec_from_json(e);
				if (!spec) {
					problems.push_back(where + ": " + spec.error().message + "; entry ignored");
				} else if (st.find_nvmet_port(spec->id)) {
					problems.push_back(where + ": port " + std::to_string(spec->id) +
							   " appears twice; entry ignored");
				} else {
					st.put_nvmet_port(*spec);
				}
			} else {
				auto spec = nvmet_export_spec_from_json(e);
				if (!spec) {
					problems.push_back(where + ": " + spec.error().message + "; entry ignored");
				} else if (st.find_nvmet_export(spec->nqn)) {
					problems.push_back(where + ": export " + spec->nqn + " appears twice; entry ignored");
				} else {
					st.put_nvmet_export(*spec);
				}
			}
		}
	}
	for (const char *key : {"rnbd_exports", "rnbd_mappings"}) {
		auto arr = j.find(key);
		if (arr == j.end())
			continue;
		if (!arr->is_array())
			return make_error(Errc::invalid_argument, std::string("\"") + key + "\" is not an array");
		const bool exports = std::string_view(key) == "rnbd_exports";
		std::size_t n = 0;
		for (const Json &e : *arr) {
			std::string where = std::string(key) + "[" + std::to_string(n++) + "]";
			if (exports) {
				auto spec = rnbd_export_spec_from_json(e);
				if (!spec)
					problems.push_back(where + ": " + spec.error().message + "; entry ignored");
				else if (st.find_rnbd_export(spec->device_path, spec->session))
					problems.push_back(where + ": export " + spec->device_path +
							   " appears twice; entry ignored");
				else
					st.put_rnbd_export(*spec);
			} else {
				auto spec = rnbd_mapping_spec_from_json(e);
				if (!spec)
					problems.push_back(where + ": " + spec.error().message + "; entry ignored");
				else if (st.find_rnbd_mapping(spec->session, spec->device_path))
					problems.push_back(where + ": mapping " + spec->session + ":" +
							   spec->device_path + " appears twice; entry ignored");
				else
					st.put_rnbd_mapping(*spec);
			}
		}
	}
	if (disks == j.end())
		return st;

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

StateStore::Loaded StateStore::load(bool repair) const
{
	Loaded out;
	const fs::path target(path_);
	const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");

	// Leftovers of a write interrupted before its rename: never the state.
	std::error_code ec;
	const std::string prefix = target.filename().string() + std::string(kTempInfix);
	for (fs::directory_iterator it(dir, ec), end; repair && !ec && it != end; it.increment(ec)) {
		const std::string name = it->path().filename().string();
		if (name.starts_with(prefix) && name.size() == prefix.size() + 6) {
			std::error_code rm;
			fs::remove(it->path(), rm);
			out.notes.push_back("removed " + it->path().string() +
					    " (left by an interrupted state write)");
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
	if (!repair) {
		out.problems.push_back(path_ + " is unusable (" + why + "); nothing restored");
		return out;
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
	auto n = [result](const std::vector<RestoreItem> &v) {
		return static_cast<std::size_t>(std::count_if(v.begin(), v.end(),
			[result](const RestoreItem &i) { return i.result == result; }));
	};
	return n(ramdisks) + n(caches) + n(nvmet_ports) + n(nvmet_exports) + n(rnbd_exports) +
	       n(rnbd_mappings);
}

Json RestoreReport::to_json() const
{
	Json items = Json::array();
	for (const RestoreItem &i : ramdisks)
		items.push_back(Json{{"name", i.name}, {"index", i.index}, {"result", i.result},
				     {"message", i.message}});
	Json cache_items = Json::array();
	for (const RestoreItem &i : caches)
		cache_items.push_back(Json{{"name", i.name}, {"result", i.result}, {"message", i.message}});
	Json port_items = Json::array();
	for (const RestoreItem &i : nvmet_ports)
		port_items.push_back(Json{{"id", i.index}, {"result", i.result}, {"message", i.message}});
	Json export_items = Json::array();
	for (const RestoreItem &i : nvmet_exports)
		export_items.push_back(Json{{"nqn", i.name}, {"result", i.result}, {"message", i.message}});
	Json rnbd_export_items = Json::array();
	for (const RestoreItem &i : rnbd_exports)
		rnbd_export_items.push_back(Json{{"id", i.name}, {"result", i.result}, {"message", i.message}});
	Json rnbd_mapping_items = Json::array();
	for (const RestoreItem &i : rnbd_mappings)
		rnbd_mapping_items.push_back(Json{{"mapping", i.name}, {"result", i.result}, {"message", i.message}});
	return Json{
		{"time", static_cast<std::int64_t>(time)},
		{"state_file", state_file},
		{"state_file_existed", state_file_existed},
		{"contents_preserved", false},
		{"note", kContentsNote},
		{"problems", problems},
		{"ramdisks", std::move(items)},
		{"caches", std::move(cache_items)},
		{"nvmet_ports", std::move(port_items)},
		{"nvmet_exports", std::move(export_items)},
		{"rnbd_exports", std::move(rnbd_export_items)},
		{"rnbd_mappings", std::move(rnbd_mapping_items)},
		{"summary", Json{{"adopted", count("adopted")},
				 {"recreated", count("recreated")},
				 {"failed", count("failed")}}},
	};
}

std::string RestoreReport::to_text() const
{
	std::string out = "state file: " + state_file + (state_file_existed ? "" : " (none: nothing to restore)") +
			  "\n";
	for (const std::string &p : problems)
		out += "problem: " + p + "\n";
	for (const RestoreItem &i : ramdisks)
		out += "ramdisk " + i.name + ": " + i.result + ": " + i.message + "\n";
	for (const RestoreItem &i : caches)
		out += "cache " + i.name + ": " + i.result + ": " + i.message + "\n";
	for (const RestoreItem &i : nvmet_ports)
		out += "nvmet port " + i.name + ": " + i.result + ": " + i.message + "\n";
	for (const RestoreItem &i : nvmet_exports)
		out += "nvmet export " + i.name + ": " + i.result + ": " + i.message + "\n";
	for (const RestoreItem &i : rnbd_exports)
		out += "rnbd export " + i.name + ": " + i.result + ": " + i.message + "\n";
	for (const RestoreItem &i : rnbd_mappings)
		out += "rnbd mapping " + i.name + ": " + i.result + ": " + i.message + "\n";
	out += std::to_string(count("adopted")) + " adopted, " + std::to_string(count("recreated")) +
	       " recreated, " + std::to_string(count("failed")) + " failed\n";
	out += std::string(kContentsNote) + "\n";
	return out;
}

namespace {

// One restore item's outcome: the result word and its message.
void restore_failed(RestoreItem &item, std::string message)
{
	item.result = "failed";
	item.message = std::move(message);
}

void restore_recreated(RestoreItem &item, std::string message)
{
	item.result = "recreated";
	item.message = std::move(message);
}

void restore_adopted(RestoreItem &item, std::string message)
{
	item.result = "adopted";
	item.message = std::move(message);
}

// An existing object adopted as it is: @diff says how it differs from the
// saved state (empty: not at all, and the message is @as_saved).
void restore_adopted_diff(RestoreItem &item, const std::string &diff, std::string as_saved)
{
	restore_adopted(item, diff.empty() ? std::move(as_saved)
					   : "already exists and differs from the saved state: " + diff +
						     "; adopted as it is (nothing changed)");
}

} // namespace

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
			restore_adopted_diff(item, spec_differences(spec_from_info(*have), want),
					     "already exists as saved; adopted (contents untouched)");
		} else if (have.error().code != Errc::not_found) {
			restore_failed(item, "cannot check: " + have.error().message);
		} else if (auto made = manager.create(create_options(want)); made) {
			restore_recreated(item, "recreated empty (" + describe_spec(want) +
				       "); its previous contents were not kept");
		} else {
			restore_failed(item, "cannot recreate (" + describe_spec(want) + "): " + made.error().message);
		}
		report.ramdisks.push_back(std::move(item));
	}
	return report;
}

void restore_caches(CacheManager &caches, const State &state, RestoreReport &report)
{
	// RAM disks this restore recreated (empty), as device paths.
	auto recreated_ramdisk = [&report](const std::string &path) {
		for (const RestoreItem &i : report.ramdisks)
			if (i.result == "recreated" && same_path(path, "/dev/" + i.name))
				return true;
		return false;
	};
	for (const CacheSpec &want : state.caches) {
		RestoreItem item;
		item.name = want.name;
		auto have = caches.info(want.name);
		if (have) {
			restore_adopted_diff(item, cache_differences(*have, want),
					     "already exists as saved; adopted");
		} else if (have.error().code != Errc::not_found) {
			restore_failed(item, "cannot check: " + have.error().message);
		} else if (want.mode == CacheMode::wb && !recreated_ramdisk(want.cache)) {
			restore_failed(item, "not recreated (" + describe_cache(want) + "): the cache device was "
				       "not recreated by this restore and may hold written data the origin "
				       "lacks, which setting up a write-back cache would wipe; check it and "
				       "create the cache again by hand");
		} else if (auto made = caches.create(create_options(want)); made) {
			restore_recreated(item, "recreated (" + describe_cache(want) + "); it starts cold");
			if (want.mode == CacheMode::wb)
				item.message += "; write-back blocks not written to the origin before the "
						"cache RAM disk was lost are gone";
		} else {
			restore_failed(item, "cannot recreate (" + describe_cache(want) + "): " + made.error().message);
		}
		report.caches.push_back(std::move(item));
	}
}

void restore_nvmet(nvmet::Manager &nvmet, const State &state, RestoreReport &report)
{
	for (const NvmetPortSpec &want : state.nvmet_ports) {
		RestoreItem item;
		item.index = want.id;
		item.name = std::to_string(want.id);
		auto have = nvmet.port(want.id);
		if (have) {
			NvmetPortSpec got = nvmet_port_spec(*have);
			restore_adopted(item, got == want
				? "already exists as saved (" + describe_port(want) + "); adopted"
				: "already exists as " + describe_port(got) + " (saved: " + describe_port(want) +
				  "); adopted as it is (nothing changed)");
		} else if (have.error().code != Errc::not_found) {
			restore_failed(item, "cannot check: " + have.error().message);
		} else {
			nvmet::PortSpec spec;
			spec.id = want.id;
			auto t = nvmet::parse_transport(want.transport);
			auto made = [&]() -> Result<nvmet::PortAddResult> {
				if (!t)
					return std::move(t).error();
				spec.transport = *t;
				if (*t != nvmet::Transport::loop) {
					spec.address = want.address;
					auto sv = nvmet::parse_service(want.service);
					if (!sv)
						return std::move(sv).error();
					spec.service = *sv;
				}
				return nvmet.add_port(spec);
			}();
			if (made && made->created && made->port.id == want.id) {
				restore_recreated(item, "recreated (" + describe_port(want) + ")");
			} else {
				restore_failed(item, "cannot recreate (" + describe_port(want) + "): " +
					       (made ? "port " + std::to_string(made->port.id) +
							       " already has this address"
						     : made.error().message));
			}
		}
		report.nvmet_ports.push_back(std::move(item));
	}
	for (const NvmetExportSpec &want : state.nvmet_exports) {
		RestoreItem item;
		item.name = want.nqn;
		auto have = nvmet.find_export(want.nqn);
		if (have) {
			restore_adopted_diff(item, export_differences(nvmet_export_spec(*have), want),
					     "already exists as saved; adopted");
		} else if (have.error().code != Errc::not_found) {
			restore_failed(item, "cannot check: " + have.error().message);
		} else {
			nvmet::ExportSpec spec;
			spec.volume = want.volume;
			spec.nqn = want.nqn;
			spec.hosts = want.hosts;
			spec.allow_any_host = want.allow_any_host;
			spec.ports = want.ports;
			const std::string what = want.volume + " on port(s) " + join_list(want.ports) + ", " +
						 (want.allow_any_host ? std::string("any host")
								      : "hosts " + join_list(want.hosts));
			if (want.ports.empty()) {
				restore_failed(item, "not recreated (" + what + "): it was on no port");
			} else if (auto made = nvmet.export_volume(spec); made) {
				restore_recreated(item, "recreated (" + what + ")");
			} else {
				restore_failed(item, "cannot recreate (" + what + "): " + made.error().message);
			}
		}
		report.nvmet_exports.push_back(std::move(item));
	}
}

void restore_rnbd(const rnbd::Manager &rnbd, const State &state, RestoreReport &report)
{
	if (state.rnbd_exports.empty() && state.rnbd_mappings.empty())
		return;
	std::optional<Result<std::vector<rnbd::ExportInfo>>> have_exports;
	if (!state.rnbd_exports.empty())
		have_exports = rnbd.exports();
	for (const RnbdExportSpec &want : state.rnbd_exports) {
		RestoreItem item;
		item.name = rnbd::export_id({want.device_path, want.session, want.read_only});
		auto spec = rnbd_export_spec(want);
		if (!spec) {
			restore_failed(item, spec.error().message);
		} else if (!*have_exports) {
			restore_failed(item, have_exports->error().message);
		} else {
			auto it = std::find_if((*have_exports)->begin(), (*have_exports)->end(),
					       [&](const rnbd::ExportInfo &e) {
						       return e.device_path == want.device_path &&
							      e.session == want.session;
					       });
			if (it != (*have_exports)->end()) {
				restore_adopted(item, it->read_only == want.read_only
					? "already exported as saved; adopted"
					: std::string("already exported ") + (it->read_only ? "read-only" : "read-write") +
					  ", saved " + (want.read_only ? "read-only" : "read-write") +
					  "; adopted as it is");
			} else if (auto made = rnbd.export_device(*spec); made) {
				restore_recreated(item, "exported again");
			} else {
				restore_failed(item, made.error().message);
			}
		}
		report.rnbd_exports.push_back(std::move(item));
	}
	std::optional<Result<std::vector<rnbd::Mapping>>> have_maps;
	if (!state.rnbd_mappings.empty())
		have_maps = rnbd.mappings();
	for (const RnbdMappingSpec &want : state.rnbd_mappings) {
		RestoreItem item;
		item.name = want.session + ":" + want.device_path;
		auto spec = rnbd_map_spec(want);
		if (!spec) {
			restore_failed(item, spec.error().message);
		} else if (!*have_maps) {
			restore_failed(item, have_maps->error().message);
		} else {
			auto it = std::find_if((*have_maps)->begin(), (*have_maps)->end(), [&](const rnbd::Mapping &m) {
				return m.session == want.session && m.device_path == want.device_path;
			});
			if (it != (*have_maps)->end()) {
				restore_adopted(item, "already mapped as " + it->path + " (" + it->access + ", " + it->state +
					       "); adopted");
			} else if (auto made = rnbd.map(*spec); made) {
				restore_recreated(item, "mapped again as " + made->path);
			} else {
				restore_failed(item, made.error().message);
			}
		}
		report.rnbd_mappings.push_back(std::move(item));
	}
}

} // namespace storctl::daemon
