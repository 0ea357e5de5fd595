// SPDX-License-Identifier: MIT
//
// storctld --load-modules: which modules a saved state needs, and what a
// failure to load one means.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "modules.hpp"

using namespace storctl;
using namespace storctl::daemon;

namespace {

std::map<std::string, bool> required_of(const std::vector<ModuleNeed> &needs)
{
	std::map<std::string, bool> m;
	for (const ModuleNeed &n : needs) {
		EXPECT_EQ(m.count(n.module), 0u) << n.module << " listed twice";
		m[n.module] = n.required;
	}
	return m;
}

std::vector<std::string> order_of(const std::vector<ModuleNeed> &needs)
{
	std::vector<std::string> v;
	for (const ModuleNeed &n : needs)
		v.push_back(n.module);
	return v;
}

} // namespace

TEST(DaemonModules, EmptyStateLoadsTheBaseSetOptionally)
{
	std::vector<std::string> problems;
	auto needs = modules_for_state(State{}, problems);
	EXPECT_TRUE(problems.empty());
	EXPECT_EQ(order_of(needs), (std::vector<std::string>{"stor_ramdisk", "dm-stor-cache",
							     "dm-writecache", "nvmet", "nvmet-tcp"}));
	for (const ModuleNeed &n : needs)
		EXPECT_FALSE(n.required) << n.module;
}

TEST(DaemonModules, StateEntriesMakeTheirModulesRequired)
{
	State s;
	s.ramdisks.push_back(RamdiskSpec{});
	CacheSpec wb;
	wb.name = "sc_srd3";
	wb.mode = CacheMode::wb;
	s.caches.push_back(wb);
	s.nvmet_ports.push_back(NvmetPortSpec{1, "rdma", "10.0.0.1", "4420"});
	s.nvmet_ports.push_back(NvmetPortSpec{2, "loop", "", ""});
	std::vector<std::string> problems;
	auto needs = modules_for_state(s, problems);
	EXPECT_TRUE(problems.empty());
	const std::map<std::string, bool> want = {
		{"stor_ramdisk", true}, {"dm-stor-cache", false}, {"dm-writecache", true},
		{"nvmet", true},        {"nvmet-tcp", false},     {"nvmet-rdma", true},
		{"nvme-loop", true},
	};
	EXPECT_EQ(required_of(needs), want);
	// A transport after nvmet.
	auto order = order_of(needs);
	auto pos = [&](const std::string &m) { return std::find(order.begin(), order.end(), m) - order.begin(); };
	EXPECT_LT(pos("nvmet"), pos("nvmet-rdma"));
	EXPECT_LT(pos("nvmet"), pos("nvme-loop"));
	for (const ModuleNeed &n : needs) {
		if (n.module == "nvmet-rdma") {
			EXPECT_EQ(n.why, "NVMe-oF port 1 (rdma)");
		} else if (n.module == "dm-writecache") {
			EXPECT_EQ(n.why, "cache sc_srd3");
		}
	}

	// wt caches need dm-stor-cache; a tcp port nvmet-tcp.
	State t;
	CacheSpec wt;
	wt.name = "sc_srd1";
	t.caches.push_back(wt);
	t.nvmet_ports.push_back(NvmetPortSpec{1, "tcp", "127.0.0.1", "4420"});
	auto m = required_of(modules_for_state(t, problems));
	EXPECT_TRUE(m["dm-stor-cache"]);
	EXPECT_FALSE(m["dm-writecache"]);
	EXPECT_TRUE(m["nvmet-tcp"]);
	EXPECT_FALSE(m["stor_ramdisk"]);
	EXPECT_EQ(m.count("nvmet-rdma"), 0u);
}

TEST(DaemonModules, UnknownTransportIsAProblem)
{
	State s;
	s.nvmet_ports.push_back(NvmetPortSpec{4, "fc", "", ""});
	std::vector<std::string> problems;
	auto needs = modules_for_state(s, problems);
	ASSERT_EQ(problems.size(), 1u);
	EXPECT_EQ(problems[0], "NVMe-oF port 4 (fc): unknown transport, no module loaded for it");
	EXPECT_FALSE(required_of(needs)["nvmet"]);
}

TEST(DaemonModules, OnlyARequiredFailureFails)
{
	std::vector<ModuleNeed> needs = {{"a", "x", false}, {"b", "y", true}};
	std::vector<std::string> tried;
	auto fail_a = [&](const std::string &m) -> Result<void> {
		tried.push_back(m);
		if (m == "a")
			return make_error(Errc::unsupported, "module a not found");
		return ok();
	};
	EXPECT_TRUE(load_modules(needs, fail_a));
	EXPECT_EQ(tried, (std::vector<std::string>{"a", "b"}));
	auto fail_b = [&](const std::string &m) -> Result<void> {
		if (m == "b")
			return make_error(Errc::unsupported, "module b not found");
		return ok();
	};
	EXPECT_FALSE(load_modules(needs, fail_b));
}
