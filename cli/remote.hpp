// SPDX-License-Identifier: MIT
//
// `storctl --url URL`: the verbs through storctld's REST API (docs/api.md)
// instead of the library.  The daemon answers with the same JSON objects as
// `storctl --json`; they are read back into the lib structs here, so the
// print layer and the exit codes are the same as for local commands.  A
// failure is the daemon's error object ({"error":{"code","message"}}) as an
// Error whose class comes from errc_from_http() (exit_codes.hpp, the one
// HTTP status -> exit code table).  libcurl lives here and nowhere else.
//
// Environment: STORCTL_URL (when --url is not given), STORCTL_TOKEN_FILE
// (a file holding the bearer token), STORCTL_CACERT (CA certificate(s) in
// PEM for an https:// URL with a certificate the system does not trust).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <storctl/result.hpp>

#include "command.hpp"
#include "output.hpp"

namespace storctl::cli {

inline constexpr const char *kEnvUrl = "STORCTL_URL";
inline constexpr const char *kEnvTokenFile = "STORCTL_TOKEN_FILE";
inline constexpr const char *kEnvCaCert = "STORCTL_CACERT";

struct RemoteOptions {
	std::string url;                   ///< "http://HOST:PORT", no trailing '/'
	std::optional<std::string> token;  ///< bearer token
	std::string ca_file;               ///< "" = libcurl's default
};

/// One HTTP exchange with the daemon.
class RemoteClient {
public:
	explicit RemoteClient(RemoteOptions options) : options_(std::move(options)) {}

	/// @url checked (http:// or https://), token from $STORCTL_TOKEN_FILE,
	/// CA file from $STORCTL_CACERT.
	static Result<RemoteClient> from_env(std::string url);

	/// @method @path (already escaped) with an optional JSON body.  A 2xx
	/// answer: its JSON body; anything else: the daemon's error.
	Result<Json> call(std::string_view method, const std::string &path,
			  const std::optional<Json> &body = std::nullopt) const;

	const RemoteOptions &options() const { return options_; }

private:
	RemoteOptions options_;
};

/// Percent-encode one path segment (everything but [A-Za-z0-9._~-]).
std::string escape_segment(std::string_view segment);

std::unique_ptr<RamdiskService> make_remote_ramdisks(RemoteClient client);
std::unique_ptr<CacheService> make_remote_caches(RemoteClient client);
std::unique_ptr<NvmetService> make_remote_nvmet(RemoteClient client);

// The daemon's objects read back (internal error on a malformed answer).
Result<RamdiskInfo> ramdisk_from_json(const Json &j);
Result<CacheInfo> cache_from_json(const Json &j);
Result<CacheStats> cache_stats_from_json(const Json &j);
/// {"removed","written_back_blocks","deferred"}; the mode comes from the
/// cache the removal was for.
Result<CacheRemoval> cache_removal_from_json(const Json &j, CacheMode mode);
/// The objects of daemon/json_output.hpp (nvmet_port_json, ...); null
/// strings read back as "", a numeric service as its digits.
Result<nvmet::PortInfo> nvmet_port_from_json(const Json &j);
Result<nvmet::ExportInfo> nvmet_export_from_json(const Json &j);
Result<nvmet::UnexportResult> nvmet_unexport_from_json(const Json &j);

/// Request bodies (docs/api.md).
Json ramdisk_create_body(const RamdiskCreateOptions &opts);
Json cache_create_body(const CacheCreateOptions &opts);
Json cache_remove_body(const CacheRemoveOptions &opts);
Json nvmet_port_create_body(const nvmet::PortSpec &spec);
Json nvmet_export_body(const nvmet::ExportSpec &spec);
/// POST /v1/nvmet/actions/unexport.
Json nvmet_unexport_body(const nvmet::UnexportSpec &spec);

} // namespace storctl::cli
