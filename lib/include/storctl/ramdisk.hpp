// SPDX-License-Identifier: MIT
//
// RAM disks (kernel module stor_ramdisk): /dev/srd<N>, controlled through
// /dev/srd-control with the ioctls of <storctl/ramdisk.h>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <storctl/result.hpp>

namespace storctl {

inline constexpr std::string_view kDefaultControlPath = "/dev/srd-control";
inline constexpr std::string_view kDefaultSysfsRoot = "/sys";

/// Disk sizes must be a non-zero multiple of this (the kernel's page size).
inline constexpr std::uint64_t kRamdiskSizeAlign = 4096;

/// One RAM disk, as reported by the kernel (mirrors the CLI's JSON object).
struct RamdiskInfo {
	int index = 0;
	std::string name;                     ///< "srd0"
	std::string path;                     ///< "/dev/srd0"
	std::uint64_t size_bytes = 0;
	std::uint64_t used_bytes = 0;         ///< memory currently holding data
	std::uint32_t logical_block_size = 0; ///< 512 or 4096
	std::uint64_t alloc_failures = 0;     ///< writes failed for lack of memory
	std::uint32_t open_count = 0;
	std::optional<int> numa_node;         ///< nullopt: no NUMA preference
	bool read_only = false;
	bool prealloc = false;
	bool overcommit = false;

	bool operator==(const RamdiskInfo &) const = default;
};

struct RamdiskCreateOptions {
	std::uint64_t size_bytes = 0;           ///< non-zero multiple of 4096
	std::uint32_t logical_block_size = 512; ///< 512 or 4096
	std::optional<int> numa_node;           ///< nullopt: no preference
	bool prealloc = false;                  ///< allocate every page up front
	bool read_only = false;
	bool overcommit = false;                ///< allow size > physical RAM
	std::optional<int> index;               ///< nullopt: lowest free index
};

/// "srd<index>".
std::string ramdisk_name(int index);
/// "/dev/srd<index>".
std::string ramdisk_path(int index);

/// Validate a disk name given by a user: "srd<N>" or "/dev/srd<N>", N a
/// decimal number without leading zeros (except "0") that fits in an int.
/// Returns N, or Errc::invalid_argument naming the bad value.
Result<int> validate_ramdisk_name(std::string_view name);

/// Size checks that need no kernel: non-zero multiple of 4096.
Result<void> validate_ramdisk_size(std::uint64_t size_bytes);

/// 512 or 4096.
Result<void> validate_logical_block_size(std::uint32_t logical_block_size);

/// Physical memory of this machine in bytes (0 if unknown).
std::uint64_t physical_memory_bytes();

/// Manages RAM disks through the control device.  Each call opens the
/// control device for its own duration; the object itself holds no
/// resources and is cheap to copy.
class RamdiskManager {
public:
	/// @control_path: the control device (default /dev/srd-control).
	/// @sysfs_root:   where sysfs is mounted (default /sys); used to
	///                enumerate disks (<root>/block/srd*) and for checks
	///                (<root>/module/stor_ramdisk/parameters/max_disks,
	///                <root>/devices/system/node/online).
	explicit RamdiskManager(std::string control_path = std::string(kDefaultControlPath),
				std::string sysfs_root = std::string(kDefaultSysfsRoot));

	const std::string &control_path() const noexcept { return control_path_; }
	const std::string &sysfs_root() const noexcept { return sysfs_root_; }

	/// Create a disk.  Everything checkable without the kernel is checked
	/// first (see validate_create), so bad input never reaches it.
	Result<RamdiskInfo> create(const RamdiskCreateOptions &opts) const;

	/// Every disk, sorted by index (empty when the module has none).
	/// Fails with Errc::unsupported when the module is not loaded.
	Result<std::vector<RamdiskInfo>> list() const;

	Result<RamdiskInfo> info(int index) const;
	Result<RamdiskInfo> info(std::string_view name) const;

	/// Grow or shrink a disk; returns its new state.  Shrinking an open
	/// disk fails with Errc::busy; so does any resize (growing too) of a
	/// disk with holders (e.g. the cache or origin of a cache), and the
	/// message names the holder.
	Result<RamdiskInfo> resize(int index, std::uint64_t size_bytes) const;
	Result<RamdiskInfo> resize(std::string_view name, std::uint64_t size_bytes) const;

	/// Remove a disk.  Fails with Errc::busy while it is open, mounted or
	/// held (e.g. by a device-mapper table such as a cache; the message
	/// names the holder).
	Result<void> remove(int index) const;
	Result<void> remove(std::string_view name) const;

	/// ABI version reported by the module (SRD_IOC_GET_VERSION).
	Result<std::uint32_t> abi_version() const;

	/// The pre-kernel checks of create(): size, logical block size, index
	/// >= 0 and below the module's max_disks (when sysfs reports it), NUMA
	/// node >= 0 and online (when sysfs reports the online nodes).
	Result<void> validate_create(const RamdiskCreateOptions &opts) const;

	/// The module's max_disks parameter from sysfs, if readable.
	std::optional<int> max_disks() const;

private:
	std::string control_path_;
	std::string sysfs_root_;
};

} // namespace storctl
