// SPDX-License-Identifier: MIT
//
// JSON objects the API returns.  A RAM disk is the same object as
// `storctl --json ramdisk info` prints (the CLI contract): name, path,
// index, size_bytes, used_bytes, logical_block_size, alloc_failures,
// open_count, numa_node (int or null), read_only, prealloc, overcommit.
// The unit tests check both serialisations agree.  Caches likewise: a cache,
// its statistics and a removal are the objects `storctl --json cache
// create|list|stats|remove` print (cli/cache.cpp).
#pragma once

#include <vector>

#include <storctl/cache.hpp>
#include <storctl/nvmet.hpp>
#include <storctl/ramdisk.hpp>
#include <storctl/rdma.hpp>
#include <storctl/rnbd.hpp>

#include "http.hpp"

namespace storctl::daemon {

Json ramdisk_json(const RamdiskInfo &info);
Json ramdisk_list_json(const std::vector<RamdiskInfo> &disks);

Json cache_json(const CacheInfo &info);
Json cache_list_json(const std::vector<CacheInfo> &caches);
Json cache_stats_json(const CacheStats &stats);
Json cache_removal_json(const CacheRemoval &removal);

// NVMe-oF: the objects `storctl --json nvmet ...` prints (cli/nvmet.cpp).
Json nvmet_port_json(const nvmet::PortInfo &port);
Json nvmet_port_list_json(const std::vector<nvmet::PortInfo> &ports);
Json nvmet_export_json(const nvmet::ExportInfo &info);
Json nvmet_export_list_json(const std::vector<nvmet::ExportInfo> &exports);
Json nvmet_unexport_json(const nvmet::UnexportResult &result);

// RNBD: the objects `storctl --json rnbd ...` prints (cli/rnbd.cpp) and
// /v1/rnbd/... answers with.
Json rnbd_export_json(const rnbd::ExportInfo &e);
Json rnbd_export_list_json(const std::vector<rnbd::ExportInfo> &exports);
Json rnbd_mapping_json(const rnbd::Mapping &m);
Json rnbd_mapping_list_json(const std::vector<rnbd::Mapping> &mappings);
Json rnbd_server_session_json(const rnbd::ServerSession &s);
Json rnbd_client_session_json(const rnbd::ClientSession &s);
/// {"server": [...] or null, "client": [...] or null}: null when that
/// module is not loaded.
Json rnbd_sessions_json(const std::vector<rnbd::ServerSession> *server,
			const std::vector<rnbd::ClientSession> *client);

// RDMA links (`storctl --json rdma link ...`).
Json rdma_link_json(const rdma::Link &l);
Json rdma_link_list_json(const std::vector<rdma::Link> &links);

} // namespace storctl::daemon
