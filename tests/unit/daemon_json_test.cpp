// SPDX-License-Identifier: MIT
//
// storctld request validation (strict types: 400; bad values and unknown
// keys: 422) and response objects (a RAM disk is exactly the CLI's
// `storctl --json ramdisk info` object).
#include <string>

#include <gtest/gtest.h>

#include "json_input.hpp"
#include "json_output.hpp"
#include "test_util.hpp"

using namespace storctl;
using namespace storctl::daemon;
using storctl::test::quoted;

namespace {

constexpr std::uint64_t MiB = 1ULL << 20;

template <typename T>
void expect_error(const ApiResult<T> &r, int status, const std::string &substr, const std::string &body)
{
	ASSERT_FALSE(r.ok()) << quoted(body) << " was accepted";
	EXPECT_EQ(r.error().status, status) << quoted(body) << ": " << r.error().message;
	EXPECT_NE(r.error().message.find(substr), std::string::npos)
		<< quoted(body) << ": message '" << r.error().message << "' lacks '" << substr << "'";
}

} // namespace

TEST(DaemonJsonInput, CreateMinimalAndFull)
{
	auto a = parse_ramdisk_create(R"({"size":"64M"})");
	ASSERT_TRUE(a.ok()) << a.error().message;
	EXPECT_EQ(a->size_bytes, 64 * MiB);
	EXPECT_EQ(a->logical_block_size, 512u);
	EXPECT_FALSE(a->numa_node);
	EXPECT_FALSE(a->index);
	EXPECT_FALSE(a->prealloc || a->read_only || a->overcommit);

	auto b = parse_ramdisk_create(R"({"size":1048576,"logical_block_size":4096,"numa_node":0,
		"prealloc":true,"read_only":true,"overcommit":true,"index":7})");
	ASSERT_TRUE(b.ok()) << b.error().message;
	EXPECT_EQ(b->size_bytes, MiB);
	EXPECT_EQ(b->logical_block_size, 4096u);
	EXPECT_EQ(b->numa_node, 0);
	EXPECT_EQ(b->index, 7);
	EXPECT_TRUE(b->prealloc && b->read_only && b->overcommit);

	auto c = parse_ramdisk_create(R"({"size":"1GiB","numa_node":null,"index":null})");
	ASSERT_TRUE(c.ok()) << c.error().message;
	EXPECT_EQ(c->size_bytes, 1024 * MiB);
	EXPECT_FALSE(c->numa_node);
	EXPECT_FALSE(c->index);

	// Sizes use the CLI's syntax.
	EXPECT_EQ(parse_ramdisk_create(R"({"size":"4096"})")->size_bytes, 4096u);
	EXPECT_EQ(parse_ramdisk_create(R"({"size":"8k"})")->size_bytes, 8192u);
	EXPECT_EQ(parse_ramdisk_create(R"({"size":"4096000KB"})")->size_bytes, 4096000000u);
}

TEST(DaemonJsonInput, MalformedIs400)
{
	const char *bodies[] = {
		"", "{", "nope", "{\"size\":}", "[]", "\"64M\"", "null", "64", "{\"size\":\"64M\"} x",
		"{\"size\":\"64M\",}", "{'size':'64M'}",
	};
	for (const char *b : bodies)
		expect_error(parse_ramdisk_create(b), 400, "", b);
}

TEST(DaemonJsonInput, DeepNestingIs400WithoutRecursion)
{
	std::string deep(100000, '[');
	expect_error(parse_ramdisk_create(deep), 400, "nested deeper", "[[[...");
	std::string deep_obj = "{\"size\":" + std::string(40, '[') + std::string(40, ']') + "}";
	expect_error(parse_ramdisk_create(deep_obj), 400, "nested deeper", deep_obj);
	// Brackets inside strings do not count.
	std::string in_string = "{\"size\":\"" + std::string(100, '[') + "\"}";
	expect_error(parse_ramdisk_create(in_string), 422, "invalid size", in_string);
}

