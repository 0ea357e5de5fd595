// SPDX-License-Identifier: MIT
//
// A small device-mapper client interface and its libdevmapper
// implementation.  Everything that talks to /dev/mapper/control goes
// through dm::Client, so the logic above it (lib/src/cache.cpp) can be
// tested on the host with a fake client.
//
// Errors carry the ioctl's errno in Error::sys_errno (0 when the request
// never reached the kernel), the classification of errc_from_errno() and a
// message naming the operation and the device.  Callers that know better
// (e.g. EINVAL on a table load means "the target rejected the table") build
// their own message from sys_errno.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <storctl/result.hpp>

namespace storctl::dm {

/// DM_NAME_LEN (128) including the terminating NUL.
inline constexpr std::size_t kMaxNameLength = 127;

/// One line of a table or of a status report.
struct Target {
	std::uint64_t start = 0;   ///< sectors
	std::uint64_t length = 0;  ///< sectors
	std::string type;          ///< "stor-cache", "writecache", "linear", ...
	std::string params;        ///< table parameters or status line

	bool operator==(const Target &) const = default;
};

/// DM_DEVICE_INFO of an existing device.
struct DeviceInfo {
	std::uint32_t major = 0;
	std::uint32_t minor = 0;
	std::int32_t open_count = 0;
	std::uint32_t target_count = 0;
	bool suspended = false;
	bool live_table = false;
	bool inactive_table = false;
};

/// A registered target type (DM_LIST_VERSIONS).
struct TargetType {
	std::string name;
	std::uint32_t version[3] = {0, 0, 0};
};

/// The device-mapper operations storctl needs.  Every call is one ioctl
/// (resume and remove also wait for udev to finish with the device).
class Client {
public:
	virtual ~Client() = default;

	/// Names of every device.
	virtual Result<std::vector<std::string>> list_names() = 0;
	/// Info of @name; nullopt when there is no such device.
	virtual Result<std::optional<DeviceInfo>> info(const std::string &name) = 0;
	/// Live table of @name (DM_TABLE_STATUS).
	virtual Result<std::vector<Target>> table(const std::string &name) = 0;
	/// Status lines of the live table of @name (DM_TABLE_STATUS, INFO).
	virtual Result<std::vector<Target>> status(const std::string &name) = 0;
	/// Registered target types.
	virtual Result<std::vector<TargetType>> target_types() = 0;

	/// Create a device without a table (DM_DEV_CREATE).
	virtual Result<void> create(const std::string &name) = 0;
	/// Load @targets as the inactive table of @name (DM_TABLE_LOAD).
	virtual Result<void> load(const std::string &name, const std::vector<Target> &targets) = 0;
	/// Drop the inactive table of @name (DM_TABLE_CLEAR).
	virtual Result<void> clear_inactive(const std::string &name) = 0;
	/// Suspend @name, flushing outstanding I/O (DM_DEV_SUSPEND).
	virtual Result<void> suspend(const std::string &name) = 0;
	/// Resume @name, swapping in an inactive table if there is one;
	/// waits for udev (device node).
	virtual Result<void> resume(const std::string &name) = 0;
	/// Remove @name (DM_DEV_REMOVE); @deferred: if it is open, remove it
	/// when the last opener closes it.  Waits for udev.
	virtual Result<void> remove(const std::string &name, bool deferred) = 0;
	/// Send @message to the target at sector 0 (DM_TARGET_MSG); returns
	/// the target's response (usually empty).
	virtual Result<std::string> message(const std::string &name, const std::string &message) = 0;
};

/// The libdevmapper client (udev synchronisation through cookies).
/// libdevmapper's own log output is captured into the error messages, not
/// printed.
std::unique_ptr<Client> make_libdm_client();

} // namespace storctl::dm
