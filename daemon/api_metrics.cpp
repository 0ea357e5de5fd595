// SPDX-License-Identifier: MIT
//
// GET /metrics: Prometheus text exposition format 0.0.4.
#include <storctl/version.hpp>

#include "app.hpp"
#include "sysinfo.hpp"

namespace storctl::daemon {

namespace {

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
