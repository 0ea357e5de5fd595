// SPDX-License-Identifier: MIT
#include "command.hpp"
#include "remote.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace storctl::cli {

namespace {

std::vector<CommandGroup> &registry()
{
	static std::vector<CommandGroup> groups;
	return groups;
}

std::string env_or(const char *name, std::string_view fallback)
{
	const char *v = std::getenv(name);
	return v && *v ? std::string(v) : std::string(fallback);
}

class LocalRamdisks final : public RamdiskService {
public:
	explicit LocalRamdisks(RamdiskManager m) : m_(std::move(m)) {}
	Result<RamdiskInfo> create(const RamdiskCreateOptions &opts) override { return m_.create(opts); }
	Result<std::vector<RamdiskInfo>> list() override { return m_.list(); }
	Result<RamdiskInfo> info(std::string_view name) override { return m_.info(name); }
	Result<RamdiskInfo> resize(int index, std::uint64_t size) override { return m_.resize(index, size); }
	Result<void> remove(int index) override { return m_.remove(index); }

private:
	RamdiskManager m_;
};

class LocalCaches final : public CacheService {
public:
	explicit LocalCaches(CacheManager m) : m_(std::move(m)) {}
	Result<CacheInfo> create(const CacheCreateOptions &opts) override { return m_.create(opts); }
	Result<std::vector<CacheInfo>> list() override { return m_.list(); }
	Result<CacheStats> stats(std::string_view name) override { return m_.stats(name); }
	Result<CacheRemoval> remove(std::string_view name, const CacheRemoveOptions &opts) override
	{
		return m_.remove(name, opts);
	}

private:
	CacheManager m_;
};

class LocalNvmet final : public NvmetService {
public:
	explicit LocalNvmet(nvmet::Manager m) : m_(std::move(m)) {}
	Result<nvmet::PortAddResult> add_port(const nvmet::PortSpec &spec) override { return m_.add_port(spec); }
	Result<void> remove_port(std::uint16_t id) override { return m_.remove_port(id); }
	Result<std::vector<nvmet::PortInfo>> ports() override { return m_.ports(); }
	Result<nvmet::ExportResult> export_volume(const nvmet::ExportSpec &spec) override
	{
		return m_.export_volume(spec);
	}
	Result<nvmet::UnexportResult> unexport(const nvmet::UnexportSpec &spec) override
	{
		return m_.unexport(spec);
	}
	Result<std::vector<nvmet::ExportInfo>> exports() override { return m_.exports(); }

private:
	nvmet::Manager m_;
};

} // namespace

Result<std::unique_ptr<RamdiskService>> Context::ramdisks() const
{
	if (!url.empty()) {
		auto client = RemoteClient::from_env(url);
		if (!client)
			return std::move(client).error();
		return make_remote_ramdisks(std::move(*client));
	}
	return std::unique_ptr<RamdiskService>(std::make_unique<LocalRamdisks>(ramdisk_manager()));
}

Result<std::unique_ptr<CacheService>> Context::caches() const
{
	if (!url.empty()) {
		auto client = RemoteClient::from_env(url);
		if (!client)
			return std::move(client).error();
		return make_remote_caches(std::move(*client));
	}
	return std::unique_ptr<CacheService>(std::make_unique<LocalCaches>(
		CacheManager::make_default(env_or(kEnvSysfs, kDefaultSysfsRoot))));
}

Result<std::unique_ptr<NvmetService>> Context::nvmet() const
{
	if (!url.empty()) {
		auto client = RemoteClient::from_env(url);
		if (!client)
			return std::move(client).error();
		return make_remote_nvmet(std::move(*client));
	}
	return std::unique_ptr<NvmetService>(std::make_unique<LocalNvmet>(nvmet::Manager::make_default()));
}

std::unique_ptr<Printer> Context::printer() const
{
	return make_printer(format(), out ? *out : std::cout);
}

RamdiskManager Context::ramdisk_manager() const
{
	return RamdiskManager(env_or(kEnvSrdControl, kDefaultControlPath),
			      env_or(kEnvSysfs, kDefaultSysfsRoot));
}

const std::vector<CommandGroup> &command_groups()
{
	return registry();
}

CommandRegistrar::CommandRegistrar(std::string name, RegisterFn add, bool remote)
{
	auto &groups = registry();
	groups.push_back({std::move(name), add, remote});
	std::sort(groups.begin(), groups.end(),
		  [](const CommandGroup &a, const CommandGroup &b) { return a.name < b.name; });
}

} // namespace storctl::cli
