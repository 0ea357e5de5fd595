// SPDX-License-Identifier: MIT
//
// storctld desired state: JSON round trip, strict loading, atomic replace
// (a crash between the write and the rename leaves the old file), corrupt
// files kept aside, and restore against the fake control device (adopt,
// recreate, report failures, never remove).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <storctl/ramdisk.h>

#include "fake_srd.hpp"
#include "state.hpp"
#include "test_util.hpp"

using namespace storctl;
using namespace storctl::daemon;
using storctl::test::fake_srd;
using storctl::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t MiB = 1ULL << 20;

std::string slurp(const fs::path &p)
{
	std::ifstream in(p);
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

State sample()
{
	State s;
	RamdiskSpec a;
	a.index = 4;
	a.size_bytes = 64 * MiB;
	RamdiskSpec b;
	b.index = 1;
	b.size_bytes = 8 * MiB;
	b.logical_block_size = 4096;
	b.numa_node = 0;
	b.prealloc = true;
	b.read_only = true;
	b.overcommit = true;
	s.put(a);
	s.put(b);
	return s;
}

std::vector<std::string> dir_names(const fs::path &dir)
{
	std::vector<std::string> names;
	for (const auto &e : fs::directory_iterator(dir))
		names.push_back(e.path().filename().string());
	std::sort(names.begin(), names.end());
	return names;
}

} // namespace

TEST(DaemonState, PutEraseKeepIndexOrder)
{
	State s = sample();
	ASSERT_EQ(s.ramdisks.size(), 2u);
	EXPECT_EQ(s.ramdisks[0].index, 1);
	EXPECT_EQ(s.ramdisks[1].index, 4);
	RamdiskSpec c = s.ramdisks[1];
	c.size_bytes = 128 * MiB;
	s.put(c);
	EXPECT_EQ(s.ramdisks.size(), 2u);
	EXPECT_EQ(s.find(4)->size_bytes, 128 * MiB);
	EXPECT_TRUE(s.erase(1));
	EXPECT_FALSE(s.erase(1));
	EXPECT_EQ(s.find(1), nullptr);
}

TEST(DaemonState, JsonRoundTrip)
{
	State s = sample();
	Json j = s.to_json();
	EXPECT_EQ(j["version"], 1);
	EXPECT_EQ(j["ramdisks"][0], Json::parse(R"({"index":1,"size_bytes":8388608,
		"logical_block_size":4096,"numa_node":0,"prealloc":true,"read_only":true,"overcommit":true})"));
	EXPECT_TRUE(j["ramdisks"][1]["numa_node"].is_null());
	std::vector<std::string> problems;
	auto back = State::from_json(Json::parse(j.dump()), problems);
	ASSERT_TRUE(back) << back.error().message;
	EXPECT_TRUE(problems.empty());
	EXPECT_EQ(*back, s);
}

TEST(DaemonState, LoadingIsStrictPerEntry)
{
	std::vector<std::string> problems;
	auto st = State::from_json(Json::parse(R"({"version":1,"ramdisks":[
		{"index":0,"size_bytes":4096},
		{"index":0,"size_bytes":8192},
		{"index":-1,"size_bytes":4096},
		{"index":2,"size_bytes":1000},
		{"index":3,"size_bytes":4096,"logical_block_size":1024},
		{"index":4,"size_bytes":4096,"prealloc":"yes"},
		{"index":5,"size_bytes":4096,"numa_node":-3},
		"junk",
		{"index":6,"size_bytes":4096,"future_key":true}
	]})"), problems);
	ASSERT_TRUE(st) << st.error().message;
	ASSERT_EQ(st->ramdisks.size(), 2u);
	EXPECT_EQ(st->ramdisks[0].index, 0);
	EXPECT_EQ(st->ramdisks[0].size_bytes, 4096u);
	EXPECT_EQ(st->ramdisks[1].index, 6);
	EXPECT_EQ(problems.size(), 7u);
	for (const std::string &p : problems)
		EXPECT_NE(p.find("entry ignored"), std::string::npos) << p;

	for (const char *bad : {R"([])", R"({})", R"({"version":"1"})", R"({"version":2})",
				R"({"version":1,"ramdisks":{}})"}) {
		auto r = State::from_json(Json::parse(bad), problems);
		EXPECT_FALSE(r) << bad;
	}
}

