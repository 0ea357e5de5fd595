// SPDX-License-Identifier: MIT
#include "modules.hpp"

#include <algorithm>

#include <storctl/nvmet.hpp>

#include "log.hpp"

namespace storctl::daemon {

namespace {

void need(std::vector<ModuleNeed> &out, const std::string &module, const std::string &why, bool required)
{
	auto it = std::find_if(out.begin(), out.end(), [&](const ModuleNeed &n) { return n.module == module; });
	if (it == out.end()) {
		out.push_back(ModuleNeed{module, why, required});
		return;
	}
	if (required && !it->required) {
		it->required = true;
		it->why = why;
	} else if (required) {
		it->why += ", " + why;
	}
}

} // namespace

std::vector<ModuleNeed> modules_for_state(const State &state, std::vector<std::string> &problems)
{
	std::vector<ModuleNeed> out;
	// What the API groups need to create anything (the unit's former
	// modprobe lines).
	need(out, "stor_ramdisk", "the RAM disk API", false);
	need(out, "dm-stor-cache", "wt/wa caches", false);
	need(out, "dm-writecache", "wb caches", false);
	need(out, "nvmet", "NVMe-oF", false);
	need(out, "nvmet-tcp", "NVMe-oF tcp ports", false);

	for (const RamdiskSpec &r : state.ramdisks)
		need(out, "stor_ramdisk", "RAM disk srd" + std::to_string(r.index), true);
	for (const CacheSpec &c : state.caches)
		need(out, c.mode == CacheMode::wb ? "dm-writecache" : "dm-stor-cache", "cache " + c.name, true);
	for (const NvmetPortSpec &p : state.nvmet_ports) {
		const std::string what = "NVMe-oF port " + std::to_string(p.id) + " (" + p.transport + ")";
		auto t = nvmet::parse_transport(p.transport);
		if (!t) {
			problems.push_back(what + ": unknown transport, no module loaded for it");
			continue;
		}
		need(out, "nvmet", what, true);
		need(out, std::string(nvmet::transport_module(*t)), what, true);
	}
	for (const NvmetExportSpec &e : state.nvmet_exports)
		need(out, "nvmet", "NVMe-oF export " + e.nqn, true);
	return out;
}

bool load_modules(const std::vector<ModuleNeed> &needs,
		  const std::function<Result<void>(const std::string &)> &load)
{
	bool all_required = true;
	for (const ModuleNeed &n : needs) {
		auto r = load(n.module);
		if (r) {
			log_info("module " + n.module + " loaded (for " + n.why + ")");
			continue;
		}
		if (n.required) {
			all_required = false;
			log_error("module " + n.module + " (needed by the saved state: " + n.why +
				  ") could not be loaded: " + r.error().message);
		} else {
			log_warning("module " + n.module + " (for " + n.why + ") could not be loaded: " +
				    r.error().message);
		}
	}
	return all_required;
}

} // namespace storctl::daemon
