// SPDX-License-Identifier: MIT
//
// Cache input validation and table lines (building and parsing): no kernel.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <storctl/cache.hpp>

#include "test_util.hpp"

namespace {

using namespace storctl;
using storctl::test::quoted;

const DevNo kOrigin{254, 0};
const DevNo kCache{254, 16};

// --- names --------------------------------------------------------------------

TEST(CacheName, ValidNames)
{
	for (const char *n : {"sc_srd0", "a", "fast-cache.1", "x+y:z@w", "Cache_1"}) {
		auto r = validate_cache_name(n);
		ASSERT_TRUE(r) << n << ": " << r.error().message;
		EXPECT_EQ(*r, n);
	}
	EXPECT_EQ(*validate_cache_name(std::string(127, 'a')), std::string(127, 'a'));
}

TEST(CacheName, DevMapperPrefixIsStripped)
{
	auto r = validate_cache_name("/dev/mapper/sc_srd1");
	ASSERT_TRUE(r);
	EXPECT_EQ(*r, "sc_srd1");
}

TEST(CacheName, InvalidNames)
{
	const std::vector<std::pair<std::string, std::string>> bad = {
		{"", "must not be empty"},
		{"/dev/mapper/", "must not be empty"},
		{std::string(128, 'a'), "too long (128 characters; device-mapper allows 127)"},
		{"a/b", "must not contain '/'"},
		{"../x", "'/'"},
		{"..", "'..'"},
		{"a..b", "'..'"},
		{".", "'..'"},
		{"my cache", "spaces"},
		{"tab\there", "spaces"},
		{"-x", "must not start with '-'"},
		{"naïve", "only letters, digits"},
		{"a\"b", "only letters, digits"},
		{"a$b", "only letters, digits"},
	};
	for (const auto &[name, why] : bad) {
		auto r = validate_cache_name(name);
		ASSERT_FALSE(r) << quoted(name);
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_EQ(r.error().message.rfind("invalid cache name '" + name + "': ", 0), 0u)
			<< r.error().message;
		EXPECT_NE(r.error().message.find(why), std::string::npos)
			<< quoted(name) << ": " << r.error().message;
	}
}

TEST(CacheName, DefaultName)
{
	EXPECT_EQ(*default_cache_name("/dev/srd1"), "sc_srd1");
	EXPECT_EQ(*default_cache_name("/dev/mapper/slow"), "sc_slow");
	EXPECT_EQ(*default_cache_name("/dev/disk/by-id/ata-X_123/"), "sc_ata-X_123");
	EXPECT_EQ(*default_cache_name("srd7"), "sc_srd7");

	// Too long with the prefix (125 + 3 > 127), odd characters: say so
	// and ask for --name.
	auto r = default_cache_name("/dev/" + std::string(125, 'd'));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_NE(r.error().message.find("pass --name"), std::string::npos) << r.error().message;
	EXPECT_FALSE(default_cache_name("/dev/my disk"));
	EXPECT_TRUE(default_cache_name("/dev/" + std::string(124, 'd')));
}

// --- modes, block sizes, policies ---------------------------------------------------

TEST(CacheMode, ParseAndPrint)
{
	for (CacheMode m : {CacheMode::wt, CacheMode::wa, CacheMode::wb})
		EXPECT_EQ(*parse_cache_mode(to_string(m)), m);
	for (const char *bad : {"", "WT", "wback", "writeback", "w t"}) {
		auto r = parse_cache_mode(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_EQ(r.error().message.rfind(std::string("unknown cache mode '") + bad + "'", 0), 0u)
			<< r.error().message;
	}
}

TEST(CacheBlockSize, StorCacheRange)
{
	EXPECT_EQ(*parse_cache_block_size("4K", CacheMode::wt), 4096u);
	EXPECT_EQ(*parse_cache_block_size("64KiB", CacheMode::wa), 65536u);
	EXPECT_EQ(*parse_cache_block_size("1M", CacheMode::wt), 1048576u);
	EXPECT_EQ(*parse_cache_block_size("8192", CacheMode::wt), 8192u);
	for (const char *bad : {"2K", "512", "3K", "96K", "2M", "1G", "0", "-4K", "4.5K", "64KB", "x"}) {
		auto r = parse_cache_block_size(bad, CacheMode::wt);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_EQ(r.error().message.rfind(std::string("invalid block size '") + bad + "': ", 0), 0u)
			<< r.error().message;
	}
	auto r = parse_cache_block_size("3K", CacheMode::wt);
	EXPECT_EQ(r.error().message,
		  "invalid block size '3K': a cache block size must be a power of two from "
		  "4.0 KiB to 1.0 MiB");
}

TEST(CacheBlockSize, WritecacheRange)
{
	EXPECT_EQ(*parse_cache_block_size("512", CacheMode::wb), 512u);
	EXPECT_EQ(*parse_cache_block_size("4K", CacheMode::wb), 4096u);
	EXPECT_FALSE(parse_cache_block_size("8K", CacheMode::wb));
	EXPECT_FALSE(parse_cache_block_size("256", CacheMode::wb));
	EXPECT_FALSE(parse_cache_block_size("1536", CacheMode::wb));
	EXPECT_TRUE(validate_cache_block_size(2048, CacheMode::wb));
	EXPECT_FALSE(validate_cache_block_size(65536, CacheMode::wb));
	EXPECT_TRUE(validate_cache_block_size(65536, CacheMode::wt));
}

TEST(CachePolicy, Names)
{
	for (auto p : kCachePolicies)
		EXPECT_TRUE(validate_cache_policy(p)) << p;
	auto r = validate_cache_policy("arc");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_EQ(r.error().message,
		  "unknown cache policy 'arc': expected s3fifo, 2q, clock, lru or fifo");
}

TEST(CacheTunable, Parse)
{
	auto t = parse_policy_tunable("small_pct=10");
	ASSERT_TRUE(t);
	EXPECT_EQ(t->key, "small_pct");
	EXPECT_EQ(t->value, 10u);
	EXPECT_EQ(parse_policy_tunable("write_promote=0")->value, 0u);
	EXPECT_EQ(parse_policy_tunable("x2=4294967295")->value, 4294967295u);
	for (const char *bad : {"small_pct", "=1", "small_pct=", "Small=1", "1x=1", "a-b=1",
				"k=-1", "k=1.5", "k=0x10", "k=4294967296", "k= 1", "policy=lru",
				"a b=1"}) {
		auto r = parse_policy_tunable(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_EQ(r.error().message.rfind(std::string("invalid tunable '") + bad + "': ", 0), 0u)
			<< r.error().message;
	}
}

// --- write-back tunables ---------------------------------------------------------------

TEST(WbTunables, SetAndValidate)
{
	WbTunables t;
	EXPECT_TRUE(set_wb_tunable(t, "--high-watermark", "60"));
	EXPECT_TRUE(set_wb_tunable(t, "--low-watermark", "40"));
	EXPECT_TRUE(set_wb_tunable(t, "--writeback-jobs", "128"));
	EXPECT_TRUE(set_wb_tunable(t, "--autocommit-blocks", "1"));
	EXPECT_TRUE(set_wb_tunable(t, "--autocommit-time", "3600000"));
	EXPECT_EQ(t.high_watermark, 60u);
	EXPECT_EQ(t.low_watermark, 40u);
	EXPECT_EQ(t.writeback_jobs, 128u);
	EXPECT_EQ(t.autocommit_blocks, 1u);
	EXPECT_EQ(t.autocommit_time, 3600000u);
	EXPECT_TRUE(validate_wb_tunables(t));
	EXPECT_TRUE(t.any());
	EXPECT_FALSE(WbTunables{}.any());
}

TEST(WbTunables, RangeErrors)
{
	const std::vector<std::pair<std::string, std::string>> bad = {
		{"--high-watermark", "101"}, {"--high-watermark", "-1"}, {"--high-watermark", "5%"},
		{"--low-watermark", "200"},  {"--writeback-jobs", "0"},  {"--writeback-jobs", "x"},
		{"--autocommit-blocks", "0"}, {"--autocommit-time", "3600001"},
		{"--autocommit-time", "1.5"}, {"--autocommit-time", ""},
		{"--writeback-jobs", "4294967296"},
	};
	for (const auto &[opt, val] : bad) {
		WbTunables t;
		auto r = set_wb_tunable(t, opt, val);
		ASSERT_FALSE(r) << opt << " " << val;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_EQ(r.error().message.rfind("invalid " + opt + " '" + val + "': must be ", 0), 0u)
			<< r.error().message;
		EXPECT_FALSE(t.any());
	}
	WbTunables t;
	EXPECT_EQ(set_wb_tunable(t, "--high-watermark", "101").error().message,
		  "invalid --high-watermark '101': must be a whole number from 0 to 100 (percent)");
}

TEST(WbTunables, WatermarkOrder)
{
	WbTunables t;
	t.high_watermark = 40;
	t.low_watermark = 60;
	auto r = validate_wb_tunables(t);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().message,
		  "the low watermark (60%) must not be above the high watermark (40%)");

	// The kernel's defaults (high 50, low 45) stand in for the one missing.
	WbTunables only_high;
	only_high.high_watermark = 40;
	r = validate_wb_tunables(only_high);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().message,
		  "the low watermark (45%, the default) must not be above the high watermark (40%)");
	WbTunables only_low;
	only_low.low_watermark = 51;
	EXPECT_FALSE(validate_wb_tunables(only_low));
	only_low.low_watermark = 50;
	EXPECT_TRUE(validate_wb_tunables(only_low));
	WbTunables equal;
	equal.high_watermark = equal.low_watermark = 0;
	EXPECT_TRUE(validate_wb_tunables(equal));
}

// --- building tables ------------------------------------------------------------------

TEST(CacheTable, StorCacheParams)
{
	EXPECT_EQ(stor_cache_params(kOrigin, kCache, 65536, CacheMode::wt, std::nullopt, {}),
		  "254:0 254:16 128 wt");
	EXPECT_EQ(stor_cache_params(kOrigin, kCache, 4096, CacheMode::wa, std::string("lru"), {}),
		  "254:0 254:16 8 wa 2 policy lru");
	EXPECT_EQ(stor_cache_params(DevNo{8, 1}, DevNo{259, 3}, 1048576, CacheMode::wt,
				    std::string("s3fifo"), {{"small_pct", 10}, {"write_promote", 1}}),
		  "8:1 259:3 2048 wt 6 policy s3fifo small_pct 10 write_promote 1");
	// Tunables without a policy; a repeated key once, at its first
	// position, with its last value.
	EXPECT_EQ(stor_cache_params(kOrigin, kCache, 8192, CacheMode::wt, std::nullopt,
				    {{"a", 1}, {"b", 2}, {"a", 3}}),
		  "254:0 254:16 16 wt 4 a 3 b 2");
}

TEST(CacheTable, WritecacheParams)
{
	EXPECT_EQ(writecache_params(kOrigin, kCache, 4096, {}), "s 254:0 254:16 4096 0");
	WbTunables t;
	t.autocommit_time = 500;
	t.high_watermark = 60;
	EXPECT_EQ(writecache_params(kOrigin, kCache, 512, t),
		  "s 254:0 254:16 512 4 high_watermark 60 autocommit_time 500");
	t.low_watermark = 10;
	t.writeback_jobs = 64;
	t.autocommit_blocks = 1000;
	EXPECT_EQ(writecache_params(kOrigin, kCache, 4096, t),
		  "s 254:0 254:16 4096 10 high_watermark 60 low_watermark 10 writeback_jobs 64 "
		  "autocommit_blocks 1000 autocommit_time 500");
}

TEST(CacheTable, TableLine)
{
	EXPECT_EQ(table_line({0, 65536, "stor-cache", "254:0 254:16 128 wt"}),
		  "0 65536 stor-cache 254:0 254:16 128 wt");
	EXPECT_EQ(table_line({0, 8, "error", ""}), "0 8 error");
}

// --- parsing tables -------------------------------------------------------------------

TEST(CacheTable, ParseStorCache)
{
	auto t = parse_cache_table({0, 65536, "stor-cache", "254:0 254:16 128 wt"});
	ASSERT_TRUE(t) << t.error().message;
	EXPECT_EQ(t->target, "stor-cache");
	EXPECT_EQ(t->mode, CacheMode::wt);
	EXPECT_EQ(t->origin, kOrigin);
	EXPECT_EQ(t->cache, kCache);
	EXPECT_EQ(t->block_size, 65536u);
	EXPECT_EQ(t->policy, std::nullopt);
	EXPECT_TRUE(t->options.empty());

	t = parse_cache_table({0, 100, "stor-cache", "8:1 259:3 8 wa 6 policy 2q small_pct 10 x 1"});
	ASSERT_TRUE(t) << t.error().message;
	EXPECT_EQ(t->mode, CacheMode::wa);
	EXPECT_EQ(t->block_size, 4096u);
	EXPECT_EQ(t->policy, "2q");
	ASSERT_EQ(t->options.size(), 2u);
	EXPECT_EQ(t->options[0], std::make_pair(std::string("small_pct"), std::string("10")));
	EXPECT_EQ(t->options[1], std::make_pair(std::string("x"), std::string("1")));
}

TEST(CacheTable, ParseRoundTrip)
{
	const std::string p = stor_cache_params(kOrigin, kCache, 262144, CacheMode::wa,
						 std::string("clock"), {{"k", 5}});
	auto t = parse_cache_table({0, 8, "stor-cache", p});
	ASSERT_TRUE(t);
	EXPECT_EQ(stor_cache_params(t->origin, t->cache, t->block_size, t->mode, t->policy,
				    {{t->options[0].first, 5}}),
		  p);

	WbTunables w;
	w.low_watermark = 5;
	w.writeback_jobs = 7;
	auto wt = parse_cache_table({0, 8, "writecache", writecache_params(kOrigin, kCache, 2048, w)});
	ASSERT_TRUE(wt);
	EXPECT_EQ(wt->mode, CacheMode::wb);
	EXPECT_EQ(wt->block_size, 2048u);
	ASSERT_EQ(wt->options.size(), 2u);
	EXPECT_EQ(wt->options[0].first, "low_watermark");
	EXPECT_EQ(wt->options[0].second, "5");
	EXPECT_EQ(wt->options[1].first, "writeback_jobs");
}

TEST(CacheTable, ParseWritecacheAsPrinted)
{
	// What 6.1 and 6.12 print, flags included.
	auto t = parse_cache_table(
		{0, 65536, "writecache",
		 "s 254:0 254:16 4096 7 high_watermark 60 cleaner nofua pause_writeback 3000 metadata_only"});
	ASSERT_TRUE(t) << t.error().message;
	EXPECT_EQ(t->target, "writecache");
	EXPECT_EQ(t->origin, kOrigin);
	EXPECT_EQ(t->cache, kCache);
	EXPECT_EQ(t->policy, std::nullopt);
	const std::vector<std::pair<std::string, std::string>> want = {
		{"high_watermark", "60"}, {"cleaner", ""}, {"nofua", ""},
		{"pause_writeback", "3000"}, {"metadata_only", ""}};
	EXPECT_EQ(t->options, want);
	EXPECT_TRUE(parse_cache_table({0, 8, "writecache", "p 254:0 254:16 4096 0"}));
}

TEST(CacheTable, ParseErrors)
{
	const std::vector<dm::Target> bad = {
		{0, 8, "linear", "254:0 0"},
		{0, 8, "stor-cache", ""},
		{0, 8, "stor-cache", "254:0"},
		{0, 8, "stor-cache", "/dev/srd0 254:16 8 wt"},
		{0, 8, "stor-cache", "254:0 254:16 8"},
		{0, 8, "stor-cache", "254:0 254:16 x wt"},
		{0, 8, "stor-cache", "254:0 254:16 8 wb"},
		{0, 8, "stor-cache", "254:0 254:16 8 wt 2 policy"},
		{0, 8, "stor-cache", "254:0 254:16 8 wt 1 policy lru"},
		{0, 8, "stor-cache", "254:0 254:16 8 wt 4 policy lru"},
		{0, 8, "writecache", "x 254:0 254:16 4096 0"},
		{0, 8, "writecache", "s 254:0 254:16 4095 0"},
		{0, 8, "writecache", "s 254:0 254:16"},
		{0, 8, "writecache", "s 254:0 254:16 4096 2 high_watermark"},
		{0, 8, "writecache", "s 254:0 254:16 4096 3 high_watermark 1"},
	};
	for (const dm::Target &t : bad) {
		auto r = parse_cache_table(t);
		EXPECT_FALSE(r) << t.type << " " << t.params;
		if (!r) {
			EXPECT_EQ(r.error().code, Errc::invalid_argument);
		}
	}
	EXPECT_TRUE(is_cache_target("stor-cache"));
	EXPECT_TRUE(is_cache_target("writecache"));
	EXPECT_FALSE(is_cache_target("cache"));
	EXPECT_FALSE(is_cache_target("linear"));
}

TEST(DevNo, ParseAndPrint)
{
	EXPECT_EQ(parse_devno("254:16")->str(), "254:16");
	EXPECT_EQ(*parse_devno("8:0"), (DevNo{8, 0}));
	for (const char *bad : {"", "8", "8:", ":1", "a:b", "8:1:2", "-1:0", "8: 1"})
		EXPECT_FALSE(parse_devno(bad)) << bad;
}

} // namespace
