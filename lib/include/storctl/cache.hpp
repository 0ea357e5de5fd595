// SPDX-License-Identifier: MIT
//
// Block caches built from device-mapper targets:
//
//   wt, wa  the project's `stor-cache` target (module dm-stor-cache,
//           docs/dm-stor-cache.md): write-through / write-around, the
//           origin always holds every written block;
//   wb      the kernel's `writecache` target (module dm-writecache) with a
//           block-device ("s") cache: write-back, the cache holds data the
//           origin does not have until it is written back.  On a RAM disk
//           cache that data is lost on power loss or crash.
//
// A cache is one device-mapper device /dev/mapper/<name> whose table is a
// single stor-cache or writecache target over the whole origin.  Nothing is
// stored besides the table: mode, cache and origin are always read back from
// it (never derived from the name).
//
// The pure functions (validation, table building, table and status parsing)
// need no kernel.  CacheManager does the work through two small interfaces,
// dm::Client (device-mapper) and CacheSystem (block devices, sysfs, kernel
// modules, time), so it can be tested with fakes.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <storctl/dm.hpp>
#include <storctl/result.hpp>

namespace storctl {

enum class CacheMode { wt, wa, wb };

/// "wt", "wa", "wb".
std::string_view to_string(CacheMode mode) noexcept;
/// "wt", "wa" or "wb"; anything else is invalid_argument.
Result<CacheMode> parse_cache_mode(std::string_view text);

inline constexpr std::string_view kStorCacheTarget = "stor-cache";
inline constexpr std::string_view kWritecacheTarget = "writecache";
inline constexpr std::string_view kStorCacheModule = "dm-stor-cache";
inline constexpr std::string_view kWritecacheModule = "dm-writecache";

/// Default name: this prefix + the origin's basename ("sc_srd1").
inline constexpr std::string_view kDefaultCacheNamePrefix = "sc_";

/// stor-cache (wt, wa) block sizes: a power of two, 4 KiB to 1 MiB.
inline constexpr std::uint32_t kDefaultCacheBlockSize = 64 * 1024;
inline constexpr std::uint32_t kMinCacheBlockSize = 4096;
inline constexpr std::uint32_t kMaxCacheBlockSize = 1024 * 1024;
/// writecache (wb) block sizes: a power of two, 512 B to the page size.
inline constexpr std::uint32_t kDefaultWbBlockSize = 4096;
inline constexpr std::uint32_t kMinWbBlockSize = 512;
inline constexpr std::uint32_t kMaxWbBlockSize = 4096;

/// stor-cache replacement policies (the first is the kernel's default).
inline constexpr std::array<std::string_view, 5> kCachePolicies = {"s3fifo", "2q", "clock",
								   "lru", "fifo"};
/// The stor-cache target accepts at most this many policy tunables.
inline constexpr std::size_t kMaxPolicyTunables = 16;

/// writecache's defaults (for checking low <= high when only one is given).
inline constexpr std::uint32_t kWritecacheDefaultHighWatermark = 50;
inline constexpr std::uint32_t kWritecacheDefaultLowWatermark = 45;
/// writecache rejects a larger autocommit_time.
inline constexpr std::uint32_t kWritecacheMaxAutocommitMs = 3600000;

/// Default time `remove` waits for a write-back cache to become clean.
inline constexpr std::chrono::milliseconds kDefaultFlushTimeout{60000};

/// A device number.
struct DevNo {
	std::uint32_t major = 0;
	std::uint32_t minor = 0;

	/// "M:m".
	std::string str() const;
	bool operator==(const DevNo &) const = default;
};

/// "M:m" (decimal) -> DevNo.
Result<DevNo> parse_devno(std::string_view text);

/// A stor-cache policy tunable (`--tunable KEY=VALUE`).
struct PolicyTunable {
	std::string key;
	std::uint32_t value = 0;

	bool operator==(const PolicyTunable &) const = default;
};

/// writecache options storctl exposes; only those set go into the table.
struct WbTunables {
	std::optional<std::uint32_t> high_watermark;    ///< percent, 0..100
	std::optional<std::uint32_t> low_watermark;     ///< percent, 0..100, <= high
	std::optional<std::uint32_t> writeback_jobs;    ///< >= 1
	std::optional<std::uint32_t> autocommit_blocks; ///< >= 1
	std::optional<std::uint32_t> autocommit_time;   ///< milliseconds, <= 3600000

