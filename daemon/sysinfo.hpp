// SPDX-License-Identifier: MIT
//
// Facts about the machine for /v1/status and /v1/resources, read from
// /proc and sysfs (roots configurable for tests).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace storctl::daemon {

/// Kernel modules /v1/status reports (sysfs names: '-' is '_').
inline constexpr const char *kStorctlModules[] = {"stor_ramdisk", "dm_stor_cache"};

std::string kernel_release();

/// Is <sysfs_root>/module/<name> present?
bool module_loaded(const std::string &sysfs_root, const std::string &name);

struct MemInfo {
	std::uint64_t total_bytes = 0;
	std::uint64_t free_bytes = 0;
	std::uint64_t available_bytes = 0;
};

/// From <proc_root>/meminfo; nullopt if unreadable.
std::optional<MemInfo> read_meminfo(const std::string &proc_root);

struct BlockDevice {
	std::string name;
	std::uint64_t size_bytes = 0;
	bool read_only = false;
	bool removable = false;
	std::string vendor;  ///< "" if the device has none
	std::string model;
};

/// Every entry of <sysfs_root>/block, sorted by name.
std::vector<BlockDevice> block_devices(const std::string &sysfs_root);

} // namespace storctl::daemon
