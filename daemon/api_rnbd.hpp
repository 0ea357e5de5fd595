// SPDX-License-Identifier: MIT
//
// Request bodies of /v1/rnbd/... (api_rnbd.cpp), public for the unit tests.
// Same rules as json_input.hpp: 400 for JSON of the wrong type, 422 for
// unknown keys, missing required keys and values the library refuses.
#pragma once

#include <string_view>

#include <storctl/rnbd.hpp>

#include "errors.hpp"
#include "http.hpp"
#include "json_input.hpp"

namespace storctl::daemon {

/// POST /v1/rnbd/exports: {"device_path" (required; "srd0" means
/// /dev/srd0), "session" (string or null: every session), "read_only"}.
ApiResult<rnbd::ExportSpec> parse_rnbd_export_create(std::string_view body);

/// POST /v1/rnbd/mappings: {"session", "paths" (array of
/// "ip:ADDR[@ip:SRC]"), "device_path" (all required), "access" ("ro",
/// "rw", "migration"; default rw), "port" (1..65535)}.
ApiResult<rnbd::MapSpec> parse_rnbd_map_create(std::string_view body);

/// DELETE /v1/rnbd/mappings/{name}: force from "?force=true" or a body
/// {"force": true}.
ApiResult<bool> parse_rnbd_unmap(const Request &req);

} // namespace storctl::daemon
