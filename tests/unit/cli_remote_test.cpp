// SPDX-License-Identifier: MIT
//
// `storctl --url`: the remote services and the real storctl binary against
// storctld's server run in-process (fake control device, fake
// device-mapper), compared with what the local code paths print; the
// HTTP status -> error class table; `storctl restore` without a daemon.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <storctl/ramdisk.h>

#include "app.hpp"
#include "daemon_fake_cache.hpp"
#include "daemon_fake_nvmet.hpp"
#include "exit_codes.hpp"
#include "fake_srd.hpp"
#include "json_output.hpp"
#include "output.hpp"
#include "remote.hpp"
#include "server.hpp"
#include "test_util.hpp"

extern char **environ;

namespace storctl::cli {
// cli/cache.cpp
std::string format_cache_table(const std::vector<CacheInfo> &caches);
std::string format_cache_stats(const CacheStats &s);
std::string format_cache_created(const CacheInfo &c);
std::string format_cache_removed(const CacheRemoval &r);
} // namespace storctl::cli

using namespace storctl;
using namespace storctl::cli;
using storctl::daemon::App;
using storctl::daemon::cache_json;
using storctl::daemon::cache_list_json;
using storctl::daemon::cache_stats_json;
using storctl::daemon::ramdisk_json;
using storctl::daemon::ramdisk_list_json;
using storctl::daemon::AppOptions;
using storctl::daemon::Server;
using storctl::daemon::ServerOptions;
using storctl::test::fake_srd;
using storctl::test::FakeKernel;
using storctl::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t MiB = 1ULL << 20;

struct Proc {
	int status = -1;
	std::string out;
	std::string err;
};

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

class RemoteCli : public ::testing::Test {
protected:
	TempDir tmp;
	std::string control = tmp.write("srd-control", "").string();
	std::string sysfs = tmp.mkdir("sys").string();
	std::string state_file = tmp.str() + "/state/state.json";
	std::shared_ptr<FakeKernel> kernel = std::make_shared<FakeKernel>();
	std::shared_ptr<nvmet::MemoryConfigFs> nvfs = storctl::test::fake_nvmet_tree();
	std::unique_ptr<App> app;
	std::unique_ptr<Server> server;
	std::string url;

	void SetUp() override
	{
		fake_srd().detach();
		fake_srd().attach(control);
		tmp.mkdir("sys/module/stor_ramdisk");
		tmp.mkdir("proc");
		kernel->add_device("/dev/srd0", DevNo{252, 0}, 32 * MiB);
		kernel->add_device("/dev/srd1", DevNo{252, 1}, 16 * MiB);
	}
	void TearDown() override
	{
		server.reset();
		app.reset();
		fake_srd().detach();
	}

	void start(std::optional<std::string> token = std::nullopt)
	{
		AppOptions ao;
		ao.control_path = control;
		ao.sysfs_root = sysfs;
		ao.proc_root = tmp.str() + "/proc";
		ao.state_file = state_file;
		ao.make_cache_manager = [k = kernel] { return storctl::test::fake_cache_manager(k); };
		ao.make_nvmet_manager = [f = nvfs] { return storctl::test::fake_nvmet_manager(f); };
		app = std::make_unique<App>(ao);
		app->restore();
		ServerOptions so;
		so.listen = {*daemon::parse_listen_address("127.0.0.1:0")};
		so.threads = 2;
		so.token = std::move(token);
		server = std::make_unique<Server>(*app, so);
		ASSERT_TRUE(server->bind());
		ASSERT_TRUE(server->start());
		url = "http://127.0.0.1:" + std::to_string(server->port());
	}

	// The lib lists <sysfs>/block/srd*: mirror the fake kernel's disks.
	void sync_sysfs()
	{
		fs::create_directories(fs::path(sysfs) / "block");
		for (const auto &e : fs::directory_iterator(fs::path(sysfs) / "block"))
			if (e.path().filename().string().starts_with("srd"))
				fs::remove_all(e.path());
		for (const auto &[idx, d] : fake_srd().disks)
			tmp.write("sys/block/srd" + std::to_string(idx) + "/size",
				  std::to_string(d.size_bytes / 512) + "\n");
	}

	RamdiskManager local() const { return RamdiskManager(control, sysfs); }
	RemoteClient client() const { return RemoteClient(RemoteOptions{url, std::nullopt, ""}); }

