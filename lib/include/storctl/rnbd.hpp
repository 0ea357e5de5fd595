// SPDX-License-Identifier: MIT
//
// RNBD remote block devices (docs/rnbd.md): the server exports local block
// devices (stor_rnbd_server), the client maps them as /dev/srnbd<N>
// (stor_rnbd_client).  Both are driven through sysfs text files:
//
//   <sysfs>/class/stor-rnbd-server/ctl/{export,unexport,exports,sessions,paths}
//   <sysfs>/class/stor-rnbd-client/ctl/{map_device,devices,sessions/<name>/}
//   <sysfs>/block/srnbd<N>/stor-rnbd/unmap_device
//
// Every input is checked before anything is written, so bad input changes
// nothing.  The parse_* functions are the one place the modules' text
// tables are read (server and client alike); they are public for the unit
// tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <storctl/result.hpp>

namespace storctl::rnbd {

inline constexpr std::string_view kServerModule = "stor_rnbd_server";
inline constexpr std::string_view kClientModule = "stor_rnbd_client";
inline constexpr std::string_view kServerCtl = "class/stor-rnbd-server/ctl";
inline constexpr std::string_view kClientCtl = "class/stor-rnbd-client/ctl";
/// Limits of the kernel's map_device grammar (include/storctl/rnbd.h).
inline constexpr std::size_t kMaxSessionName = 63;
inline constexpr std::size_t kMaxDevicePath = 255;
inline constexpr std::size_t kMaxPaths = 6;
/// Polled I/O connections of a session (nr_poll_queues), at most.
inline constexpr unsigned kMaxPollQueues = 15;
inline constexpr std::uint16_t kDefaultPort = 1235;

enum class Access { ro, rw, migration };

/// "ro", "rw", "migration".
std::string_view to_string(Access a) noexcept;
Result<Access> parse_access(std::string_view text);

/// A session name: 1..63 characters of [A-Za-z0-9._-] starting with a
/// letter or digit (so never "..", never a '/').
Result<void> validate_session_name(std::string_view name);

/// A device path as the server sees it: absolute, at most 255 bytes, no
/// ".." or "." component, no whitespace or control characters.
/// @what prefixes the message ("device path").
Result<void> validate_device_path(std::string_view path, std::string_view what = "device path");

/// "srd0" -> "/dev/srd0"; an absolute path is returned unchanged.  The
/// result is validated with validate_device_path().
Result<std::string> normalize_device_path(std::string_view device);

/// One path of a session: "ip:<server>[@ip:<source>]", IPv4 or IPv6.
struct PathSpec {
	std::string server;  ///< canonical text (inet_ntop)
	std::string source;  ///< "" when none

