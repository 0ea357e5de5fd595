// SPDX-License-Identifier: MIT
//
// CacheManager against a fake device-mapper and a fake system: what is
// checked before anything changes, the exact tables loaded, rollback of a
// half-done create, and the remove sequences (wb flush, refusals, --force).
#include <cerrno>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <storctl/cache.hpp>

namespace {

using namespace storctl;
using namespace std::chrono_literals;

struct FakeDev {
	dm::DeviceInfo info;
	std::vector<dm::Target> live;
	std::vector<dm::Target> inactive;
	// Status params of the live target; the front is returned and
	// popped while more than one is queued.
	std::deque<std::string> status;
};

class FakeDm final : public dm::Client {
public:
	std::map<std::string, FakeDev> devs;
	std::vector<std::string> types = {"linear", "stor-cache", "writecache", "error"};
	std::vector<std::string> calls;
	std::map<std::string, int> fail;  // operation -> errno, once
	std::map<std::string, int> message_errno;  // message -> errno (sticky)
	std::uint32_t next_minor = 0;

	Result<std::vector<std::string>> list_names() override
	{
		std::vector<std::string> names;
		for (const auto &[n, d] : devs)
			names.push_back(n);
		std::reverse(names.begin(), names.end());  // the manager must sort
		return names;
	}
	Result<std::optional<dm::DeviceInfo>> info(const std::string &name) override
	{
		auto it = devs.find(name);
		if (it == devs.end())
			return std::optional<dm::DeviceInfo>();
		dm::DeviceInfo i = it->second.info;
		i.live_table = !it->second.live.empty();
		i.inactive_table = !it->second.inactive.empty();
		i.target_count = static_cast<std::uint32_t>(it->second.live.size());
		return std::optional<dm::DeviceInfo>(i);
	}
	Result<std::vector<dm::Target>> table(const std::string &name) override
	{
		auto d = find(name, "table");
		if (!d)
			return std::move(d).error();
		return (*d)->live;
	}
	Result<std::vector<dm::Target>> status(const std::string &name) override
	{
		calls.push_back("status " + name);
		auto d = find(name, "status");
		if (!d)
			return std::move(d).error();
		std::vector<dm::Target> out;
		for (const dm::Target &t : (*d)->live) {
			dm::Target s = t;
			s.params = (*d)->status.empty() ? "" : (*d)->status.front();
			out.push_back(s);
		}
		if ((*d)->status.size() > 1)
			(*d)->status.pop_front();
		return out;
	}
	Result<std::vector<dm::TargetType>> target_types() override
	{
		std::vector<dm::TargetType> out;
		for (const auto &t : types)
			out.push_back({t, {1, 0, 0}});
		return out;
	}
	Result<void> create(const std::string &name) override
	{
		calls.push_back("create " + name);
		if (auto e = failing("create"))
			return *e;
		if (devs.count(name))
			return Error{Errc::exists, EEXIST, "exists"};
		devs[name].info = dm::DeviceInfo{254, 100 + next_minor++, 0, 0, false, false, false};
		return ok();
	}
	Result<void> load(const std::string &name, const std::vector<dm::Target> &t) override
	{
		std::string c = "load " + name;
		for (const auto &x : t)
			c += " | " + table_line(x);
		calls.push_back(c);
		auto d = find(name, "load");
		if (!d)
			return std::move(d).error();
		if (auto e = failing("load"))
			return *e;
		(*d)->inactive = t;
		return ok();
	}
	Result<void> clear_inactive(const std::string &name) override
	{
		calls.push_back("clear " + name);
		auto d = find(name, "clear");
		if (!d)
			return std::move(d).error();
		(*d)->inactive.clear();
		return ok();
	}
	Result<void> suspend(const std::string &name) override
	{
		calls.push_back("suspend " + name);
		auto d = find(name, "suspend");
		if (!d)
			return std::move(d).error();
		if (auto e = failing("suspend"))
			return *e;
		(*d)->info.suspended = true;
		return ok();
	}
	Result<void> resume(const std::string &name) override
	{
		calls.push_back("resume " + name);
		auto d = find(name, "resume");
		if (!d)
			return std::move(d).error();
		if (auto e = failing("resume"))
			return *e;
		if (!(*d)->inactive.empty()) {
			(*d)->live = std::move((*d)->inactive);
			(*d)->inactive.clear();
		}
		(*d)->info.suspended = false;
		return ok();
	}
	Result<void> remove(const std::string &name, bool deferred) override
	{
		calls.push_back(std::string(deferred ? "remove-deferred " : "remove ") + name);
		auto d = find(name, "remove");
		if (!d)
			return std::move(d).error();
		if (auto e = failing("remove"))
			return *e;
		if ((*d)->info.open_count > 0) {
			if (!deferred)
				return Error{Errc::busy, EBUSY, "busy"};
			return ok();  // stays until closed
		}
		devs.erase(name);
		return ok();
	}
	Result<std::string> message(const std::string &name, const std::string &msg) override
	{
		calls.push_back("message " + name + " " + msg);
		auto d = find(name, "message");
		if (!d)
			return std::move(d).error();
		if (auto it = message_errno.find(msg); it != message_errno.end())
			return Error{errc_from_errno(it->second), it->second, "message failed"};
		return std::string();
	}

