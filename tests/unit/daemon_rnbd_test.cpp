// SPDX-License-Identifier: MIT
//
// storctld RNBD: request bodies (400 vs 422), the state entries (round
// trip, invalid entries skipped), restore_rnbd against a sysfs tree in a
// temporary directory (adopt, recreate, module missing), and the routes
// answering through App with that tree (status codes, state file).
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "api_rnbd.hpp"
#include "app.hpp"
#include "daemon_fake_cache.hpp"
#include "daemon_fake_nvmet.hpp"
#include "state.hpp"
#include "test_util.hpp"

namespace {

using namespace storctl;
using namespace storctl::daemon;

std::string slurp(const std::filesystem::path &p)
{
	std::ifstream f(p);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

TEST(DaemonRnbd, ExportBodies)
{
	auto e = parse_rnbd_export_create(R"({"device_path":"srd0","session":"web","read_only":true})");
	ASSERT_TRUE(e);
	EXPECT_EQ(e->device_path, "/dev/srd0");
	EXPECT_EQ(e->session, "web");
	EXPECT_TRUE(e->read_only);
	e = parse_rnbd_export_create(R"({"device_path":"/dev/srd0","session":null})");
	ASSERT_TRUE(e);
	EXPECT_EQ(e->session, "");
	struct Case {
		const char *body;
		int status;
	} cases[] = {
		{R"({"device_path":)", 400},
		{R"([1])", 400},
		{R"({"device_path":5})", 400},
		{R"({"device_path":"/dev/srd0","read_only":"yes"})", 400},
		{R"({})", 422},
		{R"({"device_path":"/dev/../etc/x"})", 422},
		{R"({"device_path":"/dev/srd0","session":".."})", 422},
		{R"({"device_path":"/dev/srd0","extra":1})", 422},
	};
	for (const Case &c : cases) {
		auto r = parse_rnbd_export_create(c.body);
		ASSERT_FALSE(r) << c.body;
		EXPECT_EQ(r.error().status, c.status) << c.body;
	}
}

TEST(DaemonRnbd, MapBodies)
{
	auto m = parse_rnbd_map_create(
		R"({"session":"web","paths":["ip:10.0.0.2","ip:10.0.1.2@ip:10.0.1.1"],"device_path":"srd0","access":"ro","port":4000,"poll_queues":2})");
	ASSERT_TRUE(m);
	EXPECT_EQ(m->poll_queues, 2u);
	EXPECT_EQ(m->paths.size(), 2u);
	EXPECT_EQ(m->device_path, "/dev/srd0");
	EXPECT_EQ(m->access, rnbd::Access::ro);
	EXPECT_EQ(m->port, 4000);
	struct Case {
		const char *body;
		int status;
	} cases[] = {
		{R"({"session":"web","paths":"ip:10.0.0.2","device_path":"/dev/srd0"})", 400},
		{R"({"session":"web","paths":[1],"device_path":"/dev/srd0"})", 400},
		{R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0","port":"1"})", 400},
		{R"({"session":"web","paths":[],"device_path":"/dev/srd0"})", 422},
		{R"({"session":"..","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0"})", 422},
		{R"({"session":"web","paths":["10.0.0.2"],"device_path":"/dev/srd0"})", 422},
		{R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/../srd0"})", 422},
		{R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0","access":"wo"})", 422},
		{R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0","port":0})", 422},
		{R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0","x":0})", 422},
		{R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0","poll_queues":"1"})", 400},
		{R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0","poll_queues":16})", 422},
		{R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0","poll_queues":-1})", 422},
	};
	for (const Case &c : cases) {
		auto r = parse_rnbd_map_create(c.body);
		ASSERT_FALSE(r) << c.body;
		EXPECT_EQ(r.error().status, c.status) << c.body;
	}
}

TEST(DaemonRnbd, UnmapForce)
{
	Request r;
	EXPECT_FALSE(*parse_rnbd_unmap(r));
	r.query["force"] = "true";
	EXPECT_TRUE(*parse_rnbd_unmap(r));
	r.query["force"] = "maybe";
	EXPECT_EQ(parse_rnbd_unmap(r).error().status, 422);
	r.query.clear();
	r.query["fast"] = "1";
	EXPECT_EQ(parse_rnbd_unmap(r).error().status, 422);
	r.query.clear();
	r.body = R"({"force":true})";
	EXPECT_TRUE(*parse_rnbd_unmap(r));
	r.body = R"({"force":"yes"})";
	EXPECT_EQ(parse_rnbd_unmap(r).error().status, 400);
}

TEST(DaemonRnbd, StateRoundTripAndInvalidEntries)
{
	State st;
	st.put_rnbd_export({"/dev/srd1", "", false});
	st.put_rnbd_export({"/dev/srd0", "web", true});
	st.put_rnbd_mapping({"web", {"ip:10.0.0.2"}, "/dev/srd0", "ro", 4000, 2});
	st.put_rnbd_mapping({"a", {"ip:10.0.0.2", "ip:10.0.1.2@ip:10.0.1.1"}, "/dev/srd1", "rw", std::nullopt, std::nullopt});
	ASSERT_EQ(st.rnbd_exports.size(), 2u);
	EXPECT_EQ(st.rnbd_exports[0].device_path, "/dev/srd0") << "sorted";
	EXPECT_EQ(st.rnbd_mappings[0].session, "a") << "sorted";
	std::vector<std::string> problems;
	auto back = State::from_json(st.to_json(), problems);
	ASSERT_TRUE(back);
	EXPECT_TRUE(problems.empty());
	EXPECT_EQ(*back, st);
	EXPECT_EQ(st.to_json()["rnbd_exports"][0].dump(),
		  R"({"device_path":"/dev/srd0","read_only":true,"session":"web"})");
	// poll_queues only when set: older state files read the same.
	EXPECT_EQ(st.to_json()["rnbd_mappings"][1]["poll_queues"], 2);
	EXPECT_FALSE(st.to_json()["rnbd_mappings"][0].contains("poll_queues"));

	Json j = st.to_json();
	j["rnbd_exports"].push_back(Json{{"device_path", "/dev/../x"}});
	j["rnbd_exports"].push_back(Json{{"device_path", "/dev/srd1"}, {"session", nullptr}});
	j["rnbd_mappings"].push_back(Json{{"session", ".."}, {"paths", {"ip:10.0.0.2"}}, {"device_path", "/dev/x"}});
	j["rnbd_mappings"].push_back(Json{{"session", "b"}, {"paths", Json::array()}, {"device_path", "/dev/x"}});
	j["rnbd_mappings"].push_back(Json{{"session", "c"}, {"paths", {"ip:10.0.0.2"}}, {"device_path", "/dev/x"},
					  {"poll_queues", 99}});
	problems.clear();
	back = State::from_json(j, problems);
	ASSERT_TRUE(back);
	EXPECT_EQ(*back, st);
	EXPECT_EQ(problems.size(), 5u);
	EXPECT_TRUE(st.erase_rnbd_export("/dev/srd0", "web"));
	EXPECT_FALSE(st.erase_rnbd_export("/dev/srd0", "web"));
	EXPECT_TRUE(st.erase_rnbd_mapping("web", "/dev/srd0"));
	EXPECT_FALSE(st.find_rnbd_mapping("web", "/dev/srd0"));
}

class RnbdRestore : public ::testing::Test {
protected:
	test::TempDir dir;
	void load()
	{
		for (const char *f : {"export", "unexport", "exports", "sessions", "paths"})
			dir.write(std::string(rnbd::kServerCtl) + "/" + f, "");
		dir.write(std::string(rnbd::kClientCtl) + "/map_device", "");
		dir.write(std::string(rnbd::kClientCtl) + "/devices", "");
	}
};

TEST_F(RnbdRestore, AdoptsAndRecreatesExportsBeforeMappings)
{
	load();
	dir.write(std::string(rnbd::kServerCtl) + "/exports", "/dev/srd0 sessname=* access_mode=rw\n");
	// Already mapped: adopted (the fake does not react to map_device
	// writes, so the second mapping is "made" but then not found).
	dir.write(std::string(rnbd::kClientCtl) + "/devices", "srnbd0 web /dev/srd0 rw open\n");
	State st;
	st.put_rnbd_export({"/dev/srd0", "", false});
	st.put_rnbd_export({"/dev/srd1", "web", false});
	st.put_rnbd_mapping({"web", {"ip:10.0.0.2"}, "/dev/srd0", "rw", std::nullopt, std::nullopt});
	st.put_rnbd_mapping({"web", {"ip:10.0.0.2"}, "/dev/srd1", "rw", std::nullopt, std::nullopt});
	RestoreReport rep;
	restore_rnbd(rnbd::Manager(dir.str()), st, rep);
	ASSERT_EQ(rep.rnbd_exports.size(), 2u);
	EXPECT_EQ(rep.rnbd_exports[0].result, "adopted");
	EXPECT_EQ(rep.rnbd_exports[1].result, "recreated");
	EXPECT_EQ(rep.rnbd_exports[1].name, "srd1@web");
	EXPECT_EQ(slurp(dir.path() / std::string(rnbd::kServerCtl) / "export"),
		  "device_path=/dev/srd1 sessname=web\n");
	ASSERT_EQ(rep.rnbd_mappings.size(), 2u);
	EXPECT_EQ(rep.rnbd_mappings[0].result, "adopted");
	EXPECT_EQ(rep.rnbd_mappings[1].name, "web:/dev/srd1");
	EXPECT_EQ(slurp(dir.path() / std::string(rnbd::kClientCtl) / "map_device"),
		  "sessname=web path=ip:10.0.0.2 device_path=/dev/srd1 access_mode=rw\n");
	EXPECT_EQ(rep.count("adopted"), 2u);
	EXPECT_NE(rep.to_text().find("rnbd export srd1@web: recreated"), std::string::npos);
	EXPECT_EQ(rep.to_json()["rnbd_mappings"][0]["mapping"], "web:/dev/srd0");
}

TEST_F(RnbdRestore, ModulesMissingFailsEveryEntry)
{
	State st;
	st.put_rnbd_export({"/dev/srd0", "", false});
	st.put_rnbd_mapping({"web", {"ip:10.0.0.2"}, "/dev/srd0", "rw", std::nullopt, std::nullopt});
	RestoreReport rep;
	restore_rnbd(rnbd::Manager(dir.str()), st, rep);
	ASSERT_EQ(rep.rnbd_exports.size(), 1u);
	ASSERT_EQ(rep.rnbd_mappings.size(), 1u);
	EXPECT_EQ(rep.rnbd_exports[0].result, "failed");
	EXPECT_EQ(rep.rnbd_mappings[0].result, "failed");
	EXPECT_NE(rep.rnbd_exports[0].message.find("not loaded"), std::string::npos);
	EXPECT_EQ(rep.count("failed"), 2u);
}

TEST_F(RnbdRestore, NothingToDoTouchesNothing)
{
	RestoreReport rep;
	restore_rnbd(rnbd::Manager(dir.str()), State{}, rep);
	EXPECT_TRUE(rep.rnbd_exports.empty());
	EXPECT_TRUE(rep.rnbd_mappings.empty());
}

class RnbdRoutes : public ::testing::Test {
protected:
	test::TempDir dir;
	std::unique_ptr<App> app;

	void SetUp() override
	{
		for (const char *f : {"export", "unexport", "exports", "sessions", "paths"})
			dir.write("sys/" + std::string(rnbd::kServerCtl) + "/" + f, "");
		dir.write("sys/" + std::string(rnbd::kClientCtl) + "/devices", "srnbd0 web /dev/srd0 rw open\n");
		dir.write("sys/" + std::string(rnbd::kClientCtl) + "/map_device", "");
		dir.mkdir("sys/" + std::string(rnbd::kClientCtl) + "/sessions");
		AppOptions o;
		o.control_path = dir.str() + "/no-srd-control";
		o.sysfs_root = dir.str() + "/sys";
		o.state_file = dir.str() + "/state.json";
		o.make_cache_manager = [k = std::make_shared<test::FakeKernel>()] {
			return test::fake_cache_manager(k);
		};
		o.make_nvmet_manager = [f = test::fake_nvmet_tree()] { return test::fake_nvmet_manager(f); };
		app = std::make_unique<App>(o);
	}

	Response call(const std::string &method, const std::string &path, const std::string &body = "")
	{
		Request r;
		r.method = method;
		auto q = path.find('?');
		r.path = path.substr(0, q);
		if (q != std::string::npos) {
			std::string kv = path.substr(q + 1);
			auto eq = kv.find('=');
			r.query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
		}
		r.body = body;
		if (!body.empty())
			r.content_type = "application/json";
		return app->handle(r);
	}
	Json state() { return Json::parse(slurp(dir.path() / "state.json")); }
};

TEST_F(RnbdRoutes, ExportsAndMappings)
{
	Response r = call("POST", "/v1/rnbd/exports", R"({"device_path":"srd0"})");
	ASSERT_EQ(r.status, 201) << r.body;
	EXPECT_EQ(Json::parse(r.body)["id"], "srd0");
	EXPECT_EQ(state()["rnbd_exports"].size(), 1u);
	EXPECT_EQ(call("POST", "/v1/rnbd/exports", R"({"device_path":"/dev/../x"})").status, 422);
	EXPECT_EQ(call("DELETE", "/v1/rnbd/exports/x!..!srd0").status, 422);

	r = call("POST", "/v1/rnbd/mappings", R"({"session":"web","paths":["ip:10.0.0.2"],"device_path":"/dev/srd0"})");
	ASSERT_EQ(r.status, 201) << r.body;
	EXPECT_EQ(Json::parse(r.body)["name"], "srnbd0");
	EXPECT_EQ(state()["rnbd_mappings"][0]["session"], "web");
	r = call("GET", "/v1/rnbd/mappings");
	ASSERT_EQ(r.status, 200);
	EXPECT_EQ(Json::parse(r.body).size(), 1u);
	EXPECT_EQ(call("DELETE", "/v1/rnbd/mappings/srnbd7").status, 404);
	EXPECT_EQ(call("DELETE", "/v1/rnbd/mappings/sda").status, 422);

	// srnbd0 has no sysfs directory in the fake: not found, state kept.
	EXPECT_EQ(call("DELETE", "/v1/rnbd/mappings/srnbd0?force=true").status, 404);
	EXPECT_EQ(state()["rnbd_mappings"].size(), 1u);
	dir.write("sys/block/srnbd0/stor-rnbd/unmap_device", "");
	r = call("DELETE", "/v1/rnbd/mappings/srnbd0?force=true");
	ASSERT_EQ(r.status, 200) << r.body;
	EXPECT_EQ(slurp(dir.path() / "sys/block/srnbd0/stor-rnbd/unmap_device"), "force\n");
	EXPECT_TRUE(state()["rnbd_mappings"].empty());

	r = call("DELETE", "/v1/rnbd/exports/srd0");
	ASSERT_EQ(r.status, 200) << r.body;
	EXPECT_TRUE(state()["rnbd_exports"].empty());

	r = call("GET", "/v1/rnbd/sessions");
	ASSERT_EQ(r.status, 200) << r.body;
	EXPECT_EQ(Json::parse(r.body)["client"], Json::array());
}

TEST_F(RnbdRoutes, ModulesMissing)
{
	std::filesystem::remove_all(dir.path() / "sys");
	EXPECT_EQ(call("GET", "/v1/rnbd/exports").status, 503);
	EXPECT_EQ(call("GET", "/v1/rnbd/mappings").status, 503);
	EXPECT_EQ(call("GET", "/v1/rnbd/sessions").status, 503);
	Response r = call("POST", "/v1/rnbd/exports", R"({"device_path":"srd0"})");
	EXPECT_EQ(r.status, 503);
	EXPECT_FALSE(std::filesystem::exists(dir.path() / "state.json") &&
		     !state()["rnbd_exports"].empty());
}

} // namespace
