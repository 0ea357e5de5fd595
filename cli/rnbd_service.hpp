// SPDX-License-Identifier: MIT
//
// What the rnbd verbs need: rnbd::Manager here, or storctld's /v1/rnbd/...
// with --url (the daemon's JSON read back into the lib structs, so the
// output and exit codes are the same both ways).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <storctl/rnbd.hpp>

#include "command.hpp"
#include "remote.hpp"

namespace storctl::cli {

/// Exports and mappings; a side is nullopt when its module is not loaded.
struct RnbdListing {
	std::optional<std::vector<rnbd::ExportInfo>> exports;
	std::optional<std::vector<rnbd::Mapping>> mappings;
};

struct RnbdSessions {
	std::optional<std::vector<rnbd::ServerSession>> server;
	std::optional<std::vector<rnbd::ClientSession>> client;
};

class RnbdService {
public:
	virtual ~RnbdService() = default;
	virtual Result<rnbd::ExportInfo> export_device(const rnbd::ExportSpec &spec) = 0;
	virtual Result<void> unexport_device(const std::string &device_path, const std::string &session) = 0;
	virtual Result<rnbd::Mapping> map(const rnbd::MapSpec &spec) = 0;
	virtual Result<void> unmap(const std::string &name, bool force) = 0;
	/// Fails (unsupported) only when neither module is loaded.
	virtual Result<RnbdListing> list() = 0;
	virtual Result<RnbdSessions> sessions() = 0;
};

/// The local manager (sysfs root from STORCTL_SYSFS) or, with ctx.url, the daemon.
Result<std::unique_ptr<RnbdService>> rnbd_service(const Context &ctx);
std::unique_ptr<RnbdService> make_local_rnbd(rnbd::Manager m);
std::unique_ptr<RnbdService> make_remote_rnbd(RemoteClient client);

// The daemon's objects read back (internal error on a malformed answer).
Result<rnbd::ExportInfo> rnbd_export_from_json(const Json &j);
Result<rnbd::Mapping> rnbd_mapping_from_json(const Json &j);
Result<RnbdSessions> rnbd_sessions_from_json(const Json &j);
/// Request bodies of POST /v1/rnbd/exports and /v1/rnbd/mappings.
Json rnbd_export_body(const rnbd::ExportSpec &spec);
Json rnbd_map_body(const rnbd::MapSpec &spec);

} // namespace storctl::cli