TEST(DaemonJsonInput, WrongTypesAre400)
{
	struct Case {
		const char *body;
		const char *substr;
	} cases[] = {
		{R"({"size":true})", "'size' must be"},
		{R"({"size":null})", "'size' must be"},
		{R"({"size":64.0})", "'size' must be"},
		{R"({"size":1e9})", "'size' must be"},
		{R"({"size":[1]})", "'size' must be"},
		{R"({"size":"64M","logical_block_size":"4096"})", "'logical_block_size' must be an integer"},
		{R"({"size":"64M","logical_block_size":512.0})", "'logical_block_size' must be an integer"},
		{R"({"size":"64M","numa_node":"0"})", "'numa_node' must be an integer"},
		{R"({"size":"64M","numa_node":false})", "'numa_node' must be an integer"},
		{R"({"size":"64M","prealloc":1})", "'prealloc' must be true or false"},
		{R"({"size":"64M","read_only":"true"})", "'read_only' must be true or false"},
		{R"({"size":"64M","overcommit":null})", "'overcommit' must be true or false"},
		{R"({"size":"64M","index":"1"})", "'index' must be an integer"},
		{R"({"size":99999999999999999999999})", "'size' must be"},
	};
	for (const Case &c : cases)
		expect_error(parse_ramdisk_create(c.body), 400, c.substr, c.body);
}

TEST(DaemonJsonInput, BadValuesAndUnknownKeysAre422)
{
	struct Case {
		const char *body;
		const char *substr;
	} cases[] = {
		{R"({})", "missing required key 'size'"},
		{R"({"prealloc":true})", "missing required key 'size'"},
		{R"({"size":"64M","colour":"red"})", "unknown key 'colour'"},
		{R"({"size":"64M","Size":"64M"})", "unknown key 'Size'"},
		{R"({"size":0})", "greater than zero"},
		{R"({"size":-4096})", "must not be negative"},
		{R"({"size":"0"})", "greater than zero"},
		{R"({"size":"-64M"})", "negative"},
		{R"({"size":"1.5G"})", "fractions"},
		{R"({"size":"64Q"})", "unknown suffix"},
		{R"({"size":"99999999999T"})", "too large"},
		{R"({"size":1000})", "multiple of 4096"},
		{R"({"size":"1000"})", "multiple of 4096"},
		{R"({"size":"64M","logical_block_size":1024})", "must be 512 or 4096"},
		{R"({"size":"64M","logical_block_size":-1})", "between"},
		{R"({"size":"64M","logical_block_size":4294967296})", "between"},
		{R"({"size":"64M","numa_node":-1})", "between"},
		{R"({"size":"64M","numa_node":2147483648})", "between"},
		{R"({"size":"64M","index":-1})", "between"},
	};
	for (const Case &c : cases)
		expect_error(parse_ramdisk_create(c.body), 422, c.substr, c.body);
}

TEST(DaemonJsonInput, Patch)
{
	auto ok = parse_ramdisk_patch(R"({"size":"128M"})");
	ASSERT_TRUE(ok.ok()) << ok.error().message;
	EXPECT_EQ(*ok, 128 * MiB);
	EXPECT_EQ(*parse_ramdisk_patch(R"({"size":8192})"), 8192u);

	expect_error(parse_ramdisk_patch(""), 400, "", "");
	expect_error(parse_ramdisk_patch("[1]"), 400, "JSON object", "[1]");
	expect_error(parse_ramdisk_patch(R"({"size":false})"), 400, "'size' must be", "size false");
	expect_error(parse_ramdisk_patch(R"({})"), 422, "missing required key 'size'", "{}");
	expect_error(parse_ramdisk_patch(R"({"size":"64M","read_only":true})"), 422,
		     "only the size of a RAM disk can be changed", "read_only");
	expect_error(parse_ramdisk_patch(R"({"size":"12345"})"), 422, "multiple of 4096", "12345");
}

TEST(DaemonJsonOutput, RamdiskObjectIsTheCliContract)
{
	RamdiskInfo a;
	a.index = 3;
	a.name = "srd3";
	a.path = "/dev/srd3";
	a.size_bytes = 64 * MiB;
	a.used_bytes = 8192;
	a.logical_block_size = 4096;
	a.alloc_failures = 2;
	a.open_count = 1;
	a.numa_node = 0;
	a.read_only = true;
	a.prealloc = false;
	a.overcommit = true;
	RamdiskInfo b = a;
	b.numa_node.reset();

	for (const RamdiskInfo &info : {a, b}) {
		Json d = ramdisk_json(info);
		std::vector<std::string> keys;
		for (const auto &item : d.items())
			keys.push_back(item.key());
		EXPECT_EQ(keys, (std::vector<std::string>{
			"alloc_failures", "index", "logical_block_size", "name", "numa_node",
			"open_count", "overcommit", "path", "prealloc", "read_only", "size_bytes",
			"used_bytes"}));
	}
	EXPECT_TRUE(ramdisk_json(b)["numa_node"].is_null());
	EXPECT_EQ(ramdisk_json(a)["numa_node"], 0);
	EXPECT_EQ(ramdisk_list_json({a, b}), Json::array({ramdisk_json(a), ramdisk_json(b)}));
	EXPECT_EQ(ramdisk_list_json({}).dump(), "[]");
}

