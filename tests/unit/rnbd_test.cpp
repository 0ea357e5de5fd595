// SPDX-License-Identifier: MIT
//
// RNBD userspace: input checks, the parsing of the modules' sysfs tables,
// the lines written to the ctl files, errno classification, the Manager on
// a sysfs tree in a temporary directory, the JSON objects (exact key sets)
// and text of `storctl rnbd` / `storctl rdma link`, and the CLI's reading
// back of the daemon's objects.
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <storctl/rdma.hpp>
#include <storctl/rnbd.hpp>

#include "json_output.hpp"
#include "rnbd_service.hpp"
#include "test_util.hpp"

namespace storctl::cli {
std::string format_rnbd_list(const std::vector<rnbd::ExportInfo> *exports,
			     const std::vector<rnbd::Mapping> *mappings);
std::string format_rnbd_sessions(const std::vector<rnbd::ServerSession> *server,
				 const std::vector<rnbd::ClientSession> *client);
std::string format_rdma_link_table(const std::vector<rdma::Link> &links);
} // namespace storctl::cli

namespace {

using namespace storctl;
using Json = nlohmann::json;

std::vector<std::string> keys(const Json &j)
{
	std::vector<std::string> k;
	for (auto it = j.begin(); it != j.end(); ++it)
		k.push_back(it.key());
	return k;
}

std::string slurp(const std::filesystem::path &p)
{
	std::ifstream f(p);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

// --- names, paths, modes ------------------------------------------------------------

TEST(RnbdValidate, SessionNames)
{
	const std::vector<std::string> good = {"a", "web1", "A.b_c-d", "0x", std::string(63, 'x')};
	for (const std::string &g : good)
		EXPECT_TRUE(rnbd::validate_session_name(g)) << g;
	const std::vector<std::string> bads = {"", "..", ".", ".hidden", "-x", "a/b", "a b", "a@b", "a%d", "ä",
					       std::string(64, 'x')};
	for (const std::string &bad : bads) {
		auto r = rnbd::validate_session_name(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
	}
}

TEST(RnbdValidate, DevicePaths)
{
	EXPECT_TRUE(rnbd::validate_device_path("/dev/srd0"));
	EXPECT_TRUE(rnbd::validate_device_path("/dev/mapper/sc_srd1"));
	for (const char *bad : {"", "dev/srd0", "/dev/../etc/passwd", "/..", "/dev/./srd0", "/dev/a b",
				"/dev/a\tb", "/dev/x/.."}) {
		auto r = rnbd::validate_device_path(bad);
		ASSERT_FALSE(r) << test::quoted(bad);
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
	}
	EXPECT_FALSE(rnbd::validate_device_path("/" + std::string(255, 'a')));
	EXPECT_TRUE(rnbd::validate_device_path("/" + std::string(254, 'a')));
	// "..." is a name, not a parent reference.
	EXPECT_TRUE(rnbd::validate_device_path("/dev/..."));
}

TEST(RnbdValidate, NormalizeDevicePath)
{
	EXPECT_EQ(*rnbd::normalize_device_path("srd0"), "/dev/srd0");
	EXPECT_EQ(*rnbd::normalize_device_path("/dev/srd0"), "/dev/srd0");
	EXPECT_EQ(*rnbd::normalize_device_path("mapper/x"), "/dev/mapper/x");
	EXPECT_FALSE(rnbd::normalize_device_path("../etc/passwd"));
	EXPECT_FALSE(rnbd::normalize_device_path(""));
}

TEST(RnbdValidate, Access)
{
	EXPECT_EQ(*rnbd::parse_access("ro"), rnbd::Access::ro);
	EXPECT_EQ(*rnbd::parse_access("rw"), rnbd::Access::rw);
	EXPECT_EQ(*rnbd::parse_access("migration"), rnbd::Access::migration);
	for (const char *bad : {"", "RW", "wo", "read-only"})
		EXPECT_FALSE(rnbd::parse_access(bad)) << bad;
	for (auto a : {rnbd::Access::ro, rnbd::Access::rw, rnbd::Access::migration})
		EXPECT_EQ(*rnbd::parse_access(rnbd::to_string(a)), a);
}

TEST(RnbdValidate, Paths)
{
	auto p = rnbd::parse_path("ip:10.0.0.2");
	ASSERT_TRUE(p);
	EXPECT_EQ(p->server, "10.0.0.2");
	EXPECT_EQ(p->source, "");
	EXPECT_EQ(p->str(), "ip:10.0.0.2");
	p = rnbd::parse_path("ip:10.0.0.2@ip:10.0.0.1");
	ASSERT_TRUE(p);
	EXPECT_EQ(p->source, "10.0.0.1");
	EXPECT_EQ(p->str(), "ip:10.0.0.2@ip:10.0.0.1");
	p = rnbd::parse_path("ip:FD00:0::1");
	ASSERT_TRUE(p);
	EXPECT_EQ(p->server, "fd00::1");
	p = rnbd::parse_path("ip:[fd00::2]");
	ASSERT_TRUE(p);
	EXPECT_EQ(p->server, "fd00::2");
	for (const char *bad : {"", "10.0.0.2", "ip:", "ip:10.0.0.256", "gid:fe80::1", "ip:host",
				"ip:10.0.0.2@", "ip:10.0.0.2@10.0.0.1", "ip:10.0.0.2@ip:", "ip:1.2.3.4 x"}) {
		auto r = rnbd::parse_path(bad);
		ASSERT_FALSE(r) << test::quoted(bad);
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
	}
}

TEST(RnbdValidate, MappingNames)
{
	EXPECT_EQ(*rnbd::validate_mapping_name("srnbd0"), "srnbd0");
	EXPECT_EQ(*rnbd::validate_mapping_name("/dev/srnbd12"), "srnbd12");
	for (const char *bad : {"", "srnbd", "srnbdx", "sda", "../srnbd0", "srnbd0/x", "/dev/../srnbd0",
				"srnbd1234567890123"})
		EXPECT_FALSE(rnbd::validate_mapping_name(bad)) << bad;
}

TEST(RnbdValidate, MapSpec)
{
	rnbd::MapSpec m;
	m.session = "web";
	m.paths = {*rnbd::parse_path("ip:10.0.0.2")};
	m.device_path = "/dev/srd0";
	EXPECT_TRUE(rnbd::validate(m));
	EXPECT_EQ(rnbd::map_command(m), "sessname=web path=ip:10.0.0.2 device_path=/dev/srd0 access_mode=rw");
	m.port = 4000;
	m.access = rnbd::Access::ro;
	m.paths.push_back(*rnbd::parse_path("ip:10.0.1.2@ip:10.0.1.1"));
	EXPECT_EQ(rnbd::map_command(m),
		  "sessname=web path=ip:10.0.0.2 path=ip:10.0.1.2@ip:10.0.1.1 device_path=/dev/srd0 "
		  "access_mode=ro dest_port=4000");
	m.poll_queues = 2;
	EXPECT_TRUE(rnbd::validate(m));
	EXPECT_EQ(rnbd::map_command(m),
		  "sessname=web path=ip:10.0.0.2 path=ip:10.0.1.2@ip:10.0.1.1 device_path=/dev/srd0 "
		  "access_mode=ro dest_port=4000 nr_poll_queues=2");
	m.poll_queues.reset();

	auto bad = m;
	bad.poll_queues = 16;
	EXPECT_FALSE(rnbd::validate(bad));
	bad = m;
	bad.paths.clear();
	EXPECT_FALSE(rnbd::validate(bad));
	bad = m;
	bad.paths.assign(7, *rnbd::parse_path("ip:10.0.0.2"));
	EXPECT_FALSE(rnbd::validate(bad));
	bad = m;
	bad.paths.push_back(bad.paths[0]);
	EXPECT_FALSE(rnbd::validate(bad)) << "a duplicate path";
	bad = m;
	bad.session = "..";
	EXPECT_FALSE(rnbd::validate(bad));
	bad = m;
	bad.device_path = "/dev/../x";
	EXPECT_FALSE(rnbd::validate(bad));
	bad = m;
	bad.port = 0;
	EXPECT_FALSE(rnbd::validate(bad));
}

TEST(RnbdValidate, ExportCommands)
{
	EXPECT_EQ(rnbd::export_command({"/dev/srd0", "", false}), "device_path=/dev/srd0");
	EXPECT_EQ(rnbd::export_command({"/dev/srd0", "web", true}),
		  "device_path=/dev/srd0 sessname=web access_mode=ro");
	EXPECT_EQ(rnbd::unexport_command("/dev/srd0", ""), "device_path=/dev/srd0");
	EXPECT_EQ(rnbd::unexport_command("/dev/srd0", "web"), "device_path=/dev/srd0 sessname=web");
	EXPECT_FALSE(rnbd::validate(rnbd::ExportSpec{"/dev/srd0", "a/b", false}));
	EXPECT_FALSE(rnbd::validate(rnbd::ExportSpec{"srd0", "", false}));
}

TEST(RnbdValidate, ExportIds)
{
	EXPECT_EQ(rnbd::export_id({"/dev/srd0", "", false}), "srd0");
	EXPECT_EQ(rnbd::export_id({"/dev/mapper/x", "web", false}), "mapper!x@web");
	EXPECT_EQ(rnbd::export_id({"/srv/img", "", false}), "!srv!img");
	for (const rnbd::ExportInfo &e : {rnbd::ExportInfo{"/dev/srd0", "", false},
					  rnbd::ExportInfo{"/dev/mapper/x", "web", false},
					  rnbd::ExportInfo{"/srv/img", "a.b", false}}) {
		auto back = rnbd::parse_export_id(rnbd::export_id(e));
		ASSERT_TRUE(back) << rnbd::export_id(e);
		EXPECT_EQ(*back, e);
	}
	for (const char *bad : {"", "..", "!..!x", "srd0@..", "srd0@a b", "x@"})
		EXPECT_FALSE(rnbd::parse_export_id(bad)) << bad;
}

// --- errno classification ------------------------------------------------------------

TEST(RnbdErrors, WriteErrors)
{
	EXPECT_EQ(rnbd::write_error("unmap", EBUSY, "srnbd0").code, Errc::busy);
	EXPECT_EQ(rnbd::write_error("map", EBUSY, "x").code, Errc::busy);
	EXPECT_EQ(rnbd::write_error("export", ENOENT, "x").code, Errc::not_found);
	EXPECT_EQ(rnbd::write_error("export", EEXIST, "x").code, Errc::exists);
	EXPECT_EQ(rnbd::write_error("map", EINVAL, "x").code, Errc::invalid_argument);
	EXPECT_EQ(rnbd::write_error("map", EACCES, "x").code, Errc::not_found);
	EXPECT_EQ(rnbd::write_error("export", EACCES, "x").code, Errc::permission_denied);
	EXPECT_EQ(rnbd::write_error("map", EROFS, "x").code, Errc::invalid_argument);
	EXPECT_EQ(rnbd::write_error("map", ECONNREFUSED, "x").code, Errc::kernel_failure);
	EXPECT_EQ(rnbd::write_error("map", ENOMEM, "x").code, Errc::no_memory);
	EXPECT_EQ(rnbd::write_error("map", EOPNOTSUPP, "x").code, Errc::unsupported);
	EXPECT_EQ(rnbd::write_error("map", EEXIST, "x").sys_errno, EEXIST);
	EXPECT_NE(rnbd::write_error("unmap", EBUSY, "srnbd0").message.find("--force"), std::string::npos);
}

// --- sysfs tables -------------------------------------------------------------------

TEST(RnbdTables, Exports)
{
	auto e = rnbd::parse_exports("/dev/srd0 sessname=* access_mode=rw\n"
				     "/dev/srd1 sessname=web access_mode=ro\n\n");
	ASSERT_TRUE(e);
	ASSERT_EQ(e->size(), 2u);
	EXPECT_EQ((*e)[0], (rnbd::ExportInfo{"/dev/srd0", "", false}));
	EXPECT_EQ((*e)[1], (rnbd::ExportInfo{"/dev/srd1", "web", true}));
	EXPECT_TRUE(rnbd::parse_exports("")->empty());
	for (const char *bad : {"/dev/srd0", "/dev/srd0 sessname=* access_mode=wo",
				"/dev/srd0 access_mode=rw sessname=*", "/dev/srd0 sessname=* access_mode=rw x"}) {
		auto r = rnbd::parse_exports(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::kernel_failure);
	}
}

TEST(RnbdTables, ServerSessionsAndPaths)
{
	auto s = rnbd::parse_server_sessions("web paths=2 devices=1\nold paths=0 devices=0 closing\n");
	ASSERT_TRUE(s);
	ASSERT_EQ(s->size(), 2u);
	EXPECT_EQ((*s)[0].name, "web");
	EXPECT_EQ((*s)[0].path_count, 2u);
	EXPECT_EQ((*s)[0].device_count, 1u);
	EXPECT_FALSE((*s)[0].closing);
	EXPECT_TRUE((*s)[1].closing);
	ASSERT_TRUE(rnbd::parse_server_paths(
		"web 10.0.0.1 connected io_cons=2 queue_depth=128 max_io_size=131072\n"
		"web 10.0.1.1 connecting io_cons=2 queue_depth=128 max_io_size=131072\n"
		"new 10.0.0.9 connected io_cons=1 queue_depth=64 max_io_size=4096\n",
		*s));
	ASSERT_EQ(s->size(), 3u);
	ASSERT_EQ((*s)[0].paths.size(), 2u);
	EXPECT_EQ((*s)[0].paths[1].client_address, "10.0.1.1");
	EXPECT_EQ((*s)[0].paths[1].state, "connecting");
	EXPECT_EQ((*s)[0].paths[0].queue_depth, 128u);
	EXPECT_EQ((*s)[2].name, "new");
	EXPECT_EQ((*s)[2].paths[0].max_io_size, 4096u);
	EXPECT_FALSE(rnbd::parse_server_sessions("web paths=x devices=1"));
	EXPECT_FALSE(rnbd::parse_server_sessions("web paths=1"));
	EXPECT_FALSE(rnbd::parse_server_sessions("web paths=1 devices=1 open"));
	EXPECT_FALSE(rnbd::parse_server_paths("web 10.0.0.1 connected io_cons=2", *s));
}

TEST(RnbdTables, Mappings)
{
	auto m = rnbd::parse_mappings("srnbd0 web1 /dev/srd0 rw open\nsrnbd1 web1 /dev/srd1 ro disconnected\n");
	ASSERT_TRUE(m);
	ASSERT_EQ(m->size(), 2u);
	EXPECT_EQ((*m)[0], (rnbd::Mapping{"srnbd0", "/dev/srnbd0", "web1", "/dev/srd0", "rw", "open"}));
	EXPECT_EQ((*m)[1].state, "disconnected");
	EXPECT_FALSE(rnbd::parse_mappings("srnbd0 web1 /dev/srd0 rw"));
	EXPECT_FALSE(rnbd::parse_mappings("sda web1 /dev/srd0 rw open"));
}

TEST(RnbdTables, ClientPaths)
{
	auto p = rnbd::parse_client_paths(
		"0 ip:10.0.0.2 connected inflight=3 requests=100 errors=0 reconnects=1\n"
		"1 ip:10.0.1.2@ip:10.0.1.1 error inflight=0 requests=5 errors=2 reconnects=7\n");
	ASSERT_TRUE(p);
	ASSERT_EQ(p->size(), 2u);
	EXPECT_EQ((*p)[0].inflight, 3u);
	EXPECT_EQ((*p)[1].index, 1u);
	EXPECT_EQ((*p)[1].address, "ip:10.0.1.2@ip:10.0.1.1");
	EXPECT_EQ((*p)[1].state, "error");
	EXPECT_EQ((*p)[1].reconnects, 7u);
	EXPECT_FALSE(rnbd::parse_client_paths("x ip:10.0.0.2 connected inflight=3 requests=1 errors=0 reconnects=1"));
	EXPECT_FALSE(rnbd::parse_client_paths("0 ip:10.0.0.2 connected inflight=-1 requests=1 errors=0 reconnects=1"));

	// The module's paths lines grew mr_writes and polled; unknown fields
	// are skipped.
	p = rnbd::parse_client_paths(
		"0 ip:10.0.0.2 connected inflight=0 requests=9 errors=0 reconnects=0 mr_writes=4\n"
		"1 ip:10.0.1.2 connected inflight=0 requests=9 errors=0 reconnects=0 later=x mr_writes=5 polled=6 bounce_reads=7\n");
	ASSERT_TRUE(p);
	EXPECT_EQ((*p)[0].mr_writes, 4u);
	EXPECT_EQ((*p)[1].mr_writes, 5u);
	EXPECT_EQ((*p)[1].polled, 6u);
	EXPECT_EQ((*p)[0].polled, 0u);
	EXPECT_EQ((*p)[1].bounce_reads, 7u);
	EXPECT_EQ((*p)[0].bounce_reads, 0u);
	EXPECT_FALSE(rnbd::parse_client_paths(
		"0 ip:10.0.0.2 connected inflight=0 requests=9 errors=0 reconnects=0 mr_writes=-1"));
	EXPECT_FALSE(rnbd::parse_client_paths(
		"0 ip:10.0.0.2 connected inflight=0 requests=9 errors=0 reconnects=0 junk"));
}

// --- the manager on a fake sysfs ------------------------------------------------------

class RnbdManagerTest : public ::testing::Test {
protected:
	test::TempDir dir;
	rnbd::Manager mgr{dir.str()};

	void load_server()
	{
		for (const char *f : {"export", "unexport", "exports", "sessions", "paths"})
			dir.write(std::string(rnbd::kServerCtl) + "/" + f, "");
	}
	void load_client()
	{
		dir.write(std::string(rnbd::kClientCtl) + "/map_device", "");
		dir.write(std::string(rnbd::kClientCtl) + "/devices", "");
		dir.mkdir(std::string(rnbd::kClientCtl) + "/sessions");
	}
	std::string ctl(std::string_view which, const std::string &f)
	{
		return slurp(dir.path() / std::string(which) / f);
	}
};

TEST_F(RnbdManagerTest, ModulesMissing)
{
	auto e = mgr.exports();
	ASSERT_FALSE(e);
	EXPECT_EQ(e.error().code, Errc::unsupported);
	EXPECT_NE(e.error().message.find("stor_rnbd_server"), std::string::npos);
	auto m = mgr.mappings();
	ASSERT_FALSE(m);
	EXPECT_EQ(m.error().code, Errc::unsupported);
	EXPECT_NE(m.error().message.find("stor_rnbd_client"), std::string::npos);
	EXPECT_FALSE(mgr.server_loaded());
	EXPECT_FALSE(mgr.client_loaded());
}

TEST_F(RnbdManagerTest, BadInputWritesNothing)
{
	load_server();
	load_client();
	EXPECT_EQ(mgr.export_device({"/dev/../x", "", false}).error().code, Errc::invalid_argument);
	EXPECT_EQ(mgr.export_device({"/dev/srd0", "..", false}).error().code, Errc::invalid_argument);
	EXPECT_EQ(mgr.unexport_device("../x", "").error().code, Errc::invalid_argument);
	rnbd::MapSpec m;
	m.session = "a/b";
	m.paths = {*rnbd::parse_path("ip:10.0.0.2")};
	m.device_path = "/dev/srd0";
	EXPECT_EQ(mgr.map(m).error().code, Errc::invalid_argument);
	EXPECT_EQ(mgr.unmap("..", false).error().code, Errc::invalid_argument);
	EXPECT_EQ(ctl(rnbd::kServerCtl, "export"), "");
	EXPECT_EQ(ctl(rnbd::kServerCtl, "unexport"), "");
	EXPECT_EQ(ctl(rnbd::kClientCtl, "map_device"), "");
}

TEST_F(RnbdManagerTest, ExportWritesTheLine)
{
	load_server();
	auto e = mgr.export_device({"/dev/srd0", "web", true});
	ASSERT_TRUE(e) << e.error().message;
	EXPECT_EQ(ctl(rnbd::kServerCtl, "export"), "device_path=/dev/srd0 sessname=web access_mode=ro\n");
	ASSERT_TRUE(mgr.unexport_device("srd0", "web"));
	EXPECT_EQ(ctl(rnbd::kServerCtl, "unexport"), "device_path=/dev/srd0 sessname=web\n");
	dir.write(std::string(rnbd::kServerCtl) + "/exports", "/dev/srd0 sessname=web access_mode=ro\n");
	auto all = mgr.exports();
	ASSERT_TRUE(all);
	EXPECT_EQ(*all, (std::vector<rnbd::ExportInfo>{{"/dev/srd0", "web", true}}));
}

TEST_F(RnbdManagerTest, MapFindsTheNewDevice)
{
	load_client();
	// What the kernel shows after the write (the fake cannot react to it).
	dir.write(std::string(rnbd::kClientCtl) + "/devices", "srnbd3 web /dev/srd0 rw open\n");
	rnbd::MapSpec m;
	m.session = "web";
	m.paths = {*rnbd::parse_path("ip:10.0.0.2")};
	m.device_path = "/dev/srd0";
	auto r = mgr.map(m);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(r->name, "srnbd3");
	EXPECT_EQ(ctl(rnbd::kClientCtl, "map_device"),
		  "sessname=web path=ip:10.0.0.2 device_path=/dev/srd0 access_mode=rw\n");
}

TEST_F(RnbdManagerTest, UnmapAndSessions)
{
	load_client();
	auto r = mgr.unmap("srnbd0", false);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::not_found);
	dir.write("block/srnbd0/stor-rnbd/unmap_device", "");
	ASSERT_TRUE(mgr.unmap("/dev/srnbd0", true));
	EXPECT_EQ(slurp(dir.path() / "block/srnbd0/stor-rnbd/unmap_device"), "force\n");

	const std::string s = std::string(rnbd::kClientCtl) + "/sessions/web/";
	dir.write(s + "state", "connected\n");
	dir.write(s + "paths", "0 ip:10.0.0.2 connected inflight=0 requests=9 errors=0 reconnects=0\n");
	dir.write(s + "devices", "srnbd0 /dev/srd0 open\n");
	auto cs = mgr.client_sessions();
	ASSERT_TRUE(cs) << cs.error().message;
	ASSERT_EQ(cs->size(), 1u);
	EXPECT_EQ((*cs)[0].name, "web");
	EXPECT_EQ((*cs)[0].state, "connected");
	EXPECT_EQ((*cs)[0].devices, std::vector<std::string>{"srnbd0"});
	EXPECT_EQ((*cs)[0].paths.at(0).requests, 9u);
}

// --- JSON and text -----------------------------------------------------------------------

TEST(RnbdOutput, JsonKeys)
{
	using namespace storctl::daemon;
	EXPECT_EQ(keys(rnbd_export_json({"/dev/srd0", "", false})),
		  (std::vector<std::string>{"device_path", "id", "read_only", "session"}));
	EXPECT_TRUE(rnbd_export_json({"/dev/srd0", "", false})["session"].is_null());
	EXPECT_EQ(rnbd_export_json({"/dev/srd0", "web", false})["id"], "srd0@web");
	rnbd::Mapping m{"srnbd0", "/dev/srnbd0", "web", "/dev/srd0", "rw", "open"};
	EXPECT_EQ(keys(rnbd_mapping_json(m)),
		  (std::vector<std::string>{"access", "device_path", "name", "path", "session", "state"}));
	EXPECT_EQ(rnbd_mapping_list_json({m, m}).size(), 2u);
	rnbd::ServerSession ss{"web", 1, 1, false, {{"10.0.0.1", "connected", 2, 128, 131072}}};
	rnbd::ClientSession cs{"web", "connected", {{0, "ip:10.0.0.2", "connected", 0, 1, 0, 0}}, {"srnbd0"}};
	Json j = rnbd_sessions_json(nullptr, nullptr);
	EXPECT_TRUE(j["server"].is_null());
	EXPECT_TRUE(j["client"].is_null());
	std::vector<rnbd::ServerSession> sv{ss};
	std::vector<rnbd::ClientSession> cv{cs};
	j = rnbd_sessions_json(&sv, &cv);
	EXPECT_EQ(keys(j["server"][0]),
		  (std::vector<std::string>{"closing", "device_count", "name", "path_count", "paths"}));
	EXPECT_EQ(keys(j["server"][0]["paths"][0]),
		  (std::vector<std::string>{"client_address", "io_cons", "max_io_size", "queue_depth", "state"}));
	EXPECT_EQ(keys(j["client"][0]), (std::vector<std::string>{"devices", "name", "paths", "state"}));
	EXPECT_EQ(keys(j["client"][0]["paths"][0]),
		  (std::vector<std::string>{"address", "bounce_reads", "errors", "index", "inflight", "mr_writes",
					    "polled", "reconnects", "requests", "state"}));
	rdma::Link l{"rxe0", 3, 1, "ACTIVE", "LINK_UP", "rxv0"};
	EXPECT_EQ(keys(rdma_link_json(l)),
		  (std::vector<std::string>{"index", "name", "netdev", "physical_state", "port", "state"}));
	EXPECT_TRUE(rdma_link_json(rdma::Link{"mlx5_0", 0, 1, "DOWN", "DISABLED", ""})["netdev"].is_null());
}

TEST(RnbdOutput, JsonRoundTripThroughTheCli)
{
	using namespace storctl::daemon;
	rnbd::ExportInfo e{"/dev/mapper/x", "web", true};
	EXPECT_EQ(*cli::rnbd_export_from_json(rnbd_export_json(e)), e);
	rnbd::Mapping m{"srnbd0", "/dev/srnbd0", "web", "/dev/srd0", "migration", "disconnected"};
	EXPECT_EQ(*cli::rnbd_mapping_from_json(rnbd_mapping_json(m)), m);
	std::vector<rnbd::ServerSession> sv{{"web", 1, 1, true, {{"10.0.0.1", "connected", 2, 128, 131072}}}};
	auto back = cli::rnbd_sessions_from_json(rnbd_sessions_json(&sv, nullptr));
	ASSERT_TRUE(back);
	ASSERT_TRUE(back->server);
	EXPECT_FALSE(back->client);
	EXPECT_EQ((*back->server)[0].paths[0].max_io_size, 131072u);
	EXPECT_TRUE((*back->server)[0].closing);
	EXPECT_EQ(cli::rnbd_mapping_from_json(Json{{"name", 1}}).error().code, Errc::internal);

	rnbd::MapSpec spec;
	spec.session = "web";
	spec.paths = {*rnbd::parse_path("ip:10.0.0.2@ip:10.0.0.1")};
	spec.device_path = "/dev/srd0";
	spec.access = rnbd::Access::ro;
	EXPECT_EQ(cli::rnbd_map_body(spec).dump(),
		  R"({"access":"ro","device_path":"/dev/srd0","paths":["ip:10.0.0.2@ip:10.0.0.1"],"session":"web"})");
	EXPECT_EQ(cli::rnbd_export_body({"/dev/srd0", "", false}).dump(),
		  R"({"device_path":"/dev/srd0","read_only":false})");
}

TEST(RnbdOutput, Text)
{
	std::vector<rnbd::ExportInfo> ex{{"/dev/srd0", "", false}, {"/dev/srd1", "web", true}};
	std::vector<rnbd::Mapping> mp{{"srnbd0", "/dev/srnbd0", "web", "/dev/srd1", "ro", "open"}};
	EXPECT_EQ(cli::format_rnbd_list(&ex, &mp),
		  "EXPORT     SESSION  ACCESS\n"
		  "/dev/srd0  *        rw\n"
		  "/dev/srd1  web      ro\n"
		  "\n"
		  "DEVICE       SESSION  SERVER DEVICE  ACCESS  STATE\n"
		  "/dev/srnbd0  web      /dev/srd1      ro      open\n");
	EXPECT_EQ(cli::format_rnbd_list(nullptr, &mp).substr(0, 6), "DEVICE");
	std::vector<rnbd::ClientSession> cv{{"web", "connected",
					     {{0, "ip:10.0.0.2", "connected", 0, 0, 0, 0},
					      {1, "ip:10.0.1.2", "error", 0, 0, 0, 0}},
					     {"srnbd0"}}};
	EXPECT_EQ(cli::format_rnbd_sessions(nullptr, &cv),
		  "CLIENT SESSION  STATE      PATH         PATH STATE  DEVICES\n"
		  "web             connected  ip:10.0.0.2  connected   srnbd0\n"
		  "                           ip:10.0.1.2  error\n");
	EXPECT_EQ(cli::format_rdma_link_table({{"rxe0", 1, 1, "ACTIVE", "LINK_UP", "rxv0"}}),
		  "NAME  PORT  STATE   PHYSICAL  NETDEV\n"
		  "rxe0  1     ACTIVE  LINK_UP   rxv0\n");
}

// --- rdma names --------------------------------------------------------------------------

TEST(Rdma, Names)
{
	EXPECT_TRUE(rdma::validate_link_name("rxe0"));
	EXPECT_TRUE(rdma::validate_link_name("rxe_eth0"));
	const std::vector<std::string> bads = {"", "rxe%d", "a/b", "..", "a b", std::string(64, 'x')};
	for (const std::string &bad : bads)
		EXPECT_FALSE(rdma::validate_link_name(bad)) << bad;
	EXPECT_TRUE(rdma::validate_netdev_name("eth0"));
	EXPECT_TRUE(rdma::validate_netdev_name("veth-a.1"));
	for (const char *bad : {"", "a/b", "a:b", "..", "a b", "sixteen_chars_xx"})
		EXPECT_FALSE(rdma::validate_netdev_name(bad)) << bad;
	EXPECT_EQ(rdma::port_state_text(4), "ACTIVE");
	EXPECT_EQ(rdma::port_state_text(1), "DOWN");
	EXPECT_EQ(rdma::phys_state_text(5), "LINK_UP");
	EXPECT_EQ(rdma::port_state_text(9), "UNKNOWN(9)");
	EXPECT_EQ(rdma::default_link_name({}), "rxe0");
	EXPECT_EQ(rdma::default_link_name({{"rxe0", 0, 1, "", "", ""}, {"rxe2", 1, 1, "", "", ""}}), "rxe1");
}

} // namespace
