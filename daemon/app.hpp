// SPDX-License-Identifier: MIT
//
// The daemon's application layer: routes, handlers and the services they
// share (RAM disk manager, desired state, metrics).  No sockets here: the
// server (server.hpp) feeds Requests in and sends Responses out, and the
// unit tests call handle() directly.
//
// Concurrency: handlers run on the server's worker threads.  RAM disk reads
// go straight to the library and run concurrently; every mutation (create,
// resize, remove, of RAM disks and caches) holds one mutex for its kernel
// call *and* the state file write, so concurrent clients never observe or
// leave a half-made change.  Cache calls (libdevmapper) additionally take
// cache_mu_, one at a time, reads included; nvmet calls (configfs) take
// nvmet_mu_ likewise.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <storctl/cache.hpp>
#include <storctl/nvmet.hpp>
#include <storctl/ramdisk.hpp>
#include <storctl/rnbd.hpp>
#include <storctl/result.hpp>

#include "http.hpp"
#include "json_input.hpp"
#include "metrics.hpp"
#include "router.hpp"
#include "state.hpp"

namespace storctl::daemon {

/// What stopping did to one managed wb cache (App::flush_write_back_caches).
struct StopFlush {
	std::string name;
	bool ok = false;
	std::uint64_t written_back_blocks = 0;  ///< when ok
	std::string message;                    ///< what was logged
};

struct AppOptions {
	std::string control_path{kDefaultControlPath};
	std::string sysfs_root{kDefaultSysfsRoot};
	std::string proc_root = "/proc";
	std::string state_file;  ///< required
	/// The cache manager (tests: fakes); default libdevmapper and the
	/// real system under sysfs_root.
	std::function<std::unique_ptr<CacheManager>()> make_cache_manager;
	/// The NVMe-oF manager (tests: MemoryConfigFs); default
	/// nvmet::Manager::make_default() (the real configfs tree).
	std::function<std::unique_ptr<nvmet::Manager>()> make_nvmet_manager;
};


class App {
public:
	explicit App(AppOptions options);
	App(const App &) = delete;
	App &operator=(const App &) = delete;

	/// Load the state file and restore what it describes.  Call once,
	/// before serving.
	const RestoreReport &restore();

	/// Route and run one request (Response::route is set).
	Response handle(Request &request) const;

	const Router &router() const { return router_; }
	Metrics &metrics() const { return metrics_; }
	const AppOptions &options() const { return options_; }
	const RamdiskManager &ramdisks() const { return manager_; }

	/// Copy of the desired state.
	State state() const;
	std::optional<RestoreReport> restore_report() const;
	double uptime_seconds() const;

	// Mutations shared by the v1 and RapidDisk-compatible routes: kernel
	// change + state file write, serialised.
	Result<RamdiskInfo> create_ramdisk(const RamdiskCreateOptions &options) const;
	Result<RamdiskInfo> resize_ramdisk(std::string_view name, std::uint64_t size_bytes) const;
	/// Removes the disk, or only its state entry when the kernel has no
	/// such disk but the state does (a disk that could not be restored);
	/// @state_only tells which.
	Result<void> remove_ramdisk(std::string_view name, bool &state_only) const;

	// Caches: reads and mutations through the one CacheManager.
	Result<std::vector<CacheInfo>> list_caches() const;
	Result<CacheInfo> cache_info(std::string_view name) const;
	Result<CacheStats> cache_stats(std::string_view name) const;
	/// Reset the counters; the statistics afterwards.
	Result<CacheStats> clear_cache_stats(std::string_view name) const;
	Result<CacheInfo> create_cache(const CacheCreateOptions &options) const;
	/// Like remove_ramdisk: only the state entry when the kernel has no
	/// such cache but the state does (@state_only; the removal then has
	/// only the name).
	Result<CacheRemoval> remove_cache(std::string_view name, const CacheRemoveOptions &options,
					  bool &state_only) const;
	/// At stop, after the requests in flight: write every wb cache of the
	/// desired state back to its origin, in name order, all within
	/// @timeout (a cache the deadline leaves no time for still gets its
	/// flush message and one look at its status).  The caches stay.  Logs
	/// one line per cache: notice when written back, error otherwise.
	std::vector<StopFlush> flush_write_back_caches(std::chrono::milliseconds timeout) const;