TEST(DaemonState, AtomicWriteReplaces)
{
	TempDir tmp;
	const std::string path = tmp.str() + "/state.json";
	ASSERT_TRUE(write_file_atomic(path, "one\n"));
	EXPECT_EQ(slurp(path), "one\n");
	ASSERT_TRUE(write_file_atomic(path, "two\n"));
	EXPECT_EQ(slurp(path), "two\n");
	struct stat st {};
	ASSERT_EQ(::stat(path.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0600u);
	EXPECT_EQ(dir_names(tmp.path()), std::vector<std::string>{"state.json"}) << "temporary file left";

	auto fail = write_file_atomic(tmp.str() + "/no/such/dir/state.json", "x");
	EXPECT_FALSE(fail);
}

TEST(DaemonState, CrashBeforeRenameKeepsTheOldFile)
{
	TempDir tmp;
	const std::string path = tmp.str() + "/state.json";
	StateStore store(path);
	State old_state = sample();
	ASSERT_TRUE(store.save(old_state));
	const std::string old_text = slurp(path);

	// A child writes a new state and "crashes" (_exit) between the
	// complete, synced temporary file and the rename.
	pid_t pid = ::fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		State next;
		(void)write_file_atomic(path, next.to_json().dump(), [] { ::_exit(42); });
		::_exit(0);
	}
	int status = 0;
	ASSERT_EQ(::waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 42) << "the hook did not run";

	EXPECT_EQ(slurp(path), old_text);
	auto names = dir_names(tmp.path());
	ASSERT_EQ(names.size(), 2u) << "expected the old file and the crashed write's temp file";

	// The next start reads the old state and clears the leftover.
	StateStore::Loaded loaded = store.load();
	EXPECT_TRUE(loaded.existed);
	EXPECT_TRUE(loaded.problems.empty());
	EXPECT_EQ(loaded.state, old_state);
	EXPECT_EQ(dir_names(tmp.path()), std::vector<std::string>{"state.json"});
}