	bool called(const std::string &prefix) const
	{
		return std::any_of(calls.begin(), calls.end(),
				   [&](const std::string &c) { return c.rfind(prefix, 0) == 0; });
	}

	// A device with a live table, as if created earlier.
	FakeDev &add(const std::string &name, dm::Target t, std::uint32_t minor)
	{
		FakeDev &d = devs[name];
		d.info = dm::DeviceInfo{254, minor, 0, 1, false, true, false};
		d.live = {std::move(t)};
		return d;
	}

private:
	Result<FakeDev *> find(const std::string &name, const std::string &op)
	{
		auto it = devs.find(name);
		if (it == devs.end())
			return Error{Errc::not_found, ENXIO, op + " " + name + ": no such device"};
		return &it->second;
	}
	std::optional<Error> failing(const std::string &op)
	{
		auto it = fail.find(op);
		if (it == fail.end())
			return std::nullopt;
		int err = it->second;
		fail.erase(it);
		return Error{errc_from_errno(err), err, op + " failed"};
	}
};

class FakeSystem final : public CacheSystem {
public:
	std::map<std::string, Result<BlockDevice>> devices;
	std::map<std::string, std::string> names;  // "M:m" -> /dev/...
	std::map<std::string, std::string> mounts;  // "M:m" -> mount point
	std::vector<std::string> wiped;
	std::vector<std::string> loaded;
	std::function<Result<void>(const std::string &)> on_load;
	std::chrono::steady_clock::time_point clock{};
	std::function<void()> on_sleep;

	void add_device(const std::string &path, DevNo d, std::uint64_t size)
	{
		devices.insert_or_assign(path, Result<BlockDevice>(BlockDevice{path, d, size}));
		names[d.str()] = path;
	}

	Result<BlockDevice> probe(const std::string &path) override
	{
		auto it = devices.find(path);
		if (it == devices.end())
			return Error{Errc::not_found, ENOENT, path + " does not exist"};
		return it->second;
	}
	Result<void> wipe(const BlockDevice &dev, std::size_t bytes) override
	{
		wiped.push_back(dev.path + " " + std::to_string(bytes));
		return ok();
	}
	std::string device_path(DevNo d) override
	{
		auto it = names.find(d.str());
		return it == names.end() ? d.str() : it->second;
	}
	std::optional<std::string> mount_point(DevNo d) override
	{
		auto it = mounts.find(d.str());
		if (it == mounts.end())
			return std::nullopt;
		return it->second;
	}
	Result<void> load_module(const std::string &name) override
	{
		loaded.push_back(name);
		if (on_load)
			return on_load(name);
		return make_error(Errc::unsupported, "module " + name + " not found in /lib/modules");
	}
	std::chrono::steady_clock::time_point now() override { return clock; }
	void sleep(std::chrono::milliseconds d) override
	{
		clock += d;
		if (on_sleep)
			on_sleep();
	}
};

const DevNo kOriginNo{254, 0};
const DevNo kCacheNo{254, 16};
constexpr std::uint64_t kOriginSize = 32 << 20;
constexpr std::uint64_t kCacheSize = 16 << 20;

class CacheManagerTest : public ::testing::Test {
protected:
	FakeDm *dm = nullptr;
	FakeSystem *sys = nullptr;
	std::unique_ptr<CacheManager> mgr;