// --- caches -------------------------------------------------------------------

namespace {

CacheInfo sample_cache(CacheMode mode)
{
	CacheInfo c;
	c.name = "sc_sdb";
	c.path = "/dev/mapper/sc_sdb";
	c.target = mode == CacheMode::wb ? "writecache" : "stor-cache";
	c.mode = mode;
	c.cache = "/dev/srd0";
	c.origin = "/dev/sdb";
	c.cache_devno = {252, 0};
	c.origin_devno = {8, 16};
	c.block_size = 65536;
	c.size_bytes = 1ULL << 30;
	if (mode != CacheMode::wb)
		c.policy = "2q";
	c.options = {{"small_pct", "10"}, {"nofua", ""}, {"word", "x1"}};
	c.open_count = 2;
	return c;
}

} // namespace

// The key sets are cache_output_test's; here what the API adds on top:
// lists in order, table options typed, no policy for wb, stats by target.
TEST(DaemonJsonOutput, CacheObjects)
{
	for (CacheMode m : {CacheMode::wt, CacheMode::wa, CacheMode::wb}) {
		CacheInfo c = sample_cache(m);
		CacheInfo d = c;
		d.name = "sc_sdc";
		EXPECT_EQ(cache_list_json({c, d}), Json::array({cache_json(c), cache_json(d)}));
		CacheStats st;
		st.info = c;
		if (m == CacheMode::wb) {
			WritecacheStatus w;
			w.error = -5;
			w.total_blocks = 100;
			w.free_blocks = 40;
			w.writeback_blocks = 3;
			st.writecache = w;
			Json j = cache_stats_json(st);
			EXPECT_EQ(j["used_blocks"], 60);
			EXPECT_FALSE(j.contains("read_hit_ratio"));
			w.counters = std::array<std::uint64_t, 10>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
			st.writecache = w;
			EXPECT_TRUE(cache_stats_json(st).contains("read_hit_ratio"));
		} else {
			StorCacheStatus s;
			for (std::size_t i = 0; i < s.counters.size(); i++)
				s.counters[i] = i * 3 + 1;
			st.stor_cache = s;
			Json j = cache_stats_json(st);
			EXPECT_EQ(j["read_hits"], 1) << to_string(m);
			EXPECT_FALSE(j.contains("dirty_blocks")) << to_string(m);
		}
		CacheRemoval rm{"sc_sdb", m, 12, true};
		EXPECT_EQ(cache_removal_json(rm),
			  Json::parse(R"({"removed":"sc_sdb","written_back_blocks":12,"deferred":true})"));
	}
	EXPECT_EQ(cache_json(sample_cache(CacheMode::wt))["options"],
		  Json::parse(R"({"small_pct":10,"nofua":true,"word":"x1"})"));
	EXPECT_TRUE(cache_json(sample_cache(CacheMode::wb))["policy"].is_null());
}