	bool any() const
	{
		return high_watermark || low_watermark || writeback_jobs || autocommit_blocks ||
		       autocommit_time;
	}
};

// --- validation -------------------------------------------------------------

/// A cache name given by a user: a device-mapper name of 1..127 characters
/// from [A-Za-z0-9_.+:@-], not starting with '-' or '.', without "..".
/// "/dev/mapper/NAME" is accepted and reduced to NAME.  Returns the name.
Result<std::string> validate_cache_name(std::string_view name);

/// "sc_" + basename of @origin_path, validated like a user-given name.
Result<std::string> default_cache_name(std::string_view origin_path);

/// Check a block size in bytes for @mode (power of two; wt/wa 4 KiB..1 MiB,
/// wb 512 B..4 KiB).
Result<void> validate_cache_block_size(std::uint64_t bytes, CacheMode mode);
/// Parse a SIZE (size.hpp syntax) and validate it for @mode.
Result<std::uint32_t> parse_cache_block_size(std::string_view text, CacheMode mode);

/// One of kCachePolicies.
Result<void> validate_cache_policy(std::string_view name);

/// "KEY=VALUE": KEY is [a-z][a-z0-9_]* (not "policy"), VALUE a decimal
/// number that fits in 32 bits.
Result<PolicyTunable> parse_policy_tunable(std::string_view text);

/// Parse the value of a write-back option given as @option ("--high-watermark",
/// "--low-watermark", "--writeback-jobs", "--autocommit-blocks",
/// "--autocommit-time") and store it in @t.  Range checks per option.
Result<void> set_wb_tunable(WbTunables &t, std::string_view option, std::string_view text);

/// Range checks, and low watermark <= high watermark (the kernel's
/// defaults, 45 and 50, stand in for the one not given).
Result<void> validate_wb_tunables(const WbTunables &t);

// --- tables -----------------------------------------------------------------

/// Parameters of a stor-cache table:
/// "<origin> <cache> <block sectors> <wt|wa>[ <n> policy <name> <key> <value>...]".
/// Tunables with the same key collapse to one (first position, last value).
std::string stor_cache_params(DevNo origin, DevNo cache, std::uint32_t block_bytes,
			      CacheMode mode, const std::optional<std::string> &policy,
			      const std::vector<PolicyTunable> &tunables);

/// Parameters of a writecache table with an SSD-type cache:
/// "s <origin> <cache> <block bytes> <n>[ <key> <value>...]", options in the
/// order the kernel prints them (high_watermark low_watermark
/// writeback_jobs autocommit_blocks autocommit_time).
std::string writecache_params(DevNo origin, DevNo cache, std::uint32_t block_bytes,
			      const WbTunables &t);

/// "<start> <length> <type> <params>" (a dmsetup table line).
std::string table_line(const dm::Target &t);

/// What a cache's table says.
struct CacheTable {
	std::string target;        ///< kStorCacheTarget or kWritecacheTarget
	CacheMode mode = CacheMode::wt;
	DevNo origin;
	DevNo cache;
	std::uint32_t block_size = 0;  ///< bytes
	std::optional<std::string> policy;  ///< stor-cache only; nullopt: the default
	/// Optional arguments other than the policy, in table order
	/// (stor-cache tunables; writecache options, flags with an empty value).
	std::vector<std::pair<std::string, std::string>> options;

	bool operator==(const CacheTable &) const = default;
};

/// Parse a live table as printed by the kernel (devices as major:minor).
/// invalid_argument if @t is not a stor-cache or writecache target or its
/// parameters do not parse.
Result<CacheTable> parse_cache_table(const dm::Target &t);

/// Is @type a cache target storctl manages?
bool is_cache_target(std::string_view type) noexcept;

// --- status -----------------------------------------------------------------

/// stor-cache status counters, in status-line order (docs/dm-stor-cache.md).
inline constexpr std::array<std::string_view, 14> kStorCacheCounters = {
	"read_hits",     "read_misses",   "write_hits",    "write_misses",
	"promotions",    "evictions",     "invalidations", "cache_errors",
	"origin_errors", "cached_blocks", "total_blocks",  "promotion_failures",
	"retries",       "fills_in_flight",
};

struct StorCacheStatus {
	std::array<std::uint64_t, 14> counters{};