	void SetUp() override
	{
		auto d = std::make_unique<FakeDm>();
		auto s = std::make_unique<FakeSystem>();
		dm = d.get();
		sys = s.get();
		mgr = std::make_unique<CacheManager>(std::move(d), std::move(s));
		sys->add_device("/dev/srd0", kOriginNo, kOriginSize);
		sys->add_device("/dev/srd1", kCacheNo, kCacheSize);
	}

	CacheCreateOptions opts(CacheMode mode) const
	{
		CacheCreateOptions o;
		o.origin = "/dev/srd0";
		o.cache = "/dev/srd1";
		o.mode = mode;
		return o;
	}

	// Expect @r to fail with @code and a message containing @text, and
	// nothing to have been created.
	template <typename T>
	void expect_refused(const Result<T> &r, Errc code, const std::string &text)
	{
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error().code, code) << r.error().message;
		EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
		EXPECT_FALSE(dm->called("create")) << "a device was created";
		EXPECT_TRUE(dm->devs.empty());
		EXPECT_TRUE(sys->wiped.empty());
	}
};

// --- create ---------------------------------------------------------------------

TEST_F(CacheManagerTest, CreateWtDefaults)
{
	auto info = mgr->create(opts(CacheMode::wt));
	ASSERT_TRUE(info) << info.error().message;
	const std::vector<std::string> want = {
		"create sc_srd0",
		"load sc_srd0 | 0 65536 stor-cache 254:0 254:16 128 wt",
		"resume sc_srd0",
	};
	EXPECT_EQ(dm->calls, want);
	EXPECT_EQ(info->name, "sc_srd0");
	EXPECT_EQ(info->path, "/dev/mapper/sc_srd0");
	EXPECT_EQ(info->target, "stor-cache");
	EXPECT_EQ(info->mode, CacheMode::wt);
	EXPECT_EQ(info->cache, "/dev/srd1");
	EXPECT_EQ(info->origin, "/dev/srd0");
	EXPECT_EQ(info->cache_devno, kCacheNo);
	EXPECT_EQ(info->origin_devno, kOriginNo);
	EXPECT_EQ(info->block_size, 65536u);
	EXPECT_EQ(info->size_bytes, kOriginSize);
	EXPECT_EQ(info->policy, "s3fifo");  // the kernel's default, filled in
	EXPECT_TRUE(sys->wiped.empty());
}

TEST_F(CacheManagerTest, CreateWaWithPolicyTunablesAndName)
{
	auto o = opts(CacheMode::wa);
	o.name = "fast";
	o.block_size = 4096;
	o.policy = "lru";
	o.tunables = {{"write_promote", 1}};
	auto info = mgr->create(o);
	ASSERT_TRUE(info) << info.error().message;
	EXPECT_EQ(dm->calls[1], "load fast | 0 65536 stor-cache 254:0 254:16 8 wa 4 policy lru write_promote 1");
	EXPECT_EQ(info->policy, "lru");
	ASSERT_EQ(info->options.size(), 1u);
	EXPECT_EQ(info->options[0].first, "write_promote");
}

TEST_F(CacheManagerTest, CreateWbWipesAndBuildsWritecache)
{
	auto o = opts(CacheMode::wb);
	o.wb.high_watermark = 60;
	o.wb.autocommit_time = 100;
	auto info = mgr->create(o);
	ASSERT_TRUE(info) << info.error().message;
	EXPECT_EQ(dm->calls[1],
		  "load sc_srd0 | 0 65536 writecache s 254:0 254:16 4096 4 high_watermark 60 "
		  "autocommit_time 100");
	EXPECT_EQ(sys->wiped, std::vector<std::string>{"/dev/srd1 4096"});
	EXPECT_EQ(info->mode, CacheMode::wb);
	EXPECT_EQ(info->target, "writecache");
	EXPECT_EQ(info->policy, std::nullopt);
	EXPECT_EQ(info->block_size, 4096u);
}

