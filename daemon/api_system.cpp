// SPDX-License-Identifier: MIT
//
// GET /v1/status, GET /v1/resources.
#include <storctl/version.hpp>

#include "app.hpp"
#include "sysinfo.hpp"

namespace storctl::daemon {

namespace {

Json status_json(const App &app)
{
	const AppOptions &o = app.options();
	Json modules = Json::object();
	for (const char *m : kStorctlModules)
		modules[m] = module_loaded(o.sysfs_root, m);

	auto abi = app.ramdisks().abi_version();
	auto report = app.restore_report();
	return Json{
		{"version", std::string(kVersion)},
		{"kernel", Json{{"release", kernel_release()}}},
		{"modules", std::move(modules)},
		{"ramdisk_abi_version", abi ? Json(*abi) : Json(nullptr)},
		{"state_file", o.state_file},
		{"managed", Json{{"ramdisks", app.state().ramdisks.size()},
				 {"caches", app.state().caches.size()}}},
		{"uptime_seconds", static_cast<std::uint64_t>(app.uptime_seconds())},
		{"restore_report", report ? report->to_json() : Json(nullptr)},
	};
}

Json resources_json(const App &app)
{
	Json memory = nullptr;
	if (auto m = read_meminfo(app.options().proc_root))
		memory = Json{{"total_bytes", m->total_bytes},
			      {"free_bytes", m->free_bytes},
			      {"available_bytes", m->available_bytes}};
	Json devices = Json::array();
	for (const BlockDevice &d : block_devices(app.options().sysfs_root))
		devices.push_back(Json{
			{"name", d.name},
			{"path", "/dev/" + d.name},
			{"size_bytes", d.size_bytes},
			{"read_only", d.read_only},
			{"removable", d.removable},
			{"vendor", d.vendor.empty() ? Json(nullptr) : Json(d.vendor)},
			{"model", d.model.empty() ? Json(nullptr) : Json(d.model)},
		});
	return Json{{"memory", std::move(memory)}, {"block_devices", std::move(devices)}};
}

} // namespace

void add_system_routes(Router &router, const App &app)
{
	router.add("GET", "/v1/status", [&app](const Request &) {
		return Response::json(200, status_json(app));
	});
	router.add("GET", "/v1/resources", [&app](const Request &) {
		return Response::json(200, resources_json(app));
	});
}

} // namespace storctl::daemon
