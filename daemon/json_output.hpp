// SPDX-License-Identifier: MIT
//
// JSON objects the API returns.  A RAM disk is the same object as
// `storctl --json ramdisk info` prints (the CLI contract): name, path,
// index, size_bytes, used_bytes, logical_block_size, alloc_failures,
// open_count, numa_node (int or null), read_only, prealloc, overcommit.
// The unit tests check both serialisations agree.
#pragma once

#include <vector>

#include <storctl/ramdisk.hpp>

#include "http.hpp"

namespace storctl::daemon {

Json ramdisk_json(const RamdiskInfo &info);
Json ramdisk_list_json(const std::vector<RamdiskInfo> &disks);

} // namespace storctl::daemon
