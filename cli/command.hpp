// SPDX-License-Identifier: MIT
//
// Command groups register themselves (one file per verb group, e.g.
// ramdisk.cpp) with a static CommandRegistrar; main() builds the CLI11 app
// from the registry.  A subcommand's CLI11 callback only records the action
// to run; main() runs it after parsing has finished, so global options given
// after the verb (e.g. --json) are already known.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <storctl/cache.hpp>
#include <storctl/nvmet.hpp>
#include <storctl/ramdisk.hpp>
#include <storctl/result.hpp>

#include "output.hpp"

namespace CLI {
class App;
} // namespace CLI

namespace storctl::cli {

/// Environment overrides (for tests and unusual setups):
///   STORCTL_SRD_CONTROL  control device path (default /dev/srd-control)
///   STORCTL_SYSFS        sysfs root (default /sys)
inline constexpr const char *kEnvSrdControl = "STORCTL_SRD_CONTROL";
inline constexpr const char *kEnvSysfs = "STORCTL_SYSFS";

/// What the ramdisk verbs need (RamdiskManager's operations).
class RamdiskService {
public:
	virtual ~RamdiskService() = default;
	virtual Result<RamdiskInfo> create(const RamdiskCreateOptions &opts) = 0;
	virtual Result<std::vector<RamdiskInfo>> list() = 0;
	virtual Result<RamdiskInfo> info(std::string_view name) = 0;
	virtual Result<RamdiskInfo> resize(int index, std::uint64_t size_bytes) = 0;
	virtual Result<void> remove(int index) = 0;
};

/// What the cache verbs need (CacheManager's operations).
class CacheService {
public:
	virtual ~CacheService() = default;
	virtual Result<CacheInfo> create(const CacheCreateOptions &opts) = 0;
	virtual Result<std::vector<CacheInfo>> list() = 0;
	virtual Result<CacheStats> stats(std::string_view name) = 0;
	virtual Result<CacheRemoval> remove(std::string_view name, const CacheRemoveOptions &opts) = 0;
};

/// What the nvmet verbs need (nvmet::Manager's operations).
class NvmetService {
public:
	virtual ~NvmetService() = default;
	virtual Result<nvmet::PortAddResult> add_port(const nvmet::PortSpec &spec) = 0;
	virtual Result<void> remove_port(std::uint16_t id) = 0;
	virtual Result<std::vector<nvmet::PortInfo>> ports() = 0;
	virtual Result<nvmet::ExportResult> export_volume(const nvmet::ExportSpec &spec) = 0;
	virtual Result<nvmet::UnexportResult> unexport(const nvmet::UnexportSpec &spec) = 0;
	virtual Result<std::vector<nvmet::ExportInfo>> exports() = 0;
};

struct Context;
using Action = std::function<Result<void>(Context &)>;

/// State shared by main() and the command groups for one invocation.
struct Context {
	bool json = false;  ///< global --json
	std::string url;    ///< global --url / STORCTL_URL: "" runs locally
	Action action;      ///< set by the selected subcommand's callback
	std::ostream *out = nullptr;

	OutputFormat format() const { return json ? OutputFormat::json : OutputFormat::text; }
	std::unique_ptr<Printer> printer() const;
	/// A RamdiskManager honouring the environment overrides.
	RamdiskManager ramdisk_manager() const;
	/// RAM disks here, or through storctld at url.
	Result<std::unique_ptr<RamdiskService>> ramdisks() const;
	/// Caches here, or through storctld at url.
	Result<std::unique_ptr<CacheService>> caches() const;
	/// NVMe-oF ports and exports here, or through storctld at url.
	Result<std::unique_ptr<NvmetService>> nvmet() const;
};

using RegisterFn = void (*)(CLI::App &app, Context &ctx);

struct CommandGroup {
	std::string name;
	RegisterFn add;
	bool remote = false;  ///< works with --url
};

/// Registered groups, sorted by name.
const std::vector<CommandGroup> &command_groups();

struct CommandRegistrar {
	CommandRegistrar(std::string name, RegisterFn add, bool remote = false);
};

} // namespace storctl::cli