TEST_F(CacheManagerTest, CreateRefusesBadInputBeforeAnything)
{
	auto o = opts(CacheMode::wt);
	o.name = "../sda";
	expect_refused(mgr->create(o), Errc::invalid_argument, "invalid cache name '../sda'");

	o = opts(CacheMode::wt);
	o.block_size = 12288;
	expect_refused(mgr->create(o), Errc::invalid_argument, "power of two");

	o = opts(CacheMode::wt);
	o.policy = "arc";
	expect_refused(mgr->create(o), Errc::invalid_argument, "unknown cache policy 'arc'");

	o = opts(CacheMode::wb);
	o.policy = "lru";
	expect_refused(mgr->create(o), Errc::invalid_argument, "--policy applies to wt and wa");

	o = opts(CacheMode::wb);
	o.tunables = {{"x", 1}};
	expect_refused(mgr->create(o), Errc::invalid_argument, "--tunable applies to wt and wa");

	o = opts(CacheMode::wt);
	o.wb.writeback_jobs = 4;
	expect_refused(mgr->create(o), Errc::invalid_argument, "apply to wb caches only");

	o = opts(CacheMode::wb);
	o.wb.low_watermark = 90;
	expect_refused(mgr->create(o), Errc::invalid_argument, "low watermark");

	o = opts(CacheMode::wt);
	for (int i = 0; i < 17; i++)
		o.tunables.push_back({"t" + std::to_string(i), 1});
	expect_refused(mgr->create(o), Errc::invalid_argument, "too many tunables (17)");

	o = opts(CacheMode::wt);
	o.origin = "/dev/" + std::string(130, 'x');
	expect_refused(mgr->create(o), Errc::invalid_argument, "pass --name");
}

TEST_F(CacheManagerTest, CreateRefusesMissingBusyAndSameDevices)
{
	auto o = opts(CacheMode::wt);
	o.origin = "/dev/srd9";
	expect_refused(mgr->create(o), Errc::not_found, "origin /dev/srd9 does not exist");

	o = opts(CacheMode::wt);
	o.cache = "/dev/nosuch";
	expect_refused(mgr->create(o), Errc::not_found, "cache device /dev/nosuch does not exist");

	sys->devices.insert_or_assign(
		"/dev/srd1", Result<BlockDevice>(Error{Errc::busy, EBUSY, "/dev/srd1 is in use (held by sc_x)"}));
	expect_refused(mgr->create(opts(CacheMode::wt)), Errc::busy,
		       "cache device /dev/srd1 is in use (held by sc_x)");

	// Two paths of one device.
	sys->add_device("/dev/srd1", kCacheNo, kCacheSize);
	sys->add_device("/dev/alias0", kOriginNo, kOriginSize);
	o = opts(CacheMode::wt);
	o.cache = "/dev/alias0";
	expect_refused(mgr->create(o), Errc::invalid_argument, "are the same device");
}

TEST_F(CacheManagerTest, CreateRefusesExistingName)
{
	dm->add("sc_srd0", {0, 8, "linear", "8:0 0"}, 7);
	auto r = mgr->create(opts(CacheMode::wt));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::exists);
	EXPECT_NE(r.error().message.find("'sc_srd0' already exists"), std::string::npos);
	EXPECT_FALSE(dm->called("create"));
	EXPECT_EQ(dm->devs.at("sc_srd0").live.front().type, "linear");
}

TEST_F(CacheManagerTest, CreateRefusesTooSmallCache)
{
	sys->add_device("/dev/srd1", kCacheNo, 32768);
	expect_refused(mgr->create(opts(CacheMode::wt)), Errc::invalid_argument,
		       "is too small for one cache block of 64.0 KiB");
}

TEST_F(CacheManagerTest, MissingTargetLoadsModuleOrIsUnsupported)
{
	dm->types = {"linear"};
	expect_refused(mgr->create(opts(CacheMode::wt)), Errc::unsupported,
		       "the device-mapper target 'stor-cache' is not available: kernel module "
		       "dm-stor-cache is not loaded and could not be loaded");
	EXPECT_EQ(sys->loaded, std::vector<std::string>{"dm-stor-cache"});

	expect_refused(mgr->create(opts(CacheMode::wb)), Errc::unsupported, "dm-writecache");

	// Loading registers the target: go ahead.
	sys->on_load = [&](const std::string &) -> Result<void> {
		dm->types.push_back("writecache");
		return ok();
	};
	auto r = mgr->create(opts(CacheMode::wb));
	ASSERT_TRUE(r) << r.error().message;
}

TEST_F(CacheManagerTest, FailedLoadRollsBack)
{
	dm->fail["load"] = EINVAL;
	auto r = mgr->create(opts(CacheMode::wt));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_EQ(r.error().message,
		  "the kernel rejected the table '0 65536 stor-cache 254:0 254:16 128 wt' (the "
		  "reason is in the kernel log: dmesg); nothing was created");
	EXPECT_TRUE(dm->called("remove sc_srd0"));
	EXPECT_TRUE(dm->devs.empty());
}