	std::uint64_t get(std::string_view name) const;  ///< 0 for an unknown name
	/// read_hits / (read_hits + read_misses), 0 when there were no reads.
	double read_hit_ratio() const;
	bool operator==(const StorCacheStatus &) const = default;
};

/// At least 14 decimal counters (later fields, if a newer module adds
/// some, are ignored).
Result<StorCacheStatus> parse_stor_cache_status(std::string_view line);

/// writecache status: 4 fields in old kernels, 14 since Linux 5.15 (both
/// 6.1 and 6.12 print 14).
inline constexpr std::array<std::string_view, 10> kWritecacheCounters = {
	"reads",          "read_hits",      "writes",          "write_hits_uncommitted",
	"write_hits_committed", "writes_around", "writes_allocate",
	"writes_blocked_on_freelist", "flushes", "discards",
};

struct WritecacheStatus {
	std::int64_t error = 0;            ///< 0, or the (negative) errno of the first error
	std::uint64_t total_blocks = 0;
	std::uint64_t free_blocks = 0;
	std::uint64_t writeback_blocks = 0;  ///< being written back right now
	/// kWritecacheCounters, when the kernel reports them.
	std::optional<std::array<std::uint64_t, 10>> counters;

	/// Blocks holding data: dm-writecache frees a block once it has been
	/// written back, so every used block is dirty (or being written back).
	std::uint64_t used_blocks() const
	{
		return total_blocks > free_blocks ? total_blocks - free_blocks : 0;
	}
	std::uint64_t dirty_blocks() const { return used_blocks(); }
	/// read_hits / reads (nullopt without counters; 0 without reads).
	std::optional<double> read_hit_ratio() const;
	bool operator==(const WritecacheStatus &) const = default;
};

Result<WritecacheStatus> parse_writecache_status(std::string_view line);

// --- the manager ------------------------------------------------------------

/// One cache as read back from the kernel.
struct CacheInfo {
	std::string name;
	std::string path;     ///< /dev/mapper/<name>
	std::string target;   ///< "stor-cache" or "writecache"
	CacheMode mode = CacheMode::wt;
	std::string cache;    ///< /dev/... of the cache device ("M:m" if unknown)
	std::string origin;   ///< /dev/... of the origin device
	DevNo cache_devno;
	DevNo origin_devno;
	std::uint32_t block_size = 0;   ///< bytes
	std::uint64_t size_bytes = 0;   ///< size of /dev/mapper/<name>
	std::optional<std::string> policy;  ///< stor-cache: the policy (default filled in)
	std::vector<std::pair<std::string, std::string>> options;  ///< see CacheTable
	std::int32_t open_count = 0;
	bool suspended = false;

	bool operator==(const CacheInfo &) const = default;
};

/// Status of one cache: exactly one of the two is set.
struct CacheStats {
	CacheInfo info;
	std::optional<StorCacheStatus> stor_cache;
	std::optional<WritecacheStatus> writecache;
};

struct CacheCreateOptions {
	std::string cache;   ///< cache device path
	std::string origin;  ///< origin device path
	CacheMode mode = CacheMode::wt;
	std::optional<std::string> name;           ///< default: default_cache_name(origin)
	std::optional<std::uint32_t> block_size;   ///< bytes; default per mode
	std::optional<std::string> policy;         ///< wt/wa only
	std::vector<PolicyTunable> tunables;       ///< wt/wa only
	WbTunables wb;                             ///< wb only
};

struct CacheRemoveOptions {
	/// Remove even while the device is open: the table is first replaced
	/// by a linear mapping of the origin (after a complete write-back for
	/// wb), so openers keep seeing the same data, and the device goes away
	/// when the last opener closes it (deferred remove).
	bool force = false;
	/// wb: how long to wait for the write-back to finish.
	std::chrono::milliseconds flush_timeout = kDefaultFlushTimeout;
};

struct CacheRemoval {
	std::string name;
	CacheMode mode = CacheMode::wt;
	std::uint64_t written_back_blocks = 0;  ///< wb: blocks written back before removal
	bool deferred = false;  ///< still open: removed when the last opener closes it
};

/// A block device as seen by CacheSystem::probe.
struct BlockDevice {
	std::string path;
	DevNo devno;
	std::uint64_t size_bytes = 0;
};

/// The non-device-mapper system services CacheManager needs.
class CacheSystem {
public:
	virtual ~CacheSystem() = default;