	Proc run(const std::vector<std::string> &args, const std::vector<std::string> &extra_env = {})
	{
		sync_sysfs();
		std::vector<std::string> env;
		for (char **e = environ; *e; e++)
			if (!std::string_view(*e).starts_with("STORCTL_"))
				env.emplace_back(*e);
		env.push_back("STORCTL_SRD_CONTROL=" + tmp.str() + "/no-control");
		env.push_back("STORCTL_SYSFS=" + sysfs);
		env.insert(env.end(), extra_env.begin(), extra_env.end());
		std::vector<std::string> argv_s{STORCTL_BINARY};
		argv_s.insert(argv_s.end(), args.begin(), args.end());
		std::vector<char *> argv, envp;
		for (auto &a : argv_s)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		for (auto &e : env)
			envp.push_back(e.data());
		envp.push_back(nullptr);
		const std::string out = tmp.str() + "/out", err = tmp.str() + "/err";
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		pid_t pid = -1;
		int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
		posix_spawn_file_actions_destroy(&fa);
		Proc p;
		if (rc != 0) {
			ADD_FAILURE() << "cannot run " << argv[0] << ": " << std::strerror(rc);
			return p;
		}
		int status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
		}
		p.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		p.out = slurp(out);
		p.err = slurp(err);
		return p;
	}
	Proc remote(std::vector<std::string> args, const std::vector<std::string> &extra_env = {})
	{
		args.insert(args.begin(), {"--url", url});
		return run(args, extra_env);
	}
};

std::string error_line(const Error &e)
{
	std::ostringstream s;
	report_error(e, s);
	return s.str();
}

} // namespace

TEST(RemoteExitCodes, HttpStatusAndCodeToErrorClass)
{
	EXPECT_EQ(errc_from_http(409, "exists"), Errc::exists);
	EXPECT_EQ(errc_from_http(409, "busy"), Errc::busy);
	EXPECT_EQ(errc_from_http(409, ""), Errc::busy);
	EXPECT_EQ(errc_from_http(422, "invalid_argument"), Errc::invalid_argument);
	EXPECT_EQ(errc_from_http(500, "kernel_failure"), Errc::kernel_failure);
	EXPECT_EQ(errc_from_http(507, "no_space"), Errc::no_space);
	EXPECT_EQ(errc_from_http(503, "unsupported"), Errc::unsupported);
	struct Case {
		int status;
		const char *code;
		int exit;
	} cases[] = {
		{400, "bad_request", kExitUsage}, {401, "unauthorized", kExitPermission},
		{403, "", kExitPermission},       {404, "not_found", kExitNotFound},
		{405, "method_not_allowed", kExitUsage}, {409, "exists", kExitExists},
		{409, "busy", kExitBusy},         {413, "payload_too_large", kExitUsage},
		{415, "unsupported_media_type", kExitUsage}, {422, "", kExitUsage},
		{500, "", kExitFailure},          {502, "", kExitFailure},
		{503, "", kExitUnsupported},      {507, "", kExitFailure},
	};
	for (const Case &c : cases)
		EXPECT_EQ(exit_code(errc_from_http(c.status, c.code)), c.exit) << c.status << " " << c.code;
}

TEST(RemoteClientSetup, UrlAndTokenFile)
{
	EXPECT_EQ(RemoteClient::from_env("ftp://x").error().code, Errc::invalid_argument);
	EXPECT_EQ(RemoteClient::from_env("127.0.0.1:9118").error().code, Errc::invalid_argument);
	auto ok = RemoteClient::from_env("http://127.0.0.1:9118///");
	ASSERT_TRUE(ok);
	EXPECT_EQ(ok->options().url, "http://127.0.0.1:9118");
	EXPECT_EQ(escape_segment("a+b:c@d.e_f-g"), "a%2Bb%3Ac%40d.e_f-g");
}

TEST_F(RemoteCli, RamdiskServicesMatchLocal)
{
	start();
	auto rd = make_remote_ramdisks(client());
	RamdiskCreateOptions o;
	o.size_bytes = 8 * MiB;
	o.logical_block_size = 4096;
	o.read_only = true;
	o.index = 3;
	auto made = rd->create(o);
	ASSERT_TRUE(made) << made.error().message;
	EXPECT_EQ(*made, *local().info(3));
	sync_sysfs();
	auto list = rd->list();
	ASSERT_TRUE(list) << list.error().message;
	EXPECT_EQ(*list, *local().list());
	auto info = rd->info("/dev/srd3");
	ASSERT_TRUE(info);
	EXPECT_EQ(*info, *local().info(3));
	auto grown = rd->resize(3, 16 * MiB);
	ASSERT_TRUE(grown) << grown.error().message;
	EXPECT_EQ(grown->size_bytes, 16 * MiB);
	EXPECT_EQ(fake_srd().disks.at(3).size_bytes, 16 * MiB);

	// Failures arrive as the library's errors.
	auto missing = rd->info("srd9");
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().code, Errc::not_found);
	EXPECT_EQ(missing.error().message, local().info(9).error().message);
	auto dup = rd->create(o);
	ASSERT_FALSE(dup);
	EXPECT_EQ(dup.error().code, Errc::exists);
	fake_srd().disks.at(3).open_count = 1;
	auto busy = rd->remove(3);
	ASSERT_FALSE(busy);
	EXPECT_EQ(busy.error().code, Errc::busy);
	EXPECT_EQ(busy.error().message, local().remove(3).error().message);
	fake_srd().disks.at(3).open_count = 0;
	EXPECT_TRUE(rd->remove(3));
	EXPECT_TRUE(fake_srd().disks.empty());
}

