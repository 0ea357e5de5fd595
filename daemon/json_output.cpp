// SPDX-License-Identifier: MIT
#include "json_output.hpp"

namespace storctl::daemon {

Json ramdisk_json(const RamdiskInfo &info)
{
	return Json{
		{"name", info.name},
		{"path", info.path},
		{"index", info.index},
		{"size_bytes", info.size_bytes},
		{"used_bytes", info.used_bytes},
		{"logical_block_size", info.logical_block_size},
		{"alloc_failures", info.alloc_failures},
		{"open_count", info.open_count},
		{"numa_node", info.numa_node ? Json(*info.numa_node) : Json(nullptr)},
		{"read_only", info.read_only},
		{"prealloc", info.prealloc},
		{"overcommit", info.overcommit},
	};
}

Json ramdisk_list_json(const std::vector<RamdiskInfo> &disks)
{
	Json a = Json::array();
	for (const RamdiskInfo &d : disks)
		a.push_back(ramdisk_json(d));
	return a;
}

} // namespace storctl::daemon