	/// Back to the kernel's form: "ip:<server>[@ip:<source>]".
	std::string str() const;
	bool operator==(const PathSpec &) const = default;
};
Result<PathSpec> parse_path(std::string_view text);

/// A client device name: "srnbd<N>" or "/dev/srnbd<N>"; returns "srnbd<N>".
Result<std::string> validate_mapping_name(std::string_view name);

// --- server ------------------------------------------------------------------------

struct ExportSpec {
	std::string device_path;  ///< absolute (normalize_device_path)
	std::string session;      ///< "" = every session
	bool read_only = false;
};

struct ExportInfo {
	std::string device_path;
	std::string session;  ///< "" = every session ("*" in sysfs)
	bool read_only = false;
	bool operator==(const ExportInfo &) const = default;
};

/// The id of an export in URLs: the device path without "/dev/", '/'
/// written as '!', and "@<session>" for a per-session export
/// ("/dev/srd0" -> "srd0", "/dev/mapper/x" + session "web" -> "mapper!x@web").
std::string export_id(const ExportInfo &e);
/// The inverse: device path (validated) and session ("" = every session).
Result<ExportInfo> parse_export_id(std::string_view id);

struct ServerPath {
	std::string client_address;
	std::string state;  ///< connecting, connected, closing
	std::uint32_t io_cons = 0;
	std::uint32_t queue_depth = 0;
	std::uint32_t max_io_size = 0;
};

struct ServerSession {
	std::string name;
	std::uint32_t path_count = 0;
	std::uint32_t device_count = 0;
	bool closing = false;
	std::vector<ServerPath> paths;
};

// --- client ------------------------------------------------------------------------

struct MapSpec {
	std::string session;
	std::vector<PathSpec> paths;  ///< 1..kMaxPaths
	std::string device_path;      ///< on the server
	Access access = Access::rw;
	std::optional<std::uint16_t> port;  ///< default kDefaultPort
	/// nr_poll_queues; the module's default (0) when unset.  Fixed when the
	/// session is created: a map into an existing session must match it.
	std::optional<unsigned> poll_queues;
};

struct Mapping {
	std::string name;         ///< srnbd<N>
	std::string path;         ///< /dev/srnbd<N>
	std::string session;
	std::string device_path;  ///< mapping_path
	std::string access;       ///< ro, rw, migration
	std::string state;        ///< open, disconnected, closing, closed
	bool operator==(const Mapping &) const = default;
};

struct ClientPath {
	std::uint32_t index = 0;
	std::string address;  ///< "ip:<server>[@ip:<source>]"
	std::string state;    ///< connecting, connected, error, disconnected
	std::uint64_t inflight = 0;
	std::uint64_t requests = 0;
	std::uint64_t errors = 0;
	std::uint64_t reconnects = 0;
	std::uint64_t mr_writes = 0;  ///< writes sent through a registered MR
	std::uint64_t polled = 0;     ///< requests sent from a poll queue
	std::uint64_t bounce_reads = 0; ///< small reads through a landing buffer
};

struct ClientSession {
	std::string name;
	std::string state;  ///< connected, disconnected, closing
	std::vector<ClientPath> paths;
	std::vector<std::string> devices;  ///< srnbd<N>
};

// --- the kernel's text tables ---------------------------------------------------------

/// Split a sysfs table into lines of whitespace-separated fields; empty
/// lines are skipped.
std::vector<std::vector<std::string>> split_table(std::string_view text);

/// server ctl/exports: "<path> sessname=<name|*> access_mode=<ro|rw>"
Result<std::vector<ExportInfo>> parse_exports(std::string_view text);
/// server ctl/sessions: "<name> paths=<n> devices=<n>[ closing]" (paths empty)
Result<std::vector<ServerSession>> parse_server_sessions(std::string_view text);
/// server ctl/paths: adds the paths to @sessions (by session name).
Result<void> parse_server_paths(std::string_view text, std::vector<ServerSession> &sessions);
/// client ctl/devices: "<srnbdN> <session> <device_path> <access> <state>"
Result<std::vector<Mapping>> parse_mappings(std::string_view text);
/// client sessions/<name>/paths: "<index> <addr> <state> inflight=<n> ..."
Result<std::vector<ClientPath>> parse_client_paths(std::string_view text);

/// The line written to the server's export file.
std::string export_command(const ExportSpec &spec);
/// The line written to the server's unexport file.
std::string unexport_command(std::string_view device_path, std::string_view session);
/// The line written to the client's map_device file.
std::string map_command(const MapSpec &spec);

/// Validate a whole spec (names, paths, counts) without touching the kernel.
Result<void> validate(const ExportSpec &spec);
Result<void> validate(const MapSpec &spec);

/// The error for a failed write of @op ("export", "map", "unmap",
/// "unexport") to a ctl file, by errno: EBUSY busy, ENOENT not found,
/// EEXIST exists, EINVAL invalid, EACCES (map: not exported) not found, ...
Error write_error(std::string_view op, int err, std::string_view subject);

// --- the manager ----------------------------------------------------------------------

class Manager {
public:
	/// @sysfs_root: where sysfs is mounted (tests: a directory tree).
	explicit Manager(std::string sysfs_root = "/sys");

	const std::string &sysfs_root() const noexcept { return root_; }

	/// Server side.  Errors: unsupported when stor_rnbd_server is not
	/// loaded.
	Result<ExportInfo> export_device(const ExportSpec &spec) const;
	Result<void> unexport_device(std::string_view device, std::string_view session) const;
	Result<std::vector<ExportInfo>> exports() const;
	Result<std::vector<ServerSession>> server_sessions() const;

	/// Client side.  Errors: unsupported when stor_rnbd_client is not
	/// loaded.
	Result<Mapping> map(const MapSpec &spec) const;
	Result<void> unmap(std::string_view name, bool force) const;
	Result<std::vector<Mapping>> mappings() const;
	Result<std::vector<ClientSession>> client_sessions() const;

	/// Whether the modules' control directories exist.
	bool server_loaded() const;
	bool client_loaded() const;

private:
	Result<std::string> read(const std::string &rel) const;
	Result<void> write(const std::string &rel, const std::string &line, std::string_view op,
			   std::string_view subject) const;
	Result<void> need_server() const;
	Result<void> need_client() const;

	std::string root_;
};

} // namespace storctl::rnbd