TEST_F(RemoteCli, CacheServicesMatchLocal)
{
	start();
	auto caches = make_remote_caches(client());
	auto mgr = storctl::test::fake_cache_manager(kernel);
	CacheCreateOptions o;
	o.cache = "/dev/srd1";
	o.origin = "/dev/srd0";
	o.mode = CacheMode::wa;
	o.policy = "lru";
	o.tunables = {{"small_pct", 10}};
	auto made = caches->create(o);
	ASSERT_TRUE(made) << made.error().message;
	EXPECT_EQ(*made, *mgr->info("sc_srd0"));
	auto list = caches->list();
	ASSERT_TRUE(list);
	EXPECT_EQ(*list, *mgr->list());
	kernel->dm.at("sc_srd0").counters = {5, 7, 1, 2, 7, 3, 1, 0, 0, 7, 256, 0, 0, 0};
	auto st = caches->stats("/dev/mapper/sc_srd0");
	ASSERT_TRUE(st) << st.error().message;
	auto lst = mgr->stats("sc_srd0");
	EXPECT_EQ(format_cache_stats(*st), format_cache_stats(*lst));
	EXPECT_EQ(cache_stats_json(*st), cache_stats_json(*lst));
	EXPECT_EQ(caches->create(o).error().code, Errc::busy);
	EXPECT_EQ(caches->stats("nope").error().code, Errc::not_found);
	auto rm = caches->remove("sc_srd0", CacheRemoveOptions{});
	ASSERT_TRUE(rm) << rm.error().message;
	EXPECT_EQ(rm->name, "sc_srd0");
	EXPECT_EQ(rm->mode, CacheMode::wa);
	EXPECT_TRUE(kernel->dm.empty());
	EXPECT_EQ(caches->remove("sc_srd0", CacheRemoveOptions{}).error().code, Errc::not_found);

	// wb: the removal's text says what was written back.
	o.mode = CacheMode::wb;
	o.policy.reset();
	o.tunables.clear();
	o.wb.writeback_jobs = 4;
	ASSERT_TRUE(caches->create(o));
	EXPECT_EQ(kernel->dm.at("sc_srd0").live.at(0).params, "s 252:0 252:1 4096 2 writeback_jobs 4");
	auto wst = caches->stats("sc_srd0");
	ASSERT_TRUE(wst);
	EXPECT_EQ(format_cache_stats(*wst), format_cache_stats(*mgr->stats("sc_srd0")));
	auto wrm = caches->remove("sc_srd0", CacheRemoveOptions{});
	ASSERT_TRUE(wrm) << wrm.error().message;
	EXPECT_EQ(format_cache_removed(*wrm), "removed sc_srd0 (wrote back 0 blocks)\n");
}

