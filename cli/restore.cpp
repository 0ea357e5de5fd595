// SPDX-License-Identifier: MIT
//
// `storctl restore`: what storctld does at start, without a daemon -- read
// the desired-state file and recreate the RAM disks and caches it lists
// that are missing, adopt those that exist, never remove anything -- and
// print the report (text, or with --json the object storctld shows as
// restore_report in GET /v1/status).  The state file is only read.  Exit 0
// when nothing failed, 1 when an item could not be restored or the file
// has problems (unreadable, invalid entries).
#include <cstdlib>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <storctl/nvmet.hpp>

#include "command.hpp"
#include "state.hpp"

namespace storctl::cli {

namespace {

void register_restore(CLI::App &app, Context &ctx)
{
	auto file = std::make_shared<std::string>(daemon::kDefaultStateFile);
	auto *c = app.add_subcommand(
		"restore",
		"Recreate the RAM disks, caches, NVMe-oF ports and exports and RNBD exports and mappings "
		"of storctld's state file "
		"that are missing "
		"(adopting those that exist; nothing is removed) and print the report. RAM disk "
		"contents are not kept: recreated disks are empty");
	c->add_option("--state-file", *file, "State file (default /var/lib/storctl/state.json)")
		->type_name("PATH");
	c->callback([&ctx, file] {
		ctx.action = [file](Context &cx) -> Result<void> {
			daemon::StateStore store(*file);
			daemon::StateStore::Loaded loaded = store.load(false);
			daemon::RestoreReport report =
				daemon::restore_ramdisks(cx.ramdisk_manager(), loaded.state);
			const char *sysfs = std::getenv(kEnvSysfs);
			CacheManager mgr = CacheManager::make_default(sysfs && *sysfs ? sysfs
										: std::string(kDefaultSysfsRoot));
			daemon::restore_caches(mgr, loaded.state, report);
			// nvmet is not touched (no module loaded) without ports or exports.
			if (!loaded.state.nvmet_ports.empty() || !loaded.state.nvmet_exports.empty()) {
				nvmet::Manager nm = nvmet::Manager::make_default();
				daemon::restore_nvmet(nm, loaded.state, report);
			}
			// RNBD exports, then mappings (nothing happens without them).
			daemon::restore_rnbd(rnbd::Manager(sysfs && *sysfs ? sysfs
									  : std::string(kDefaultSysfsRoot)),
					     loaded.state, report);
			report.state_file = store.path();
			report.state_file_existed = loaded.existed;
			report.problems = loaded.problems;
			if (cx.json)
				*cx.out << report.to_json().dump() << '\n';
			else
				*cx.out << report.to_text();
			if (const std::size_t failed = report.count("failed"))
				return make_error(Errc::kernel_failure,
						  std::to_string(failed) + " item" + (failed == 1 ? "" : "s") +
						  " of " + *file + " could not be restored (see above)");
			if (const std::size_t n = loaded.problems.size())
				return make_error(Errc::io_error,
						  std::to_string(n) + " problem" + (n == 1 ? "" : "s") +
						  " with " + *file + " (see above)");
			return ok();
		};
	});
}

const CommandRegistrar registrar{"restore", &register_restore};

} // namespace

} // namespace storctl::cli
