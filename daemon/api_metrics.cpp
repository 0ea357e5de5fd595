// SPDX-License-Identifier: MIT
//
// GET /metrics: Prometheus text exposition format 0.0.4.
#include <storctl/version.hpp>

#include "app.hpp"
#include "sysinfo.hpp"

namespace storctl::daemon {

namespace {

// Per cache: storctl_cache_info and storctl_cache_size_bytes, then every
// status counter of its target: storctl_stor_cache_* (wt, wa) or
// storctl_writecache_* (wb), labelled by cache name.  Block counts that go
// up and down are gauges, the rest counters (suffix _total).
std::string render_caches(const App &app)
{
	auto caches = app.list_caches();
	std::vector<CacheStats> stats;
	if (caches)
		for (const CacheInfo &c : *caches)
			if (auto st = app.cache_stats(c.name))
				stats.push_back(std::move(*st));

	std::string out;
	auto family = [&out](const std::string &name, const char *type, const std::string &help) {
		out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
	};
	auto label = [](const CacheStats &s) { return "{name=\"" + prom_escape(s.info.name) + "\"}"; };

	family("storctl_cache_info", "gauge", "A cache: its mode, target, cache device and origin.");
	for (const CacheStats &s : stats)
		out += "storctl_cache_info{name=\"" + prom_escape(s.info.name) + "\",mode=\"" +
		       std::string(to_string(s.info.mode)) + "\",target=\"" + prom_escape(s.info.target) +
		       "\",cache=\"" + prom_escape(s.info.cache) + "\",origin=\"" +
		       prom_escape(s.info.origin) + "\"} 1\n";
	family("storctl_cache_size_bytes", "gauge", "Size of the cache device-mapper device.");
	for (const CacheStats &s : stats)
		out += "storctl_cache_size_bytes" + label(s) + " " + std::to_string(s.info.size_bytes) + "\n";

	auto is_gauge = [](std::string_view c) {
		return c == "cached_blocks" || c == "total_blocks" || c == "fills_in_flight";
	};
	for (std::size_t i = 0; i < kStorCacheCounters.size(); i++) {
		const std::string_view c = kStorCacheCounters[i];
		const bool gauge = is_gauge(c);
		const std::string name = "storctl_stor_cache_" + std::string(c) + (gauge ? "" : "_total");
		family(name, gauge ? "gauge" : "counter",
		       "stor-cache status field " + std::string(c) + " (docs/dm-stor-cache.md).");
		for (const CacheStats &s : stats)
			if (s.stor_cache)
				out += name + label(s) + " " + std::to_string(s.stor_cache->counters[i]) + "\n";
	}
	struct WbGauge {
		const char *name;
		std::uint64_t (*value)(const WritecacheStatus &);
	};
	static constexpr WbGauge wb_gauges[] = {
		{"total_blocks", [](const WritecacheStatus &w) -> std::uint64_t { return w.total_blocks; }},
		{"free_blocks", [](const WritecacheStatus &w) -> std::uint64_t { return w.free_blocks; }},
		{"writeback_blocks", [](const WritecacheStatus &w) -> std::uint64_t { return w.writeback_blocks; }},
		{"dirty_blocks", [](const WritecacheStatus &w) -> std::uint64_t { return w.dirty_blocks(); }},
	};
	family("storctl_writecache_error", "gauge", "dm-writecache error state (0 or a negative errno).");
	for (const CacheStats &s : stats)
		if (s.writecache)
			out += "storctl_writecache_error" + label(s) + " " + std::to_string(s.writecache->error) + "\n";
	for (const WbGauge &g : wb_gauges) {
		const std::string name = std::string("storctl_writecache_") + g.name;
		family(name, "gauge", std::string("dm-writecache ") + g.name + ".");
		for (const CacheStats &s : stats)
			if (s.writecache)
				out += name + label(s) + " " + std::to_string(g.value(*s.writecache)) + "\n";
	}
	for (std::size_t i = 0; i < kWritecacheCounters.size(); i++) {
		const std::string name = "storctl_writecache_" + std::string(kWritecacheCounters[i]) + "_total";
		family(name, "counter", "dm-writecache status counter " + std::string(kWritecacheCounters[i]) + ".");
		for (const CacheStats &s : stats)
			if (s.writecache && s.writecache->counters)
				out += name + label(s) + " " + std::to_string((*s.writecache->counters)[i]) + "\n";
	}
	return out;
}

std::string render(const App &app)
{
	std::string out;
	out += "# HELP storctl_build_info storctld build information.\n"
	       "# TYPE storctl_build_info gauge\n"
	       "storctl_build_info{version=\"" + prom_escape(kVersion) + "\"} 1\n";

	out += "# HELP storctl_module_loaded Whether a storctl kernel module is loaded.\n"
	       "# TYPE storctl_module_loaded gauge\n";
	for (const char *m : kStorctlModules)
		out += std::string("storctl_module_loaded{module=\"") + m + "\"} " +
		       (module_loaded(app.options().sysfs_root, m) ? "1" : "0") + "\n";

	// Without the module there are no RAM disks to report.
	auto disks = app.ramdisks().list();
	struct Family {
		const char *name, *type, *help;
		std::uint64_t (*value)(const RamdiskInfo &);
	};
	static constexpr Family families[] = {
		{"storctl_ramdisk_size_bytes", "gauge", "Size of the RAM disk.",
		 [](const RamdiskInfo &d) -> std::uint64_t { return d.size_bytes; }},
		{"storctl_ramdisk_used_bytes", "gauge", "Memory holding the RAM disk's data.",
		 [](const RamdiskInfo &d) -> std::uint64_t { return d.used_bytes; }},
		{"storctl_ramdisk_alloc_failures_total", "counter",
		 "Writes to the RAM disk that failed for lack of memory.",
		 [](const RamdiskInfo &d) -> std::uint64_t { return d.alloc_failures; }},
		{"storctl_ramdisk_open_count", "gauge", "Current openers of the RAM disk.",
		 [](const RamdiskInfo &d) -> std::uint64_t { return d.open_count; }},
	};
	for (const Family &f : families) {
		out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " +
		       f.type + "\n";
		if (!disks)
			continue;
		for (const RamdiskInfo &d : *disks)
			out += std::string(f.name) + "{name=\"" + prom_escape(d.name) + "\"} " +
			       std::to_string(f.value(d)) + "\n";
	}
	out += render_caches(app);
	out += app.metrics().render();
	return out;
}

} // namespace

void add_metrics_routes(Router &router, const App &app)
{
	router.add("GET", "/metrics", [&app](const Request &) {
		return Response::text(200, render(app), "text/plain; version=0.0.4; charset=utf-8");
	});
}

} // namespace storctl::daemon
