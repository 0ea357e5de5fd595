// SPDX-License-Identifier: MIT
#include "command.hpp"

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

} // namespace

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

CommandRegistrar::CommandRegistrar(std::string name, RegisterFn add)
{
	auto &groups = registry();
	groups.push_back({std::move(name), add});
	std::sort(groups.begin(), groups.end(),
		  [](const CommandGroup &a, const CommandGroup &b) { return a.name < b.name; });
}

} // namespace storctl::cli
