// SPDX-License-Identifier: MIT
//
// Request bodies: strict JSON parsing and validation.
//
// 400 (bad_request): not JSON, nested deeper than kMaxJsonDepth, not an
// object, a value of the wrong JSON type (a string for a boolean, 1.0 for
// an integer, ...).  422 (invalid_argument): unknown keys, missing required
// keys, values of the right type that are out of range or rejected by the
// library's checks.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include <storctl/cache.hpp>
#include <storctl/nvmet.hpp>
#include <storctl/ramdisk.hpp>

#include "errors.hpp"

namespace storctl::daemon {

inline constexpr int kMaxJsonDepth = 32;

/// Parse @body as a JSON object.
ApiResult<Json> parse_json_object(std::string_view body);

/// 422 naming the first key of @obj not in @allowed.
std::optional<ApiError> check_keys(const Json &obj, std::initializer_list<std::string_view> allowed);

/// A size: a string in storctl's size syntax ("64M", "1GiB", "4096") or a
/// positive integer of bytes.
ApiResult<std::uint64_t> parse_size_value(const Json &value, std::string_view key);

/// POST /v1/ramdisks: {"size" (required), "logical_block_size",
/// "numa_node" (integer or null), "prealloc", "read_only", "overcommit",
/// "index"}.
ApiResult<RamdiskCreateOptions> parse_ramdisk_create(std::string_view body);

/// PATCH /v1/ramdisks/{name}: {"size"} (required; nothing else can change).
ApiResult<std::uint64_t> parse_ramdisk_patch(std::string_view body);

/// POST /v1/caches: {"cache", "origin", "mode" (required strings; mode
/// "wt", "wa" or "wb"), "name", "block_size" (size), "policy", "tunables"
/// (object of integers), "high_watermark", "low_watermark",
/// "writeback_jobs", "autocommit_blocks", "autocommit_time" (integers)}.
/// Everything CacheManager::validate_create checks is checked here (422).
ApiResult<CacheCreateOptions> parse_cache_create(std::string_view body);

/// DELETE /v1/caches/{name}: no body, or {"force": bool,
/// "timeout_seconds": 1..86400}.
ApiResult<CacheRemoveOptions> parse_cache_remove(std::string_view body);

/// POST /v1/nvmet/ports: {"transport" ("tcp", "rdma", "loop"; default
/// tcp), "address" or "interface" (strings), "service" (1..65535), "id"
/// (1..65534)}.
ApiResult<nvmet::PortSpec> parse_nvmet_port_create(std::string_view body);

/// POST /v1/nvmet/exports: {"volume" (required string), "ports" (array of
/// port ids), "hosts" (array of host NQNs), "allow_any_host" (bool),
/// "nqn" (string)}.  NQN syntax is checked here (422).
ApiResult<nvmet::ExportSpec> parse_nvmet_export_create(std::string_view body);

/// POST /v1/nvmet/actions/unexport: {"volume" (required string), "hosts"
/// (array of host NQNs), "ports" (array of port ids), "allow_any_host"
/// (bool)}: `storctl nvmet unexport`'s arguments.
ApiResult<nvmet::UnexportSpec> parse_nvmet_unexport(std::string_view body);

/// PATCH /v1/nvmet/exports/{volume}.
struct NvmetExportPatch {
	std::vector<std::string> add_hosts, remove_hosts;
	std::vector<std::uint16_t> add_ports, remove_ports;
	std::optional<bool> allow_any_host;

	bool empty() const
	{
		return add_hosts.empty() && remove_hosts.empty() && add_ports.empty() &&
		       remove_ports.empty() && !allow_any_host;
	}
};
/// {"add_hosts", "remove_hosts" (arrays of host NQNs), "add_ports",
/// "remove_ports" (arrays of port ids), "allow_any_host" (bool)}.
ApiResult<NvmetExportPatch> parse_nvmet_export_patch(std::string_view body);

} // namespace storctl::daemon