TEST(DaemonState, MissingAndCorruptFiles)
{
	TempDir tmp;
	StateStore store(tmp.str() + "/sub/state.json");
	auto none = store.load();
	EXPECT_FALSE(none.existed);
	EXPECT_TRUE(none.problems.empty());
	EXPECT_TRUE(none.state.ramdisks.empty());

	// save() creates the directory.
	ASSERT_TRUE(store.save(sample()));
	struct stat st {};
	ASSERT_EQ(::stat((tmp.str() + "/sub").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0700u);

	// A corrupt file is kept aside, never deleted.
	tmp.write("sub/state.json", "{\"version\":1,\"ramdisks\":[");
	auto bad = store.load();
	EXPECT_TRUE(bad.existed);
	ASSERT_EQ(bad.problems.size(), 1u);
	EXPECT_NE(bad.problems[0].find("not valid JSON"), std::string::npos) << bad.problems[0];
	EXPECT_TRUE(bad.state.ramdisks.empty());
	auto names = dir_names(tmp.path() / "sub");
	ASSERT_EQ(names.size(), 1u);
	EXPECT_TRUE(names[0].starts_with("state.json.corrupt.")) << names[0];
	EXPECT_EQ(slurp(tmp.path() / "sub" / names[0]), "{\"version\":1,\"ramdisks\":[");
}

class DaemonRestore : public ::testing::Test {
protected:
	TempDir tmp;
	std::string control = tmp.write("srd-control", "").string();
	RamdiskManager mgr{control, tmp.str()};

	void SetUp() override
	{
		fake_srd().detach();
		fake_srd().attach(control);
		fake_srd().max_disks = 8;
	}
	void TearDown() override { fake_srd().detach(); }
};

TEST_F(DaemonRestore, AdoptsRecreatesAndReports)
{
	// srd1 exists as saved, srd2 exists but differs, srd4 is missing,
	// srd9 cannot be made (index beyond the module's max_disks via the
	// kernel's EINVAL), srd5 exists but is not in the state.
	auto &d1 = fake_srd().add_disk(1, 8 * MiB);
	d1.logical_block_size = 512;
	fake_srd().add_disk(2, 16 * MiB);
	fake_srd().add_disk(5, 4 * MiB);

	State st;
	for (auto [idx, size] : {std::pair{1, 8 * MiB}, {2, 32 * MiB}, {4, 64 * MiB}, {9, 4 * MiB}}) {
		RamdiskSpec s;
		s.index = idx;
		s.size_bytes = size;
		s.prealloc = idx == 4;
		st.put(s);
	}
	RestoreReport rep = restore_ramdisks(mgr, st);
	ASSERT_EQ(rep.ramdisks.size(), 4u);
	EXPECT_EQ(rep.ramdisks[0].name, "srd1");
	EXPECT_EQ(rep.ramdisks[0].result, "adopted");
	EXPECT_EQ(rep.ramdisks[1].result, "adopted");
	EXPECT_NE(rep.ramdisks[1].message.find("differs from the saved state: size 16.0 MiB (saved: 32.0 MiB)"),
		  std::string::npos) << rep.ramdisks[1].message;
	EXPECT_EQ(rep.ramdisks[2].result, "recreated");
	EXPECT_NE(rep.ramdisks[2].message.find("previous contents were not kept"), std::string::npos);
	EXPECT_EQ(rep.ramdisks[3].result, "failed");
	EXPECT_EQ(rep.count("adopted"), 2u);
	EXPECT_EQ(rep.count("recreated"), 1u);
	EXPECT_EQ(rep.count("failed"), 1u);

	// The kernel: srd4 made with the saved options, nothing changed or
	// removed.
	auto &disks = fake_srd().disks;
	ASSERT_EQ(disks.size(), 4u);
	EXPECT_EQ(disks.at(4).size_bytes, 64 * MiB);
	EXPECT_EQ(disks.at(4).flags, SRD_FLAG_PREALLOC);
	EXPECT_EQ(disks.at(2).size_bytes, 16 * MiB);
	EXPECT_TRUE(disks.count(5));
	for (const auto &call : fake_srd().calls) {
		EXPECT_NE(call.request, static_cast<unsigned long>(SRD_IOC_REMOVE));
		EXPECT_NE(call.request, static_cast<unsigned long>(SRD_IOC_RESIZE));
	}

	Json j = rep.to_json();
	EXPECT_EQ(j["contents_preserved"], false);
	EXPECT_NE(j["note"].get<std::string>().find("not persisted"), std::string::npos);
	EXPECT_EQ(j["summary"], Json::parse(R"({"adopted":2,"recreated":1,"failed":1})"));
	EXPECT_EQ(j["ramdisks"][2]["name"], "srd4");
}

TEST_F(DaemonRestore, WithoutTheModuleEverythingFailsAndNothingBreaks)
{
	RamdiskManager missing(tmp.str() + "/no-control", tmp.str());
	State st = sample();
	RestoreReport rep = restore_ramdisks(missing, st);
	ASSERT_EQ(rep.ramdisks.size(), 2u);
	for (const RestoreItem &i : rep.ramdisks) {
		EXPECT_EQ(i.result, "failed");
		EXPECT_NE(i.message.find("module not loaded"), std::string::npos) << i.message;
	}
}

// --- caches in the state ------------------------------------------------------

TEST(DaemonState, CachesRoundTripSortedByName)
{
	State s;
	CacheSpec wb;
	wb.name = "zz";
	wb.mode = CacheMode::wb;
	wb.cache = "/dev/srd1";
	wb.origin = "/dev/sdb";
	wb.block_size = 4096;
	wb.wb.high_watermark = 60;
	wb.wb.autocommit_time = 1000;
	CacheSpec wt;
	wt.name = "aa";
	wt.cache = "/dev/srd2";
	wt.origin = "/dev/sdc";
	wt.block_size = 65536;
	wt.policy = "2q";
	wt.tunables = {{"small_pct", 10}};
	s.put_cache(wb);
	s.put_cache(wt);
	ASSERT_EQ(s.caches.size(), 2u);
	EXPECT_EQ(s.caches[0].name, "aa");
	Json j = s.to_json();
	EXPECT_EQ(j["caches"][1], Json::parse(R"({"name":"zz","mode":"wb","cache":"/dev/srd1",
		"origin":"/dev/sdb","block_size":4096,"policy":null,"tunables":{},
		"wb":{"high_watermark":60,"autocommit_time":1000}})"));
	std::vector<std::string> problems;
	auto back = State::from_json(Json::parse(j.dump()), problems);
	ASSERT_TRUE(back) << back.error().message;
	EXPECT_TRUE(problems.empty());
	EXPECT_EQ(*back, s);
	EXPECT_TRUE(s.erase_cache("aa"));
	EXPECT_FALSE(s.erase_cache("aa"));
	EXPECT_EQ(s.find_cache("aa"), nullptr);
	EXPECT_NE(s.find_cache("zz"), nullptr);
	// A file written before caches existed still loads.
	auto old = State::from_json(Json::parse(R"({"version":1,"ramdisks":[]})"), problems);
	ASSERT_TRUE(old);
	EXPECT_TRUE(old->caches.empty());
}

TEST(DaemonState, InvalidCacheEntriesAreSkipped)
{
	std::vector<std::string> problems;
	auto st = State::from_json(Json::parse(R"({"version":1,"caches":[
		{"name":"ok","mode":"wt","cache":"/dev/a","origin":"/dev/b"},
		{"name":"ok","mode":"wa","cache":"/dev/a","origin":"/dev/b"},
		{"name":"m","mode":"wz","cache":"/dev/a","origin":"/dev/b"},
		{"name":"-n","mode":"wt","cache":"/dev/a","origin":"/dev/b"},
		{"name":"p","mode":"wb","cache":"/dev/a","origin":"/dev/b","policy":"lru"},
		{"name":"h","mode":"wb","cache":"/dev/a","origin":"/dev/b","wb":{"high_watermark":500}},
		{"name":"b","mode":"wt","cache":"/dev/a","origin":"/dev/b","block_size":3000},
		{"name":"t","mode":"wt","cache":"/dev/a","origin":"/dev/b","tunables":{"x":-1}},
		{"name":"c","mode":"wt","cache":7,"origin":"/dev/b"},
		7]})"), problems);
	ASSERT_TRUE(st);
	ASSERT_EQ(st->caches.size(), 1u);
	EXPECT_EQ(st->caches[0].mode, CacheMode::wt);
	ASSERT_EQ(problems.size(), 9u);
	for (std::size_t i = 0; i < problems.size(); i++)
		EXPECT_NE(problems[i].find("caches[" + std::to_string(i + 1) + "]"), std::string::npos)
			<< problems[i];
	auto notarray = State::from_json(Json::parse(R"({"version":1,"caches":{}})"), problems);
	EXPECT_FALSE(notarray);
}

