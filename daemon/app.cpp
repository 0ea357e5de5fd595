// SPDX-License-Identifier: MIT
#include "app.hpp"

#include <algorithm>

#include <storctl/size.hpp>

#include "log.hpp"

namespace storctl::daemon {

App::App(AppOptions options)
	: options_(std::move(options)),
	  manager_(options_.control_path, options_.sysfs_root),
	  caches_(options_.make_cache_manager
			  ? options_.make_cache_manager()
			  : std::make_unique<CacheManager>(CacheManager::make_default(options_.sysfs_root))),
	  nvmet_(options_.make_nvmet_manager
			 ? options_.make_nvmet_manager()
			 : std::make_unique<nvmet::Manager>(nvmet::Manager::make_default())),
	  store_(options_.state_file)
{
	add_system_routes(router_, *this);
	add_ramdisk_routes(router_, *this);
	add_cache_routes(router_, *this);
	add_rapiddisk_routes(router_, *this);
	add_nvmet_routes(router_, *this);
	add_metrics_routes(router_, *this);
	add_rnbd_routes(router_, *this);
}

const RestoreReport &App::restore()
{
	StateStore::Loaded loaded = store_.load();
	for (const std::string &n : loaded.notes)
		log_info("state: " + n);
	for (const std::string &p : loaded.problems)
		log_error("state: " + p);
	RestoreReport report = restore_ramdisks(manager_, loaded.state);
	{
		std::lock_guard lock(cache_mu_);
		restore_caches(*caches_, loaded.state, report);
	}
	{
		std::lock_guard lock(nvmet_mu_);
		restore_nvmet(*nvmet_, loaded.state, report);
	}
	{
		std::lock_guard lock(rnbd_mu_);
		restore_rnbd(rnbd_, loaded.state, report);
	}
	report.state_file = store_.path();
	report.state_file_existed = loaded.existed;
	report.problems = loaded.problems;
	for (const auto *items : {&report.ramdisks, &report.caches})
		for (const RestoreItem &i : *items)
			log(i.result == "failed" ? LogLevel::error : LogLevel::notice,
			    "restore " + i.name + ": " + i.result + ": " + i.message);
	for (const RestoreItem &i : report.nvmet_ports)
		log(i.result == "failed" ? LogLevel::error : LogLevel::notice,
		    "restore nvmet port " + i.name + ": " + i.result + ": " + i.message);
	for (const RestoreItem &i : report.nvmet_exports)
		log(i.result == "failed" ? LogLevel::error : LogLevel::notice,
		    "restore nvmet export " + i.name + ": " + i.result + ": " + i.message);
	for (const auto *items : {&report.rnbd_exports, &report.rnbd_mappings})
		for (const RestoreItem &i : *items)
			log(i.result == "failed" ? LogLevel::error : LogLevel::notice,
			    std::string(items == &report.rnbd_exports ? "restore rnbd export "
								      : "restore rnbd mapping ") +
			    i.name + ": " + i.result + ": " + i.message);
	log_notice("restore from " + store_.path() + ": " + std::to_string(report.count("adopted")) +
		   " adopted, " + std::to_string(report.count("recreated")) + " recreated, " +
		   std::to_string(report.count("failed")) + " failed" +
		   (std::any_of(report.ramdisks.begin(), report.ramdisks.end(),
			       [](const RestoreItem &i) { return i.result == "recreated"; })
			   ? " (RAM disk contents are not persisted: recreated disks are empty)" : ""));

	std::lock_guard lock(state_mu_);
	state_ = std::move(loaded.state);
	report_ = std::move(report);
	return *report_;
}

namespace {

// "application/json", optionally with parameters ("; charset=utf-8").
bool is_json_media_type(std::string_view ct)
{
	std::string_view type = ct.substr(0, ct.find(';'));
	while (!type.empty() && type.back() == ' ')
		type.remove_suffix(1);
	constexpr std::string_view want = "application/json";
	if (type.size() != want.size())
		return false;
	for (std::size_t i = 0; i < want.size(); i++) {
		char c = type[i];
		if (c >= 'A' && c <= 'Z')
			c = static_cast<char>(c - 'A' + 'a');
		if (c != want[i])
			return false;
	}
	return true;
}

} // namespace

Response App::handle(Request &request) const
{
	Router::Match m = router_.match(request.method, request.path);
	if (m.outcome != Router::Outcome::found)
		return Router::error_for(m, request.method, request.path);
	Response r;
	if (!request.body.empty() && !request.content_type.empty() &&
	    !is_json_media_type(request.content_type)) {
		r = error_response(unsupported_media_type(request.content_type));
	} else {
		request.params = std::move(m.params);
		r = m.route->handler(request);
	}
	r.route = m.route->pattern;
	return r;
}

State App::state() const
{
	std::lock_guard lock(state_mu_);
	return state_;
}

std::optional<RestoreReport> App::restore_report() const
{
	std::lock_guard lock(state_mu_);
	return report_;
}

double App::uptime_seconds() const
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

Result<void> App::commit(const std::function<void(State &)> &change, bool keep_on_failure) const
{
	State next = state();
	change(next);
	auto r = store_.save(next);
	if (r || keep_on_failure) {
		std::lock_guard lock(state_mu_);
		state_ = std::move(next);
	}
	return r;
}

Result<RamdiskInfo> App::create_ramdisk(const RamdiskCreateOptions &options) const
{
	std::lock_guard lock(mutate_mu_);
	auto info = manager_.create(options);
	if (!info)
		return info;
	if (auto r = commit([&](State &s) { s.put(spec_from_info(*info)); }, false); !r) {
		// Not recorded means not made: undo, so a restart cannot
		// disagree with what the client was told.
		auto undo = manager_.remove(info->index);
		log_error("cannot save the state after creating " + info->name + ": " + r.error().message +
			  (undo ? "; removed it again" : "; and removing it failed: " + undo.error().message));
		return make_error(Errc::io_error, "cannot save the state file (" + r.error().message +
				  "); the RAM disk was not created");
	}
	log_info("created " + info->name + " (" + format_size(info->size_bytes) + ")");
	return info;
}

Result<RamdiskInfo> App::resize_ramdisk(std::string_view name, std::uint64_t size_bytes) const
{
	std::lock_guard lock(mutate_mu_);
	auto info = manager_.resize(name, size_bytes);
	if (!info)
		return info;
	const bool managed = state().find(info->index) != nullptr;
	if (managed) {
		if (auto r = commit([&](State &s) { s.put(spec_from_info(*info)); }, true); !r) {
			log_error("cannot save the state after resizing " + info->name + ": " +
				  r.error().message);
			return make_error(Errc::io_error,
					  info->name + " was resized to " + format_size(info->size_bytes) +
					  " but the state file could not be written (" + r.error().message +
					  "); it is written with the next successful change");
		}
	}
	log_info("resized " + info->name + " to " + format_size(info->size_bytes));
	return info;
}

Result<void> App::remove_ramdisk(std::string_view name, bool &state_only) const
{
	state_only = false;
	auto index = validate_ramdisk_name(name);
	if (!index)
		return std::move(index).error();
	std::lock_guard lock(mutate_mu_);
	const std::string disk = ramdisk_name(*index);
	auto r = manager_.remove(*index);
	const bool managed = state().find(*index) != nullptr;
	if (!r) {
		if (r.error().code != Errc::not_found || !managed)
			return r;
		state_only = true;
	}
	if (managed) {
		if (auto w = commit([&](State &s) { s.erase(*index); }, true); !w) {
			log_error("cannot save the state after removing " + disk + ": " + w.error().message);
			return make_error(Errc::io_error,
					  disk + (state_only ? " was dropped from the desired state" : " was removed") +
					  " but the state file could not be written (" + w.error().message +
					  "); it is written with the next successful change");
		}
	}
	log_info(state_only ? "dropped " + disk + " from the desired state (it did not exist)"
			    : "removed " + disk);
	return ok();
}

Result<std::vector<CacheInfo>> App::list_caches() const
{
	std::lock_guard lock(cache_mu_);
	return caches_->list();
}

Result<CacheInfo> App::cache_info(std::string_view name) const
{
	std::lock_guard lock(cache_mu_);
	return caches_->info(name);
}

Result<CacheStats> App::cache_stats(std::string_view name) const
{
	std::lock_guard lock(cache_mu_);
	return caches_->stats(name);
}

Result<CacheStats> App::clear_cache_stats(std::string_view name) const
{
	std::lock_guard lock(cache_mu_);
	if (auto r = caches_->clear_stats(name); !r)
		return std::move(r).error();
	log_info("cleared the statistics of " + std::string(name));
	return caches_->stats(name);
}

Result<CacheInfo> App::create_cache(const CacheCreateOptions &options) const
{
	std::lock_guard lock(mutate_mu_);
	std::lock_guard cache_lock(cache_mu_);
	auto info = caches_->create(options);
	if (!info)
		return info;
	if (auto r = commit([&](State &s) { s.put_cache(cache_spec(options, *info)); }, false); !r) {
		// As for RAM disks: not recorded means not made.
		auto undo = caches_->remove(info->name);
		log_error("cannot save the state after creating cache " + info->name + ": " +
			  r.error().message +
			  (undo ? "; removed it again" : "; and removing it failed: " + undo.error().message));
		return make_error(Errc::io_error, "cannot save the state file (" + r.error().message +
				  "); the cache was not created");
	}
	log_info("created cache " + info->name + " (" + std::string(to_string(info->mode)) + ", cache " +
		 info->cache + ", origin " + info->origin + ")");
	return info;
}

Result<CacheRemoval> App::remove_cache(std::string_view name_in, const CacheRemoveOptions &options,
				       bool &state_only) const
{
	state_only = false;
	auto name = validate_cache_name(name_in);
	if (!name)
		return std::move(name).error();
	std::lock_guard lock(mutate_mu_);
	std::lock_guard cache_lock(cache_mu_);
	const bool managed = state().find_cache(*name) != nullptr;
	auto r = caches_->remove(*name, options);
	if (!r) {
		if (r.error().code != Errc::not_found || !managed)
			return r;
		state_only = true;
		CacheRemoval gone;
		gone.name = *name;
		gone.mode = state().find_cache(*name)->mode;
		r = gone;
	}
	if (managed) {
		if (auto w = commit([&](State &s) { s.erase_cache(*name); }, true); !w) {
			log_error("cannot save the state after removing cache " + *name + ": " +
				  w.error().message);
			return make_error(Errc::io_error,
					  *name + (state_only ? " was dropped from the desired state" : " was removed") +
					  " but the state file could not be written (" + w.error().message +
					  "); it is written with the next successful change");
		}
	}
	log_info(state_only ? "dropped cache " + *name + " from the desired state (it did not exist)"
			    : "removed cache " + *name);
	return r;
}

std::vector<StopFlush> App::flush_write_back_caches(std::chrono::milliseconds timeout) const
{
	std::vector<StopFlush> out;
	std::lock_guard lock(mutate_mu_);
	std::lock_guard cache_lock(cache_mu_);
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	for (const CacheSpec &c : state().caches) {
		if (c.mode != CacheMode::wb)
			continue;
		StopFlush f;
		f.name = c.name;
		const auto left = std::max(std::chrono::milliseconds(0),
					   std::chrono::duration_cast<std::chrono::milliseconds>(
						   deadline - std::chrono::steady_clock::now()));
		auto n = caches_->flush(c.name, left);
		if (n) {
			f.ok = true;
			f.written_back_blocks = *n;
			f.message = "stop: write-back cache " + c.name + ": " + std::to_string(*n) +
				    " dirty blocks written back to the origin " + c.origin;
			log_notice(f.message);
		} else {
			f.message = "stop: write-back cache " + c.name + " not flushed: " +
				    n.error().message;
			log_error(f.message);
		}
		out.push_back(std::move(f));
	}
	return out;
}

Result<std::vector<nvmet::PortInfo>> App::nvmet_ports() const
{
	std::lock_guard lock(nvmet_mu_);
	return nvmet_->ports();
}

Result<std::vector<nvmet::ExportInfo>> App::nvmet_exports() const
{
	std::lock_guard lock(nvmet_mu_);
	return nvmet_->exports();
}

Result<nvmet::ExportInfo> App::nvmet_export(std::string_view volume) const
{
	std::lock_guard lock(nvmet_mu_);
	return nvmet_->find_export(volume);
}

namespace {

Error state_write_error(const std::string &what, const Error &w)
{
	return make_error(Errc::io_error, what + " but the state file could not be written (" + w.message +
			  "); it is written with the next successful change");
}

} // namespace

Result<nvmet::PortAddResult> App::add_nvmet_port(const nvmet::PortSpec &spec) const
{
	std::lock_guard lock(mutate_mu_);
	std::lock_guard nvmet_lock(nvmet_mu_);
	auto r = nvmet_->add_port(spec);
	if (!r)
		return r;
	const std::string port = "NVMe-oF port " + std::to_string(r->port.id);
	if (!r->created) {
		log_info(port + " already exists with this address: reused");
		return r;
	}
	if (auto w = commit([&](State &s) { s.put_nvmet_port(nvmet_port_spec(r->port)); }, false); !w) {
		// Not recorded means not made.
		auto undo = nvmet_->remove_port(r->port.id);
		log_error("cannot save the state after creating " + port + ": " + w.error().message +
			  (undo ? "; removed it again" : "; and removing it failed: " + undo.error().message));
		return make_error(Errc::io_error, "cannot save the state file (" + w.error().message +
				  "); the port was not created");
	}
	log_info("created " + port + " (" + r->port.transport +
		 (r->port.address.empty() ? "" : " " + r->port.address + ":" + r->port.service) + ")");
	return r;
}

Result<void> App::remove_nvmet_port(std::uint16_t id, bool &state_only) const
{
	state_only = false;
	std::lock_guard lock(mutate_mu_);
	std::lock_guard nvmet_lock(nvmet_mu_);
	const std::string port = "NVMe-oF port " + std::to_string(id);
	const bool managed = state().find_nvmet_port(id) != nullptr;
	auto r = nvmet_->remove_port(id);
	if (!r) {
		if (r.error().code != Errc::not_found || !managed)
			return r;
		state_only = true;
	}
	if (managed)
		if (auto w = commit([&](State &s) { s.erase_nvmet_port(id); }, true); !w) {
			log_error("cannot save the state after removing " + port + ": " + w.error().message);
			return state_write_error(port + (state_only ? " was dropped from the desired state"
								    : " was removed"), w.error());
		}
	log_info(state_only ? "dropped " + port + " from the desired state (it did not exist)"
			    : "removed " + port);
	return ok();
}

Result<nvmet::ExportResult> App::export_volume(const nvmet::ExportSpec &spec) const
{
	std::lock_guard lock(mutate_mu_);
	std::lock_guard nvmet_lock(nvmet_mu_);
	auto r = nvmet_->export_volume(spec);
	if (!r)
		return r;
	const nvmet::ExportInfo &e = r->info;
	if (r->created) {
		if (auto w = commit([&](State &s) { s.put_nvmet_export(nvmet_export_spec(e)); }, false); !w) {
			nvmet::UnexportSpec u;
			u.volume = e.nqn;
			auto undo = nvmet_->unexport(u);
			log_error("cannot save the state after exporting " + e.volume + ": " + w.error().message +
				  (undo ? "; unexported it again" : "; and unexporting failed: " + undo.error().message));
			return make_error(Errc::io_error, "cannot save the state file (" + w.error().message +
					  "); the volume was not exported");
		}
		log_info("exported " + e.volume + " as " + e.nqn);
		return r;
	}
	if (state().find_nvmet_export(e.nqn))
		if (auto w = commit([&](State &s) { s.put_nvmet_export(nvmet_export_spec(e)); }, true); !w) {
			log_error("cannot save the state after changing the export " + e.nqn + ": " +
				  w.error().message);
			return state_write_error("the export " + e.nqn + " was changed", w.error());
		}
	log_info("updated the export " + e.nqn);
	return r;
}

Result<nvmet::ExportInfo> App::change_export(std::string_view volume, const NvmetExportPatch &change) const
{
	std::lock_guard lock(mutate_mu_);
	std::lock_guard nvmet_lock(nvmet_mu_);
	auto cur = nvmet_->find_export(volume);
	if (!cur)
		return cur;
	const std::string nqn = cur->nqn;

	// Removals first (switching from a host list to any host, or back,
	// needs the old access withdrawn before the new one is set).
	nvmet::UnexportSpec rm;
	rm.volume = nqn;
	rm.hosts = change.remove_hosts;
	rm.ports = change.remove_ports;
	rm.allow_any_host = change.allow_any_host == false && cur->allow_any_host;
	std::optional<nvmet::UnexportResult> removed;
	if (!rm.hosts.empty() || !rm.ports.empty() || rm.allow_any_host) {
		auto r = nvmet_->unexport(rm);
		if (!r)
			return std::move(r).error();
		removed = std::move(*r);
	}

	nvmet::ExportSpec add;
	add.volume = cur->volume;
	add.nqn = nqn;
	add.hosts = change.add_hosts;
	add.ports = change.add_ports;
	add.allow_any_host = change.allow_any_host == true && !cur->allow_any_host;
	if (!add.hosts.empty() || !add.ports.empty() || add.allow_any_host) {
		if (auto r = nvmet_->export_volume(add); !r) {
			Error err = std::move(r).error();
			if (removed) {
				// Put back what the first step took away.
				nvmet::ExportSpec back;
				back.volume = cur->volume;
				back.nqn = nqn;
				back.hosts = removed->hosts_removed;
				back.ports = removed->ports_removed;
				back.allow_any_host = removed->any_host_revoked;
				auto undo = nvmet_->export_volume(back);
				err.message += undo ? " (the removals of this change were undone: nothing was changed)"
						    : "; and undoing the removals of this change failed (" +
						      undo.error().message + "): the export may lack hosts or ports";
			}
			return err;
		}
	}

	auto now = nvmet_->find_export(nqn);
	if (!now)
		return now;
	if (state().find_nvmet_export(nqn))
		if (auto w = commit([&](State &s) { s.put_nvmet_export(nvmet_export_spec(*now)); }, true); !w) {
			log_error("cannot save the state after changing the export " + nqn + ": " + w.error().message);
			return state_write_error("the export " + nqn + " was changed", w.error());
		}
	log_info("changed the export " + nqn);
	return now;
}

Result<nvmet::UnexportResult> App::unexport(const nvmet::UnexportSpec &spec, bool &state_only) const
{
	if (spec.hosts.empty() && spec.ports.empty() && !spec.allow_any_host)
		return unexport_volume(spec.volume, state_only);
	state_only = false;
	std::lock_guard lock(mutate_mu_);
	std::lock_guard nvmet_lock(nvmet_mu_);
	auto r = nvmet_->unexport(spec);
	if (!r)
		return r;
	auto now = nvmet_->find_export(r->nqn);
	if (!now)
		return std::move(now).error();
	if (state().find_nvmet_export(r->nqn))
		if (auto w = commit([&](State &s) { s.put_nvmet_export(nvmet_export_spec(*now)); }, true); !w) {
			log_error("cannot save the state after changing the export " + r->nqn + ": " +
				  w.error().message);
			return state_write_error("the export " + r->nqn + " was changed", w.error());
		}
	log_info("changed the export " + r->nqn);
	return r;
}

Result<nvmet::UnexportResult> App::unexport_volume(std::string_view volume, bool &state_only) const
{
	state_only = false;
	std::lock_guard lock(mutate_mu_);
	std::lock_guard nvmet_lock(nvmet_mu_);
	nvmet::UnexportSpec u;
	u.volume = std::string(volume);
	auto r = nvmet_->unexport(u);
	if (!r) {
		if (r.error().code != Errc::not_found)
			return r;
		// A saved export that could not be restored: drop it.
		const NvmetExportSpec *saved = nullptr;
		State st = state();
		for (const NvmetExportSpec &x : st.nvmet_exports)
			if (x.nqn == volume || x.volume == volume || nvmet::volume_label(x.volume) == volume)
				saved = &x;
		if (!saved)
			return r;
		state_only = true;
		nvmet::UnexportResult gone;
		gone.nqn = saved->nqn;
		gone.volume = saved->volume;
		gone.removed = true;
		r = gone;
	}
	if (state().find_nvmet_export(r->nqn))
		if (auto w = commit([&](State &s) { s.erase_nvmet_export(r->nqn); }, true); !w) {
			log_error("cannot save the state after unexporting " + r->nqn + ": " + w.error().message);
			return state_write_error(r->nqn + (state_only ? " was dropped from the desired state"
								       : " was unexported"), w.error());
		}
	log_info(state_only ? "dropped the export " + r->nqn + " from the desired state (it did not exist)"
			    : "unexported " + r->volume + " (" + r->nqn + ")");
	return r;
}

} // namespace storctl::daemon