	// NVMe-oF: reads and mutations through the one nvmet::Manager.
	Result<std::vector<nvmet::PortInfo>> nvmet_ports() const;
	Result<std::vector<nvmet::ExportInfo>> nvmet_exports() const;
	/// @volume: srdN, a device-mapper name, a device path or the NQN.
	Result<nvmet::ExportInfo> nvmet_export(std::string_view volume) const;
	Result<nvmet::PortAddResult> add_nvmet_port(const nvmet::PortSpec &spec) const;
	/// Like remove_ramdisk: only the state entry when the kernel has no
	/// such port but the state does (@state_only).
	Result<void> remove_nvmet_port(std::uint16_t id, bool &state_only) const;
	Result<nvmet::ExportResult> export_volume(const nvmet::ExportSpec &spec) const;
	/// Unexport of the whole export; like remove_cache, only the state
	/// entry when the kernel has no such export but the state does.
	/// (Declared below.)  PATCH: removals first, then additions; when an addition fails, the
	/// removals are undone (configfs as before).
	Result<nvmet::ExportInfo> change_export(std::string_view volume, const NvmetExportPatch &change) const;
	Result<nvmet::UnexportResult> unexport_volume(std::string_view volume, bool &state_only) const;
	/// `storctl nvmet unexport`: with hosts, ports or allow_any_host only
	/// those are taken away (the state keeps the export as it is then);
	/// without, like unexport_volume.
	Result<nvmet::UnexportResult> unexport(const nvmet::UnexportSpec &spec, bool &state_only) const;

	// RNBD (api_rnbd.cpp): exports (server) and mappings (client) through
	// rnbd::Manager; the ones made here are kept in the state.
	Result<std::vector<rnbd::ExportInfo>> rnbd_exports() const;
	Result<rnbd::ExportInfo> rnbd_export(const rnbd::ExportSpec &spec) const;
	/// @id: rnbd::export_id().  Like remove_ramdisk: only the state entry
	/// when the kernel has no such export but the state does (@state_only).
	Result<rnbd::ExportInfo> rnbd_unexport(std::string_view id, bool &state_only) const;
	Result<std::vector<rnbd::Mapping>> rnbd_mappings() const;
	Result<rnbd::Mapping> rnbd_map(const rnbd::MapSpec &spec) const;
	/// @name: srnbd<N>.  The mapping it was is returned.
	Result<rnbd::Mapping> rnbd_unmap(std::string_view name, bool force) const;
	const rnbd::Manager &rnbd() const { return rnbd_; }

private:
	/// Apply @change to a copy of the state and write it.  The in-memory
	/// state takes the change when the write succeeds, or regardless with
	/// @keep_on_failure (the kernel already changed; the next successful
	/// write records it).  Caller holds mutate_mu_.
	Result<void> commit(const std::function<void(State &)> &change, bool keep_on_failure) const;

	AppOptions options_;
	RamdiskManager manager_;
	std::unique_ptr<CacheManager> caches_;
	std::unique_ptr<nvmet::Manager> nvmet_;
	StateStore store_;
	rnbd::Manager rnbd_{options_.sysfs_root};
	Router router_;
	mutable Metrics metrics_;
	std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

	mutable std::mutex mutate_mu_;  ///< one mutation at a time
	mutable std::mutex cache_mu_;   ///< one CacheManager call at a time (after mutate_mu_)
	mutable std::mutex nvmet_mu_;   ///< one nvmet::Manager call at a time (after mutate_mu_)
	mutable std::mutex rnbd_mu_;    ///< one RNBD change at a time (after mutate_mu_)
	mutable std::mutex state_mu_;   ///< guards state_ and report_
	mutable State state_;
	std::optional<RestoreReport> report_;
};

// Route registration, one function per resource group (api_*.cpp).
void add_system_routes(Router &router, const App &app);
void add_ramdisk_routes(Router &router, const App &app);
void add_cache_routes(Router &router, const App &app);
void add_rapiddisk_routes(Router &router, const App &app);
void add_nvmet_routes(Router &router, const App &app);
void add_metrics_routes(Router &router, const App &app);
void add_rnbd_routes(Router &router, const App &app);

} // namespace storctl::daemon