	/// @path must exist (not_found) and be a block device
	/// (invalid_argument); it is opened with O_EXCL, which fails with busy
	/// (naming the holder or mount point when known) if it is mounted, held
	/// by another device or open exclusively.
	virtual Result<BlockDevice> probe(const std::string &path) = 0;
	/// Overwrite the first @bytes of @dev with zeros (exclusive open,
	/// synchronous).
	virtual Result<void> wipe(const BlockDevice &dev, std::size_t bytes) = 0;
	/// "/dev/<kernel name>" ("/dev/mapper/<name>" for dm devices) of
	/// @devno, "M:m" when sysfs does not know it.
	virtual std::string device_path(DevNo devno) = 0;
	/// First mount point of @devno, if mounted.
	virtual std::optional<std::string> mount_point(DevNo devno) = 0;
	/// Load a kernel module (libkmod, with its dependencies).
	virtual Result<void> load_module(const std::string &name) = 0;
	virtual std::chrono::steady_clock::time_point now() = 0;
	virtual void sleep(std::chrono::milliseconds d) = 0;
};

/// The real system (sysfs under @sysfs_root, /proc/self/mountinfo, libkmod).
std::unique_ptr<CacheSystem> make_cache_system(std::string sysfs_root = "/sys");

/// Holders of block device @kernel_name (e.g. "srd0") according to
/// <sysfs_root>/block/<kernel_name>/holders: device-mapper holders by their
/// dm name ("sc_srd1"), others by kernel name.  Empty if none or unknown.
std::vector<std::string> block_holders(const std::string &sysfs_root,
				       const std::string &kernel_name);

class CacheManager {
public:
	CacheManager(std::unique_ptr<dm::Client> dm, std::unique_ptr<CacheSystem> sys);

	/// libdevmapper and the real system.
	static CacheManager make_default(std::string sysfs_root = "/sys");

	/// The checks of create() that need neither the kernel nor devices.
	static Result<void> validate_create(const CacheCreateOptions &opts);

	/// Create a cache.  Every check (input, devices exist and are unused and
	/// distinct, name free, target type available) runs before anything
	/// changes; a failure after the device was created removes it again.
	/// wb: the first 4 KiB of the cache device are zeroed, so dm-writecache
	/// starts with empty metadata.
	Result<CacheInfo> create(const CacheCreateOptions &opts);

	/// Every cache (single stor-cache or writecache target), sorted by name.
	Result<std::vector<CacheInfo>> list();

	/// One cache; not_found if there is no such device or it is not a cache.
	Result<CacheInfo> info(std::string_view name);

	Result<CacheStats> stats(std::string_view name);

	/// Reset the target's statistics counters (the "clear_stats" message,
	/// which stor-cache and dm-writecache both accept).
	Result<void> clear_stats(std::string_view name);

	/// Remove a cache.  Refused (busy) while it is open unless
	/// opts.force.  wb: the cache is flushed first and must end up clean
	/// (no dirty block, no error) within opts.flush_timeout; otherwise
	/// nothing is removed.
	Result<CacheRemoval> remove(std::string_view name, const CacheRemoveOptions &opts = {});

	/// Write every dirty block of a wb cache back to its origin (the
	/// dm-writecache "flush" message, then wait until no block is dirty or
	/// being written back, at most @timeout); the cache stays.  Returns how
	/// many blocks were dirty.  invalid_argument for a wt/wa cache, busy
	/// when blocks are still dirty after @timeout, io_error on a write
	/// error.
	Result<std::uint64_t> flush(std::string_view name,
				    std::chrono::milliseconds timeout = kDefaultFlushTimeout);

private:
	Result<void> ensure_target(std::string_view target, std::string_view module);
	Result<CacheInfo> read_cache(const std::string &name, const dm::DeviceInfo &di);
	Result<std::pair<CacheInfo, dm::DeviceInfo>> lookup(std::string_view name);
	Result<WritecacheStatus> writecache_status(const std::string &name);
	Result<std::uint64_t> flush_writecache(const CacheInfo &info,
					       std::chrono::milliseconds timeout, bool removing);
	Result<CacheRemoval> remove_in_place(const CacheInfo &info, const dm::DeviceInfo &di,
					     const CacheRemoveOptions &opts);

	std::unique_ptr<dm::Client> dm_;
	std::unique_ptr<CacheSystem> sys_;
};

} // namespace storctl