TEST(DaemonJsonInput, CacheCreate)
{
	auto a = parse_cache_create(R"({"cache":"/dev/srd0","origin":"/dev/sdb","mode":"wt"})");
	ASSERT_TRUE(a.ok()) << a.error().message;
	EXPECT_EQ(a->cache, "/dev/srd0");
	EXPECT_EQ(a->origin, "/dev/sdb");
	EXPECT_EQ(a->mode, CacheMode::wt);
	EXPECT_FALSE(a->name);
	EXPECT_FALSE(a->block_size);

	auto b = parse_cache_create(R"({"cache":"/dev/srd0","origin":"/dev/sdb","mode":"wa","name":"n1",
		"block_size":"128K","policy":"clock","tunables":{"a_b":3,"c":0}})");
	ASSERT_TRUE(b.ok()) << b.error().message;
	EXPECT_EQ(b->name, "n1");
	EXPECT_EQ(b->block_size, 128 * 1024u);
	EXPECT_EQ(b->policy, "clock");
	EXPECT_EQ(b->tunables, (std::vector<PolicyTunable>{{"a_b", 3}, {"c", 0}}));

	auto c = parse_cache_create(R"({"cache":"/dev/srd0","origin":"/dev/sdb","mode":"wb","block_size":512,
		"high_watermark":50,"low_watermark":10,"writeback_jobs":8,"autocommit_blocks":64,
		"autocommit_time":100})");
	ASSERT_TRUE(c.ok()) << c.error().message;
	EXPECT_EQ(c->block_size, 512u);
	EXPECT_EQ(c->wb.high_watermark, 50u);
	EXPECT_EQ(c->wb.low_watermark, 10u);
	EXPECT_EQ(c->wb.writeback_jobs, 8u);
	EXPECT_EQ(c->wb.autocommit_blocks, 64u);
	EXPECT_EQ(c->wb.autocommit_time, 100u);

	const std::string base = R"("cache":"/dev/srd0","origin":"/dev/sdb")";
	struct Case {
		std::string body;
		int status;
		const char *substr;
	} cases[] = {
		{"[]", 400, "JSON object"},
		{"{" + base + R"(,"mode":1})", 400, "'mode' must be a string"},
		{R"({"cache":["x"],"origin":"/dev/sdb","mode":"wt"})", 400, "'cache' must be a string"},
		{"{" + base + R"(,"mode":"wt","block_size":true})", 400, "block_size"},
		{"{" + base + R"(,"mode":"wt","tunables":{"a":"1"}})", 400, "tunables.a"},
		{"{" + base + R"(,"mode":"wt","tunables":{"a":1.5}})", 400, "tunables.a"},
		{"{" + base + R"(,"mode":"wb","writeback_jobs":-1})", 422, "writeback_jobs"},
		{"{" + base + R"(,"mode":"wb","autocommit_time":"5"})", 400, "autocommit_time"},
		{"{" + base + R"(,"mode":"wt","name":5})", 400, "'name' must be a string"},
		{"{" + base + R"(})", 422, "missing required key 'mode'"},
		{R"({"cache":"/dev/srd0","mode":"wt"})", 422, "missing required key 'origin'"},
		{"{" + base + R"(,"mode":"write-through"})", 422, "write-through"},
		{"{" + base + R"(,"mode":"wt","extra":1})", 422, "unknown key 'extra'"},
		{"{" + base + R"(,"mode":"wt","block_size":"1M1"})", 422, ""},
		{"{" + base + R"(,"mode":"wt","block_size":"2M"})", 422, ""},
		{"{" + base + R"(,"mode":"wb","block_size":"8K"})", 422, ""},
		{"{" + base + R"(,"mode":"wt","policy":"mru"})", 422, "mru"},
		{"{" + base + R"(,"mode":"wb","policy":"lru"})", 422, "wt and wa"},
		{"{" + base + R"(,"mode":"wt","low_watermark":5})", 422, "wb caches only"},
		{"{" + base + R"(,"mode":"wb","high_watermark":101})", 422, ""},
		{"{" + base + R"(,"mode":"wb","high_watermark":10,"low_watermark":20})", 422, ""},
		{"{" + base + R"(,"mode":"wt","tunables":{"Bad":1}})", 422, ""},
		{"{" + base + R"(,"mode":"wt","name":"a/b"})", 422, ""},
		{R"({"cache":"","origin":"/dev/sdb","mode":"wt"})", 422, "cache"},
	};
	for (const Case &k : cases)
		expect_error(parse_cache_create(k.body), k.status, k.substr, k.body);
}

TEST(DaemonJsonInput, CacheRemove)
{
	auto none = parse_cache_remove("");
	ASSERT_TRUE(none.ok());
	EXPECT_FALSE(none->force);
	EXPECT_EQ(none->flush_timeout, kDefaultFlushTimeout);
	auto all = parse_cache_remove(R"({"force":true,"timeout_seconds":5})");
	ASSERT_TRUE(all.ok()) << all.error().message;
	EXPECT_TRUE(all->force);
	EXPECT_EQ(all->flush_timeout, std::chrono::milliseconds(5000));
	expect_error(parse_cache_remove(R"({"force":1})"), 400, "force", "force 1");
	expect_error(parse_cache_remove(R"({"timeout_seconds":"5"})"), 400, "timeout_seconds", "string");
	expect_error(parse_cache_remove(R"({"timeout_seconds":0})"), 422, "timeout_seconds", "0");
	expect_error(parse_cache_remove(R"({"timeout_seconds":86401})"), 422, "timeout_seconds", "86401");
	expect_error(parse_cache_remove(R"({"now":true})"), 422, "unknown key", "now");
	expect_error(parse_cache_remove("x"), 400, "JSON", "x");
}