TEST_F(RemoteCli, NvmetServicesMatchLocal)
{
	start();
	auto nv = make_remote_nvmet(client());
	auto mgr = storctl::test::fake_nvmet_manager(nvfs);
	const std::string host_a = "nqn.2014-08.org.example:host-a";
	const std::string host_b = "nqn.2014-08.org.example:host-b";

	nvmet::PortSpec ps;
	ps.address = "127.0.0.1";
	auto port = nv->add_port(ps);
	ASSERT_TRUE(port) << port.error().message;
	EXPECT_TRUE(port->created);
	EXPECT_EQ(port->port, mgr->ports()->at(0));
	auto again = nv->add_port(ps);
	ASSERT_TRUE(again);
	EXPECT_FALSE(again->created);

	nvmet::ExportSpec es;
	es.volume = "/dev/srd0";
	es.hosts = {host_a, host_b};
	auto ex = nv->export_volume(es);
	ASSERT_TRUE(ex) << ex.error().message;
	EXPECT_TRUE(ex->created);
	EXPECT_EQ(ex->info, *mgr->find_export("srd0"));
	auto exports = nv->exports();
	ASSERT_TRUE(exports);
	EXPECT_EQ(*exports, *mgr->exports());
	auto ports = nv->ports();
	ASSERT_TRUE(ports);
	EXPECT_EQ(*ports, *mgr->ports());

	// Partial unexport: the lib's answer, and the state follows.
	nvmet::UnexportSpec us;
	us.volume = "srd0";
	us.hosts = {host_a};
	auto un = nv->unexport(us);
	ASSERT_TRUE(un) << un.error().message;
	EXPECT_FALSE(un->removed);
	EXPECT_EQ(un->hosts_removed, std::vector<std::string>{host_a});
	EXPECT_EQ(app->state().nvmet_exports.at(0).hosts, std::vector<std::string>{host_b});
	us.allow_any_host = true;
	us.hosts.clear();
	auto bad = nv->unexport(us);
	ASSERT_FALSE(bad);
	EXPECT_EQ(bad.error().code, Errc::invalid_argument);
	EXPECT_EQ(bad.error().message, mgr->unexport(us).error().message);

	EXPECT_EQ(nv->remove_port(port->port.id).error().code, Errc::busy);
	us.allow_any_host = false;
	auto whole = nv->unexport(us);
	ASSERT_TRUE(whole) << whole.error().message;
	EXPECT_TRUE(whole->removed);
	EXPECT_TRUE(app->state().nvmet_exports.empty());
	ASSERT_TRUE(nv->remove_port(port->port.id));
	EXPECT_TRUE(mgr->ports()->empty());
	EXPECT_EQ(nv->remove_port(port->port.id).error().code, Errc::not_found);
	EXPECT_EQ(nv->unexport(us).error().code, Errc::not_found);
}

TEST_F(RemoteCli, BinarySameOutputAndExitCodes)
{
	start();
	Proc made = remote({"ramdisk", "create", "8M", "--index", "2"});
	EXPECT_EQ(made.status, 0) << made.err;
	EXPECT_EQ(made.out, "created srd2 (/dev/srd2, 8.0 MiB)\n");
	EXPECT_EQ(made.err, "");
	ASSERT_EQ(remote({"--json", "ramdisk", "create", "4M"}).status, 0);
	sync_sysfs();
	auto disks = *local().list();
	ASSERT_EQ(disks.size(), 2u);

	Proc list = remote({"ramdisk", "list"});
	EXPECT_EQ(list.status, 0) << list.err;
	EXPECT_EQ(list.out, format_ramdisk_table(disks));
	Proc jlist = run({"ramdisk", "list", "--json"}, {"STORCTL_URL=" + url});
	EXPECT_EQ(jlist.status, 0) << jlist.err;
	EXPECT_EQ(jlist.out, ramdisk_list_json(disks).dump() + "\n");
	Proc info = remote({"ramdisk", "info", "srd2"});
	EXPECT_EQ(info.out, format_ramdisk_info(*local().info(2)));
	Proc resized = remote({"ramdisk", "resize", "srd2", "16M"});
	EXPECT_EQ(resized.out, "resized srd2 to 16.0 MiB\n");

	struct Case {
		std::vector<std::string> args;
		int exit;
		Error local;
	} cases[] = {
		{{"ramdisk", "info", "srd9"}, kExitNotFound, local().info(9).error()},
		{{"ramdisk", "create", "8M", "--index", "2"}, kExitExists, {}},
		{{"ramdisk", "create", "1000"}, kExitUsage, validate_ramdisk_size(1000).error()},
		{{"ramdisk", "remove", "sda"}, kExitUsage, validate_ramdisk_name("sda").error()},
		{{"cache", "stats", "nope"}, kExitNotFound, storctl::test::fake_cache_manager(kernel)->stats("nope").error()},
		{{"cache", "create", "--cache", "/dev/srd1", "--origin", "/dev/srd0", "--mode", "wz"},
		 kExitUsage, parse_cache_mode("wz").error()},
	};
	for (const Case &c : cases) {
		Proc p = remote(c.args);
		std::string what;
		for (const std::string &a : c.args)
			what += a + " ";
		EXPECT_EQ(p.status, c.exit) << what << p.err;
		EXPECT_EQ(p.out, "") << what;
		if (!c.local.message.empty()) {
			EXPECT_EQ(p.err, error_line(c.local)) << what;
		}
	}

	// Caches.
	Proc cmade = remote({"cache", "create", "--cache", "/dev/srd1", "--origin", "/dev/srd0", "--mode", "wt"});
	EXPECT_EQ(cmade.status, 0) << cmade.err;
	auto mgr = storctl::test::fake_cache_manager(kernel);
	EXPECT_EQ(cmade.out, format_cache_created(*mgr->info("sc_srd0")));
	EXPECT_EQ(remote({"cache", "list"}).out, format_cache_table(*mgr->list()));
	EXPECT_EQ(remote({"--json", "cache", "list"}).out, cache_list_json(*mgr->list()).dump() + "\n");
	EXPECT_EQ(remote({"cache", "stats", "sc_srd0"}).out, format_cache_stats(*mgr->stats("sc_srd0")));
	Proc crm = remote({"cache", "remove", "sc_srd0"});
	EXPECT_EQ(crm.status, 0) << crm.err;
	EXPECT_EQ(crm.out, "removed sc_srd0\n");

	Proc removed = remote({"ramdisk", "remove", "/dev/srd2"});
	EXPECT_EQ(removed.out, "removed srd2\n");
	EXPECT_EQ(fake_srd().disks.count(2), 0u);

	Proc nv = remote({"restore"});
	EXPECT_EQ(nv.status, kExitUnsupported);
	EXPECT_NE(nv.err.find("does not work through storctld"), std::string::npos) << nv.err;
	Proc gone = run({"--url", "http://127.0.0.1:1", "ramdisk", "list"});
	EXPECT_EQ(gone.status, kExitFailure);
	EXPECT_NE(gone.err.find("cannot reach storctld at http://127.0.0.1:1"), std::string::npos) << gone.err;
}

