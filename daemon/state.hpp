// SPDX-License-Identifier: MIT
//
// The daemon's desired state and its file.
//
// The state is what the daemon was asked to build: every RAM disk created
// through it (index, size, options), with resizes applied and removals
// dropped.  It is written after every successful change with
// write_file_atomic(): the file is always either the old or the new
// version, never a mix, whatever crashes in between.
//
// At start the daemon restores it (restore_ramdisks, restore_caches, then
// restore_nvmet for NVMe-oF ports and exports):
// a disk that exists is adopted as it is (differences are reported,
// nothing is changed), a missing one is recreated with the same index and
// options -- empty: RAM disk contents are not persisted.  Caches come
// second (they sit on RAM disks): one that exists is adopted, a missing
// one is recreated over the same devices -- cold; a write-back cache only
// when its cache device is a RAM disk this restore recreated (otherwise the
// cache device may hold blocks the origin lacks, and dm-writecache's setup
// would wipe them).  Nothing is ever removed by a restore.
//
// `storctl restore` (cli/restore.cpp) runs the same code without a daemon;
// so this file has no HTTP and no logging (callers log the report).
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <storctl/cache.hpp>
#include <storctl/nvmet.hpp>
#include <storctl/ramdisk.hpp>
#include <storctl/rnbd.hpp>
#include <storctl/result.hpp>

namespace storctl::daemon {

using Json = nlohmann::json;

/// The daemon's default state file (also `storctl restore`'s).
inline constexpr const char *kDefaultStateFile = "/var/lib/storctl/state.json";

inline constexpr int kStateVersion = 1;

struct RamdiskSpec {
	int index = 0;
	std::uint64_t size_bytes = 0;
	std::uint32_t logical_block_size = 512;
	std::optional<int> numa_node;
	bool prealloc = false;
	bool read_only = false;
	bool overcommit = false;

	bool operator==(const RamdiskSpec &) const = default;
};

RamdiskSpec spec_from_info(const RamdiskInfo &info);
RamdiskCreateOptions create_options(const RamdiskSpec &spec);

/// A cache as created through the daemon: the devices as the client named
/// them, the mode and the options it asked for (nullopt/empty: defaults),
/// and the block size the cache got.
struct CacheSpec {
	std::string name;
	CacheMode mode = CacheMode::wt;
	std::string cache;
	std::string origin;
	std::uint32_t block_size = 0;
	std::optional<std::string> policy;
	std::vector<PolicyTunable> tunables;
	WbTunables wb;

	bool operator==(const CacheSpec &o) const;
};

/// @opts as asked, with the name and block size the cache got (@info).
CacheSpec cache_spec(const CacheCreateOptions &opts, const CacheInfo &info);
CacheCreateOptions create_options(const CacheSpec &spec);

/// An NVMe-oF port as the daemon made it (the address resolved: an
/// interface name is recorded as the address it had).
struct NvmetPortSpec {
	std::uint16_t id = 0;
	std::string transport;  ///< "tcp", "rdma", "loop"
	std::string address;    ///< "" for loop
	std::string service;    ///< "" for loop

	bool operator==(const NvmetPortSpec &) const = default;
};

NvmetPortSpec nvmet_port_spec(const nvmet::PortInfo &info);

/// An NVMe-oF export as it is after the daemon's last change to it.
struct NvmetExportSpec {
	std::string nqn;
	std::string volume;  ///< device path of namespace 1
	std::vector<std::string> hosts;
	bool allow_any_host = false;
	std::vector<std::uint16_t> ports;

	bool operator==(const NvmetExportSpec &) const = default;
};

NvmetExportSpec nvmet_export_spec(const nvmet::ExportInfo &info);

/// An RNBD export made through the daemon (server side).
struct RnbdExportSpec {
	std::string device_path;
	std::string session;  ///< "" = every session
	bool read_only = false;

	bool operator==(const RnbdExportSpec &) const = default;
};

/// An RNBD mapping made through the daemon (client side).  Identified by
/// session and server device path: the srnbd<N> name may differ after a
/// restore.
struct RnbdMappingSpec {
	std::string session;
	std::vector<std::string> paths;  ///< "ip:ADDR[@ip:SRC]"
	std::string device_path;
	std::string access = "rw";
	std::optional<std::uint16_t> port;
	std::optional<unsigned> poll_queues;  ///< in the file only when set

	bool operator==(const RnbdMappingSpec &) const = default;
};

/// Conversions to the library's specs (validated: a state entry that does
/// not pass is an error).
Result<rnbd::ExportSpec> rnbd_export_spec(const RnbdExportSpec &spec);
Result<rnbd::MapSpec> rnbd_map_spec(const RnbdMappingSpec &spec);
RnbdMappingSpec rnbd_mapping_spec(const rnbd::MapSpec &spec);

struct State {
	std::vector<RamdiskSpec> ramdisks;  ///< sorted by index, unique indexes
	std::vector<CacheSpec> caches;      ///< sorted by name, unique names
	std::vector<NvmetPortSpec> nvmet_ports;      ///< sorted by id, unique ids
	std::vector<NvmetExportSpec> nvmet_exports;  ///< sorted by NQN, unique NQNs
	std::vector<RnbdExportSpec> rnbd_exports;    ///< sorted by (path, session), unique
	std::vector<RnbdMappingSpec> rnbd_mappings;  ///< sorted by (session, path), unique