TEST(DaemonState, LoadWithoutRepairChangesNothing)
{
	TempDir tmp;
	StateStore store(tmp.str() + "/state.json");
	tmp.write("state.json", "{garbage");
	tmp.write("state.json.tmp.abcdef", "{}");
	auto r = store.load(false);
	EXPECT_TRUE(r.existed);
	ASSERT_EQ(r.problems.size(), 1u);
	EXPECT_NE(r.problems[0].find("nothing restored"), std::string::npos) << r.problems[0];
	auto names = dir_names(tmp.path());
	EXPECT_EQ(names, (std::vector<std::string>{"state.json", "state.json.tmp.abcdef"}));
	EXPECT_EQ(slurp(tmp.path() / "state.json"), "{garbage");
}

TEST(DaemonState, ReportCountsCachesAndPrintsText)
{
	RestoreReport r;
	r.state_file = "/x/state.json";
	r.state_file_existed = true;
	r.ramdisks.push_back({"srd0", 0, "recreated", "recreated empty"});
	r.caches.push_back({"sc_srd0", 0, "failed", "cannot recreate"});
	EXPECT_EQ(r.count("recreated"), 1u);
	EXPECT_EQ(r.count("failed"), 1u);
	Json j = r.to_json();
	EXPECT_EQ(j["caches"], Json::parse(R"([{"name":"sc_srd0","result":"failed","message":"cannot recreate"}])"));
	EXPECT_EQ(j["summary"], Json::parse(R"({"adopted":0,"recreated":1,"failed":1})"));
	EXPECT_EQ(r.to_text(), "state file: /x/state.json\n"
			       "ramdisk srd0: recreated: recreated empty\n"
			       "cache sc_srd0: failed: cannot recreate\n"
			       "0 adopted, 1 recreated, 1 failed\n"
			       "RAM disk contents are not persisted: a recreated RAM disk starts empty "
			       "(and a cache recreated over it starts cold)\n");
}