TEST_F(RemoteCli, BearerTokenFromFile)
{
	start(std::string("secret-token-0123456789"));
	Proc none = remote({"ramdisk", "list"});
	EXPECT_EQ(none.status, kExitPermission) << none.err;
	tmp.write("wrong", "nope-nope-nope\n");
	Proc wrong = remote({"ramdisk", "list"}, {"STORCTL_TOKEN_FILE=" + tmp.str() + "/wrong"});
	EXPECT_EQ(wrong.status, kExitPermission);
	tmp.write("token", "secret-token-0123456789\n");
	Proc right = remote({"ramdisk", "list"}, {"STORCTL_TOKEN_FILE=" + tmp.str() + "/token"});
	EXPECT_EQ(right.status, 0) << right.err;
	Proc missing = remote({"ramdisk", "list"}, {"STORCTL_TOKEN_FILE=" + tmp.str() + "/none"});
	EXPECT_EQ(missing.status, kExitNotFound);
	EXPECT_NE(missing.err.find("cannot read the token file"), std::string::npos) << missing.err;
}

TEST_F(RemoteCli, RestoreWithoutDaemon)
{
	// No state file: nothing to do.
	Proc none = run({"restore", "--state-file", tmp.str() + "/none.json"});
	EXPECT_EQ(none.status, 0) << none.err;
	EXPECT_NE(none.out.find("0 adopted, 0 recreated, 0 failed"), std::string::npos) << none.out;

	// A RAM disk and a cache that cannot be restored here (no module):
	// reported, exit 1, the file untouched.
	const std::string content = R"({"version":1,"ramdisks":[{"index":0,"size_bytes":4194304}],
		"caches":[{"name":"c","mode":"wt","cache":"/dev/srd0","origin":"/dev/nonexistent-x"}]})";
	tmp.write("state.json", content);
	Proc j = run({"--json", "restore", "--state-file", tmp.str() + "/state.json"});
	EXPECT_EQ(j.status, kExitFailure) << j.err;
	Json rep = Json::parse(j.out, nullptr, false);
	ASSERT_FALSE(rep.is_discarded()) << j.out;
	EXPECT_EQ(rep["summary"], Json::parse(R"({"adopted":0,"recreated":0,"failed":2})")) << j.out;
	EXPECT_EQ(rep["ramdisks"][0]["result"], "failed");
	EXPECT_EQ(rep["caches"][0]["name"], "c");
	EXPECT_EQ(rep["contents_preserved"], false);
	EXPECT_NE(j.err.find("2 items of"), std::string::npos) << j.err;
	EXPECT_EQ(slurp(tmp.str() + "/state.json"), content);

	// A corrupt file is reported and left where it is.
	tmp.write("bad.json", "{");
	Proc bad = run({"restore", "--state-file", tmp.str() + "/bad.json"});
	EXPECT_EQ(bad.status, kExitFailure);
	EXPECT_NE(bad.out.find("problem: "), std::string::npos) << bad.out;
	EXPECT_EQ(slurp(tmp.str() + "/bad.json"), "{");

	// With --url: refused (the daemon restores at its start).
	Proc viaurl = run({"--url", "http://127.0.0.1:1", "restore"});
	EXPECT_EQ(viaurl.status, kExitUnsupported);
}