	const RamdiskSpec *find(int index) const;
	/// Insert or replace the entry with spec.index.
	void put(const RamdiskSpec &spec);
	/// Remove the entry for @index; false if there was none.
	bool erase(int index);

	const CacheSpec *find_cache(std::string_view name) const;
	void put_cache(const CacheSpec &spec);
	bool erase_cache(std::string_view name);

	const NvmetPortSpec *find_nvmet_port(std::uint16_t id) const;
	void put_nvmet_port(const NvmetPortSpec &spec);
	bool erase_nvmet_port(std::uint16_t id);

	const NvmetExportSpec *find_nvmet_export(std::string_view nqn) const;
	void put_nvmet_export(const NvmetExportSpec &spec);
	bool erase_nvmet_export(std::string_view nqn);

	const RnbdExportSpec *find_rnbd_export(std::string_view device_path, std::string_view session) const;
	void put_rnbd_export(const RnbdExportSpec &spec);
	bool erase_rnbd_export(std::string_view device_path, std::string_view session);

	const RnbdMappingSpec *find_rnbd_mapping(std::string_view session, std::string_view device_path) const;
	void put_rnbd_mapping(const RnbdMappingSpec &spec);
	bool erase_rnbd_mapping(std::string_view session, std::string_view device_path);

	Json to_json() const;
	/// Parse a state document.  Invalid entries are skipped and described
	/// in @problems; a document that is not a state at all is an error.
	static Result<State> from_json(const Json &j, std::vector<std::string> &problems);

	bool operator==(const State &) const = default;
};

/// Replace @path with @content atomically: a temporary file in the same
/// directory (mode 0600) is written and fsync'ed, renamed over @path, and
/// the directory is fsync'ed.  @before_rename (tests) runs after the
/// temporary file is complete, just before the rename.
Result<void> write_file_atomic(const std::string &path, std::string_view content,
			       const std::function<void()> &before_rename = {});

class StateStore {
public:
	explicit StateStore(std::string path) : path_(std::move(path)) {}

	struct Loaded {
		State state;
		bool existed = false;
		std::vector<std::string> problems;
		std::vector<std::string> notes;  ///< housekeeping done (info level)
	};

	/// Read the state file.  Missing: empty state.  Unreadable as a
	/// state: the file is renamed to "<path>.corrupt.<unix time>" (kept
	/// for the admin, never deleted) and the state is empty.  Leftover
	/// temporary files of an interrupted write are removed.  With
	/// @repair false (`storctl restore`, which only reads the file) the
	/// file system is left alone: nothing is renamed or removed.
	Loaded load(bool repair = true) const;

	/// Write @state (creating the directory if needed, mode 0700).
	Result<void> save(const State &state) const;

	const std::string &path() const { return path_; }

private:
	std::string path_;
};

struct RestoreItem {
	std::string name;
	int index = 0;        ///< RAM disks only
	std::string result;   ///< "adopted", "recreated", "failed"
	std::string message;
};

struct RestoreReport {
	std::time_t time = 0;
	std::string state_file;
	bool state_file_existed = false;
	std::vector<std::string> problems;  ///< state file problems
	std::vector<RestoreItem> ramdisks;
	std::vector<RestoreItem> caches;
	std::vector<RestoreItem> nvmet_ports;    ///< name: the port id
	std::vector<RestoreItem> nvmet_exports;  ///< name: the NQN
	std::vector<RestoreItem> rnbd_exports;   ///< name: the export id
	std::vector<RestoreItem> rnbd_mappings;  ///< name: <session>:<device path>

	/// Items (RAM disks, caches, ports, exports) with this result.
	std::size_t count(std::string_view result) const;
	Json to_json() const;
	/// The report as text (`storctl restore`): one line per item.
	std::string to_text() const;
};

/// Bring the kernel to @state's RAM disks as far as possible without
/// destroying anything.  Never fails as a whole; every entry gets a result.
RestoreReport restore_ramdisks(const RamdiskManager &manager, const State &state);

/// Then its caches (same rules), adding them to @report, whose RAM disk
/// items tell which RAM disks were recreated.
void restore_caches(CacheManager &caches, const State &state, RestoreReport &report);

/// Then its NVMe-oF ports and exports (after RAM disks and caches: an
/// export needs its volume).  A port with the saved id, or an export with
/// the saved NQN, that exists is adopted as it is (differences reported);
/// a missing one is recreated.  Nothing is removed.  Does nothing (and
/// touches no module) when the state has no ports and no exports.
void restore_nvmet(nvmet::Manager &nvmet, const State &state, RestoreReport &report);

/// Then its RNBD exports and, after them, its mappings (a mapping may be
/// of a local export).  An export or mapping that exists is adopted; a
/// missing one is made again.  Nothing is removed.  Does nothing when the
/// state has no RNBD entries.
void restore_rnbd(const rnbd::Manager &rnbd, const State &state, RestoreReport &report);

} // namespace storctl::daemon
