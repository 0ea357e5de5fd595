// SPDX-License-Identifier: MIT
#include "json_output.hpp"

namespace storctl::daemon {

Json ramdisk_json(const RamdiskInfo &info)
{
	return Json{
		{"name", info.name},
		{"path", info.path},
		{"index", info.index},
		{"size_bytes", info.size_bytes},
		{"used_bytes", info.used_bytes},
		{"logical_block_size", info.logical_block_size},
		{"alloc_failures", info.alloc_failures},
		{"open_count", info.open_count},
		{"numa_node", info.numa_node ? Json(*info.numa_node) : Json(nullptr)},
		{"read_only", info.read_only},
		{"prealloc", info.prealloc},
		{"overcommit", info.overcommit},
	};
}

Json ramdisk_list_json(const std::vector<RamdiskInfo> &disks)
{
	Json a = Json::array();
	for (const RamdiskInfo &d : disks)
		a.push_back(ramdisk_json(d));
	return a;
}

namespace {

// Table options as JSON values: numbers as numbers, flags as true.
Json option_value(const std::string &v)
{
	if (v.empty())
		return true;
	if (v.size() <= 19 && v.find_first_not_of("0123456789") == std::string::npos)
		return std::stoull(v);
	return v;
}

} // namespace

Json cache_json(const CacheInfo &c)
{
	Json opts = Json::object();
	for (const auto &[k, v] : c.options)
		opts[k] = option_value(v);
	return Json{
		{"name", c.name},
		{"path", c.path},
		{"target", c.target},
		{"mode", std::string(to_string(c.mode))},
		{"cache", c.cache},
		{"origin", c.origin},
		{"cache_devno", c.cache_devno.str()},
		{"origin_devno", c.origin_devno.str()},
		{"block_size", c.block_size},
		{"size_bytes", c.size_bytes},
		{"policy", c.policy ? Json(*c.policy) : Json(nullptr)},
		{"options", std::move(opts)},
		{"open_count", c.open_count},
	};
}

Json cache_list_json(const std::vector<CacheInfo> &caches)
{
	Json a = Json::array();
	for (const CacheInfo &c : caches)
		a.push_back(cache_json(c));
	return a;
}

Json cache_stats_json(const CacheStats &s)
{
	Json j = Json::object();
	j["name"] = s.info.name;
	j["target"] = s.info.target;
	j["mode"] = std::string(to_string(s.info.mode));
	j["cache"] = s.info.cache;
	j["origin"] = s.info.origin;
	if (s.stor_cache) {
		for (std::size_t i = 0; i < kStorCacheCounters.size(); i++)
			j[std::string(kStorCacheCounters[i])] = s.stor_cache->counters[i];
		j["read_hit_ratio"] = s.stor_cache->read_hit_ratio();
	}
	if (s.writecache) {
		const WritecacheStatus &w = *s.writecache;
		j["error"] = w.error;
		j["total_blocks"] = w.total_blocks;
		j["free_blocks"] = w.free_blocks;
		j["writeback_blocks"] = w.writeback_blocks;
		j["used_blocks"] = w.used_blocks();
		j["dirty_blocks"] = w.dirty_blocks();
		if (w.counters) {
			for (std::size_t i = 0; i < kWritecacheCounters.size(); i++)
				j[std::string(kWritecacheCounters[i])] = (*w.counters)[i];
			j["read_hit_ratio"] = *w.read_hit_ratio();
		}
	}
	return j;
}

Json cache_removal_json(const CacheRemoval &r)
{
	return Json{{"removed", r.name},
		    {"written_back_blocks", r.written_back_blocks},
		    {"deferred", r.deferred}};
}

namespace {

Json string_or_null(const std::string &s)
{
	return s.empty() ? Json(nullptr) : Json(s);
}

// Service ids are numbers for tcp and rdma.
Json service_json(const std::string &s)
{
	if (s.empty())
		return nullptr;
	if (s.size() <= 5 && s.find_first_not_of("0123456789") == std::string::npos)
		return std::stoul(s);
	return s;
}

} // namespace

Json nvmet_port_json(const nvmet::PortInfo &p)
{
	Json j = Json::object();
	j["id"] = p.id;
	j["transport"] = string_or_null(p.transport);
	j["family"] = string_or_null(p.family);
	j["address"] = string_or_null(p.address);
	j["service"] = service_json(p.service);
	j["exports"] = p.subsystems;
	return j;
}

Json nvmet_port_list_json(const std::vector<nvmet::PortInfo> &ports)
{
	Json j = Json::array();
	for (const auto &p : ports)
		j.push_back(nvmet_port_json(p));
	return j;
}

Json nvmet_export_json(const nvmet::ExportInfo &e)
{
	Json j = Json::object();
	j["nqn"] = e.nqn;
	j["volume"] = string_or_null(e.volume);
	Json ns = Json::array();
	for (const auto &n : e.namespaces)
		ns.push_back({{"nsid", n.nsid},
			      {"device_path", string_or_null(n.device_path)},
			      {"uuid", n.uuid},
			      {"nguid", n.nguid},
			      {"enabled", n.enabled}});
	j["namespaces"] = ns;
	j["allow_any_host"] = e.allow_any_host;
	j["hosts"] = e.hosts;
	j["ports"] = e.ports;
	j["serial"] = e.serial;
	j["model"] = string_or_null(e.model);
	j["managed"] = e.managed;
	return j;
}

Json nvmet_export_list_json(const std::vector<nvmet::ExportInfo> &exports)
{
	Json j = Json::array();
	for (const auto &e : exports)
		j.push_back(nvmet_export_json(e));
	return j;
}

Json nvmet_unexport_json(const nvmet::UnexportResult &r)
{
	Json j = Json::object();
	j["nqn"] = r.nqn;
	j["volume"] = string_or_null(r.volume);
	j["removed"] = r.removed;
	j["hosts_removed"] = r.hosts_removed;
	j["ports_removed"] = r.ports_removed;
	j["allow_any_host_revoked"] = r.any_host_revoked;
	j["host_entries_removed"] = r.host_entries_removed;
	return j;
}

Json rnbd_export_json(const rnbd::ExportInfo &e)
{
	return Json{{"id", rnbd::export_id(e)},
		    {"device_path", e.device_path},
		    {"session", string_or_null(e.session)},
		    {"read_only", e.read_only}};
}

Json rnbd_export_list_json(const std::vector<rnbd::ExportInfo> &exports)
{
	Json j = Json::array();
	for (const auto &e : exports)
		j.push_back(rnbd_export_json(e));
	return j;
}

Json rnbd_mapping_json(const rnbd::Mapping &m)
{
	return Json{{"name", m.name},         {"path", m.path},     {"session", m.session},
		    {"device_path", m.device_path}, {"access", m.access}, {"state", m.state}};
}

Json rnbd_mapping_list_json(const std::vector<rnbd::Mapping> &mappings)
{
	Json j = Json::array();
	for (const auto &m : mappings)
		j.push_back(rnbd_mapping_json(m));
	return j;
}

Json rnbd_server_session_json(const rnbd::ServerSession &s)
{
	Json paths = Json::array();
	for (const auto &p : s.paths)
		paths.push_back(Json{{"client_address", p.client_address},
				     {"state", p.state},
				     {"io_cons", p.io_cons},
				     {"queue_depth", p.queue_depth},
				     {"max_io_size", p.max_io_size}});
	return Json{{"name", s.name},
		    {"path_count", s.path_count},
		    {"device_count", s.device_count},
		    {"closing", s.closing},
		    {"paths", std::move(paths)}};
}

Json rnbd_client_session_json(const rnbd::ClientSession &s)
{
	Json paths = Json::array();
	for (const auto &p : s.paths)
		paths.push_back(Json{{"index", p.index},
				     {"address", p.address},
				     {"state", p.state},
				     {"inflight", p.inflight},
				     {"requests", p.requests},
				     {"errors", p.errors},
				     {"reconnects", p.reconnects},
				     {"mr_writes", p.mr_writes},
				     {"polled", p.polled},
				     {"bounce_reads", p.bounce_reads}});
	return Json{{"name", s.name}, {"state", s.state}, {"paths", std::move(paths)},
		    {"devices", s.devices}};
}

Json rnbd_sessions_json(const std::vector<rnbd::ServerSession> *server,
			const std::vector<rnbd::ClientSession> *client)
{
	Json j = Json::object();
	j["server"] = nullptr;
	j["client"] = nullptr;
	if (server) {
		j["server"] = Json::array();
		for (const auto &s : *server)
			j["server"].push_back(rnbd_server_session_json(s));
	}
	if (client) {
		j["client"] = Json::array();
		for (const auto &s : *client)
			j["client"].push_back(rnbd_client_session_json(s));
	}
	return j;
}

Json rdma_link_json(const rdma::Link &l)
{
	return Json{{"name", l.name},
		    {"index", l.index},
		    {"port", l.port},
		    {"state", string_or_null(l.state)},
		    {"physical_state", string_or_null(l.physical_state)},
		    {"netdev", string_or_null(l.netdev)}};
}

Json rdma_link_list_json(const std::vector<rdma::Link> &links)
{
	Json j = Json::array();
	for (const auto &l : links)
		j.push_back(rdma_link_json(l));
	return j;
}

} // namespace storctl::daemon