TEST(DaemonState, NvmetRoundTripAndInvalidEntries)
{
	State st;
	st.put_nvmet_port({7, "tcp", "fd00::1", "4421"});
	st.put_nvmet_port({2, "loop", "", ""});
	NvmetExportSpec x;
	x.nqn = "nqn.2014-08.org.storctl:h:srd0";
	x.volume = "/dev/srd0";
	x.hosts = {"nqn.2014-08.org.example:a"};
	x.ports = {2, 7};
	st.put_nvmet_export(x);
	ASSERT_EQ(st.nvmet_ports.size(), 2u);
	EXPECT_EQ(st.nvmet_ports[0].id, 2);
	std::vector<std::string> problems;
	auto back = State::from_json(st.to_json(), problems);
	ASSERT_TRUE(back) << back.error().message;
	EXPECT_TRUE(problems.empty());
	EXPECT_EQ(*back, st);

	Json j = st.to_json();
	j["nvmet_ports"].push_back(Json{{"id", 0u}, {"transport", "tcp"}, {"address", "1.2.3.4"}, {"service", "1"}});
	j["nvmet_ports"].push_back(Json{{"id", 9u}, {"transport", "udp"}, {"address", "1.2.3.4"}, {"service", "1"}});
	j["nvmet_ports"].push_back(Json{{"id", 7u}, {"transport", "tcp"}, {"address", "1.2.3.4"}, {"service", "1"}});
	j["nvmet_exports"].push_back(Json{{"nqn", "bad"}, {"volume", "/dev/srd1"}});
	j["nvmet_exports"].push_back(Json{{"nqn", "nqn.2014-08.org.storctl:h:srd1"}, {"volume", "/dev/srd1"},
					  {"hosts", Json::array({"nqn.2014-08.org.example:a"})},
					  {"allow_any_host", true}});
	problems.clear();
	back = State::from_json(j, problems);
	ASSERT_TRUE(back);
	EXPECT_EQ(*back, st);
	ASSERT_EQ(problems.size(), 5u);
	EXPECT_NE(problems[2].find("appears twice"), std::string::npos) << problems[2];

	EXPECT_TRUE(st.erase_nvmet_port(7));
	EXPECT_FALSE(st.erase_nvmet_port(7));
	EXPECT_TRUE(st.erase_nvmet_export(x.nqn));
	EXPECT_TRUE(st.nvmet_exports.empty());
}