TEST_F(CacheManagerTest, FailedResumeRollsBack)
{
	dm->fail["resume"] = ENOMEM;
	auto r = mgr->create(opts(CacheMode::wa));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::no_memory);
	EXPECT_TRUE(dm->called("remove sc_srd0"));
	EXPECT_TRUE(dm->devs.empty());
}

TEST_F(CacheManagerTest, FailedRollbackIsReported)
{
	dm->fail["load"] = EBUSY;
	dm->fail["remove"] = EIO;
	auto r = mgr->create(opts(CacheMode::wt));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::busy);
	EXPECT_NE(r.error().message.find("the half-created device sc_srd0 could not be removed"),
		  std::string::npos)
		<< r.error().message;
}

// --- list, info, stats ---------------------------------------------------------------

TEST_F(CacheManagerTest, ListOnlyCachesSortedByName)
{
	dm->add("zeta", {0, 65536, "stor-cache", "254:0 254:16 8 wa 2 policy fifo"}, 1);
	dm->add("alpha", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 2);
	dm->add("plain", {0, 8, "linear", "254:0 0"}, 3);
	dm->add("two", {0, 8, "stor-cache", "254:0 254:16 8 wt"}, 4).live.push_back(
		{8, 8, "linear", "254:0 8"});
	dm->devs["empty"].info = dm::DeviceInfo{254, 5, 0, 0, false, false, false};
	auto l = mgr->list();
	ASSERT_TRUE(l) << l.error().message;
	ASSERT_EQ(l->size(), 2u);
	EXPECT_EQ((*l)[0].name, "alpha");
	EXPECT_EQ((*l)[0].mode, CacheMode::wb);
	EXPECT_EQ((*l)[0].cache, "/dev/srd1");
	EXPECT_EQ((*l)[1].name, "zeta");
	EXPECT_EQ((*l)[1].mode, CacheMode::wa);
	EXPECT_EQ((*l)[1].policy, "fifo");
	EXPECT_EQ((*l)[1].block_size, 4096u);
	EXPECT_EQ((*l)[1].size_bytes, kOriginSize);

	dm->devs.clear();
	EXPECT_TRUE(mgr->list()->empty());
}

TEST_F(CacheManagerTest, InfoOfUnknownOrNonCache)
{
	auto r = mgr->info("nosuch");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::not_found);
	EXPECT_NE(r.error().message.find("no cache named 'nosuch'"), std::string::npos);

	dm->add("plain", {0, 8, "linear", "254:0 0"}, 3);
	r = mgr->info("/dev/mapper/plain");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::not_found);
	EXPECT_NE(r.error().message.find("has a 'linear' table"), std::string::npos)
		<< r.error().message;

	r = mgr->info("a/b");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST_F(CacheManagerTest, StatsOfBothTargets)
{
	dm->add("sc", {0, 65536, "stor-cache", "254:0 254:16 128 wt"}, 1).status = {
		"3 1 0 0 1 0 0 0 0 1 256 0 0 0"};
	auto s = mgr->stats("sc");
	ASSERT_TRUE(s) << s.error().message;
	ASSERT_TRUE(s->stor_cache);
	EXPECT_FALSE(s->writecache);
	EXPECT_EQ(s->stor_cache->get("read_hits"), 3u);
	EXPECT_DOUBLE_EQ(s->stor_cache->read_hit_ratio(), 0.75);

	dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 2).status = {"0 100 90 2"};
	s = mgr->stats("wb");
	ASSERT_TRUE(s) << s.error().message;
	ASSERT_TRUE(s->writecache);
	EXPECT_EQ(s->writecache->dirty_blocks(), 10u);
	EXPECT_EQ(s->info.origin, "/dev/srd0");
}

// --- remove -------------------------------------------------------------------------

TEST_F(CacheManagerTest, RemoveWt)
{
	dm->add("sc", {0, 65536, "stor-cache", "254:0 254:16 128 wt"}, 1);
	auto r = mgr->remove("sc");
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(r->name, "sc");
	EXPECT_EQ(r->written_back_blocks, 0u);
	EXPECT_FALSE(r->deferred);
	EXPECT_EQ(dm->calls, std::vector<std::string>{"remove sc"});
	EXPECT_TRUE(dm->devs.empty());
}

TEST_F(CacheManagerTest, RemoveRefusesOpenOrMountedWithoutForce)
{
	dm->add("sc", {0, 65536, "stor-cache", "254:0 254:16 128 wt"}, 1).info.open_count = 1;
	auto r = mgr->remove("sc");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::busy);
	EXPECT_NE(r.error().message.find("it is open (1 opener)"), std::string::npos)
		<< r.error().message;
	EXPECT_NE(r.error().message.find("--force"), std::string::npos);
	EXPECT_TRUE(dm->devs.count("sc"));
	EXPECT_FALSE(dm->called("remove"));
	EXPECT_FALSE(dm->called("load"));

	sys->mounts["254:1"] = "/mnt/data";
	r = mgr->remove("sc");
	ASSERT_FALSE(r);
	EXPECT_NE(r.error().message.find("it is mounted on /mnt/data"), std::string::npos);
}

TEST_F(CacheManagerTest, RemoveWaitsForTransientOpeners)
{
	dm->add("sc", {0, 65536, "stor-cache", "254:0 254:16 128 wa"}, 1).info.open_count = 1;
	int sleeps = 0;
	sys->on_sleep = [&] {
		if (++sleeps == 3)
			dm->devs.at("sc").info.open_count = 0;  // udev is done
	};
	auto r = mgr->remove("sc");
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_TRUE(dm->devs.empty());
}

TEST_F(CacheManagerTest, ForceRemoveOfOpenWtRemapsToOrigin)
{
	dm->add("sc", {0, 65536, "stor-cache", "254:0 254:16 128 wt"}, 1).info.open_count = 2;
	CacheRemoveOptions o;
	o.force = true;
	auto r = mgr->remove("sc", o);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_TRUE(r->deferred);
	const std::vector<std::string> want = {
		"load sc | 0 65536 linear 254:0 0",
		"suspend sc",
		"resume sc",
		"remove-deferred sc",
	};
	EXPECT_EQ(dm->calls, want);
	EXPECT_EQ(dm->devs.at("sc").live.front().type, "linear");
}

TEST_F(CacheManagerTest, RemoveWbFlushesAndReportsWrittenBack)
{
	dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 1).status = {
		"0 4080 3980 0 0 0 0 0 0 0 0 0 0 0",   // before: 100 dirty
		"0 4080 4030 20 0 0 0 0 0 0 0 0 0 0",  // after the flush message, still going
		"0 4080 4080 0 0 0 0 0 0 0 0 0 0 0",   // clean
	};
	auto r = mgr->remove("wb");
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(r->written_back_blocks, 100u);
	EXPECT_EQ(r->mode, CacheMode::wb);
	const std::vector<std::string> want = {
		"status wb",
		"message wb flush",
		"status wb",
		"status wb",
		"message wb flush_on_suspend",
		"suspend wb",
		"status wb",
		"remove wb",
	};
	EXPECT_EQ(dm->calls, want);
	EXPECT_TRUE(dm->devs.empty());
}

TEST_F(CacheManagerTest, FlushWbWritesBackAndKeepsTheCache)
{
	dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 1).status = {
		"0 4080 3980 0 0 0 0 0 0 0 0 0 0 0",   // before: 100 dirty
		"0 4080 4030 20 0 0 0 0 0 0 0 0 0 0",  // after the flush message, still going
		"0 4080 4080 0 0 0 0 0 0 0 0 0 0 0",   // clean
	};
	auto r = mgr->flush("wb", 5000ms);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(*r, 100u);
	const std::vector<std::string> want = {
		"status wb", "message wb flush", "status wb", "status wb",
	};
	EXPECT_EQ(dm->calls, want);
	EXPECT_TRUE(dm->devs.count("wb"));
}

TEST_F(CacheManagerTest, FlushWbTimesOutAndSaysSo)
{
	dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 1).status = {
		"0 4080 4000 8 0 0 0 0 0 0 0 0 0 0"};
	auto r = mgr->flush("wb", 1500ms);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::busy);
	EXPECT_EQ(r.error().message,
		  "cannot flush wb: 80 blocks were still dirty after 1.5 s of write-back; the dirty "
		  "data stays on the cache device /dev/srd1");
	EXPECT_TRUE(dm->devs.count("wb"));
	EXPECT_FALSE(dm->called("suspend"));
}

TEST_F(CacheManagerTest, FlushRefusesWtCacheAndUnknownName)
{
	dm->add("sc", {0, 65536, "stor-cache", "254:0 254:16 128 wt"}, 0);
	auto r = mgr->flush("sc");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_FALSE(dm->called("message"));
	auto n = mgr->flush("nope");
	ASSERT_FALSE(n);
	EXPECT_EQ(n.error().code, Errc::not_found);
}

TEST_F(CacheManagerTest, RemoveWbRefusedWhenFlushFails)
{
	dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 1).status = {
		"0 4080 3980 0 0 0 0 0 0 0 0 0 0 0", "-5 4080 3980 0 0 0 0 0 0 0 0 0 0 0"};
	dm->message_errno["flush"] = EIO;
	auto r = mgr->remove("wb");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::io_error);
	EXPECT_EQ(r.error().message,
		  "cannot remove wb: writing back 100 dirty blocks to the origin /dev/srd0 failed "
		  "(I/O error); nothing was removed (the data is still on the cache device /dev/srd1)");
	EXPECT_TRUE(dm->devs.count("wb"));
	EXPECT_FALSE(dm->called("remove"));
	EXPECT_FALSE(dm->called("suspend"));
}

TEST_F(CacheManagerTest, RemoveWbRefusedOnWriteErrorEvenWithForce)
{
	dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 1).status = {
		"-5 4080 4000 0"};
	CacheRemoveOptions o;
	o.force = true;
	auto r = mgr->remove("wb", o);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::io_error);
	EXPECT_NE(r.error().message.find("80 dirty blocks cannot be written back"), std::string::npos)
		<< r.error().message;
	EXPECT_TRUE(dm->devs.count("wb"));
	EXPECT_FALSE(dm->called("message"));
}

TEST_F(CacheManagerTest, RemoveWbTimesOut)
{
	dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 1).status = {
		"0 4080 4000 8 0 0 0 0 0 0 0 0 0 0"};
	CacheRemoveOptions o;
	o.flush_timeout = 1500ms;
	auto r = mgr->remove("wb", o);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::busy);
	EXPECT_NE(r.error().message.find("80 blocks were still dirty after 1.5 s"), std::string::npos)
		<< r.error().message;
	EXPECT_TRUE(dm->devs.count("wb"));
	EXPECT_FALSE(dm->called("remove"));
	EXPECT_FALSE(dm->called("suspend"));
}

TEST_F(CacheManagerTest, RemoveWbDirtyAfterSuspendResumes)
{
	// Clean after the flush, but dirty again under the suspend (someone
	// wrote in between and the final write-back failed): resume, keep.
	dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 1).status = {
		"0 4080 4080 0", "0 4080 4080 0", "-5 4080 4070 0"};
	auto r = mgr->remove("wb");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::io_error);
	EXPECT_NE(r.error().message.find("10 blocks are still dirty after the final write-back"),
		  std::string::npos)
		<< r.error().message;
	EXPECT_EQ(dm->calls.back(), "resume wb");
	EXPECT_FALSE(dm->devs.at("wb").info.suspended);
	EXPECT_FALSE(dm->called("remove"));
}

TEST_F(CacheManagerTest, ForceRemoveOfOpenWb)
{
	auto &d = dm->add("wb", {0, 65536, "writecache", "s 254:0 254:16 4096 0"}, 1);
	d.info.open_count = 1;
	d.status = {"0 4080 4078 0", "0 4080 4080 0"};
	CacheRemoveOptions o;
	o.force = true;
	auto r = mgr->remove("wb", o);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(r->written_back_blocks, 2u);
	EXPECT_TRUE(r->deferred);
	const std::vector<std::string> want = {
		"status wb", "message wb flush", "status wb", "message wb flush_on_suspend",
		"load wb | 0 65536 linear 254:0 0", "suspend wb", "status wb", "resume wb",
		"remove-deferred wb",
	};
	EXPECT_EQ(dm->calls, want);
}

TEST_F(CacheManagerTest, RemoveOfSuspendedIsRefused)
{
	dm->add("sc", {0, 65536, "stor-cache", "254:0 254:16 128 wt"}, 1).info.suspended = true;
	auto r = mgr->remove("sc");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::busy);
	EXPECT_NE(r.error().message.find("suspended"), std::string::npos);
}

} // namespace
