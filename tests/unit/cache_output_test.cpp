// SPDX-License-Identifier: MIT
//
// Output of `storctl cache`: JSON shapes (exact key sets) and text lines.
// The text renderers live in cli/cache.cpp, which this test binary compiles
// in (see CMakeLists.txt); they are declared here.  The JSON ones are
// storctl_json's (daemon/json_output.hpp), shared by storctl and storctld.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <storctl/cache.hpp>

#include "json_output.hpp"

namespace storctl::cli {
using Json = nlohmann::json;
std::string format_cache_created(const CacheInfo &c);
std::string format_cache_table(const std::vector<CacheInfo> &caches);
std::string format_cache_stats(const CacheStats &s);
std::string format_cache_removed(const CacheRemoval &r);
} // namespace storctl::cli

namespace {

using namespace storctl;
using namespace storctl::cli;
using namespace storctl::daemon;

std::vector<std::string> keys(const Json &j)
{
	std::vector<std::string> k;
	for (auto it = j.begin(); it != j.end(); ++it)
		k.push_back(it.key());
	return k;  // nlohmann sorts object keys
}

CacheInfo wt_info()
{
	CacheInfo c;
	c.name = "sc_srd0";
	c.path = "/dev/mapper/sc_srd0";
	c.target = "stor-cache";
	c.mode = CacheMode::wt;
	c.cache = "/dev/srd1";
	c.origin = "/dev/srd0";
	c.cache_devno = {254, 16};
	c.origin_devno = {254, 0};
	c.block_size = 65536;
	c.size_bytes = 32 << 20;
	c.policy = "s3fifo";
	c.options = {{"small_pct", "10"}};
	c.open_count = 0;
	return c;
}

CacheInfo wb_info()
{
	CacheInfo c = wt_info();
	c.name = "sc_wb";
	c.path = "/dev/mapper/sc_wb";
	c.target = "writecache";
	c.mode = CacheMode::wb;
	c.block_size = 4096;
	c.policy.reset();
	c.options = {{"high_watermark", "60"}, {"cleaner", ""}};
	return c;
}

TEST(CacheOutput, InfoObject)
{
	const Json j = cache_json(wt_info());
	const std::vector<std::string> want = {
		"block_size", "cache", "cache_devno", "mode", "name", "open_count", "options",
		"origin", "origin_devno", "path", "policy", "size_bytes", "target"};
	EXPECT_EQ(keys(j), want);
	EXPECT_EQ(j.dump(),
		  R"({"block_size":65536,"cache":"/dev/srd1","cache_devno":"254:16","mode":"wt",)"
		  R"("name":"sc_srd0","open_count":0,"options":{"small_pct":10},"origin":"/dev/srd0",)"
		  R"("origin_devno":"254:0","path":"/dev/mapper/sc_srd0","policy":"s3fifo",)"
		  R"("size_bytes":33554432,"target":"stor-cache"})");

	const Json w = cache_json(wb_info());
	EXPECT_EQ(keys(w), want);
	EXPECT_TRUE(w["policy"].is_null());
	EXPECT_EQ(w["mode"], "wb");
	EXPECT_EQ(w["options"].dump(), R"({"cleaner":true,"high_watermark":60})");
}

TEST(CacheOutput, ListIsAnArray)
{
	EXPECT_EQ(cache_list_json({}).dump(), "[]");
	const Json j = cache_list_json({wb_info(), wt_info()});
	ASSERT_TRUE(j.is_array());
	ASSERT_EQ(j.size(), 2u);
	EXPECT_EQ(j[0]["name"], "sc_wb");  // in the given order (the lib sorts)
	EXPECT_EQ(j[1]["name"], "sc_srd0");
}

TEST(CacheOutput, StorCacheStats)
{
	CacheStats s;
	s.info = wt_info();
	s.stor_cache = *parse_stor_cache_status("1 3 2 2 3 0 1 0 0 3 512 0 0 0");
	const Json j = cache_stats_json(s);
	std::vector<std::string> want = {"name", "target", "mode", "cache", "origin", "read_hit_ratio"};
	for (auto c : kStorCacheCounters)
		want.emplace_back(c);
	std::sort(want.begin(), want.end());
	EXPECT_EQ(keys(j), want);
	EXPECT_EQ(j["read_hits"], 1);
	EXPECT_EQ(j["read_misses"], 3);
	EXPECT_EQ(j["total_blocks"], 512);
	EXPECT_DOUBLE_EQ(j["read_hit_ratio"].get<double>(), 0.25);

	const std::string text = format_cache_stats(s);
	EXPECT_EQ(text.rfind("name: sc_srd0\ntarget: stor-cache\nmode: wt\ncache: /dev/srd1\n"
			     "origin: /dev/srd0\nread_hits: 1\nread_misses: 3\n", 0),
		  0u)
		<< text;
	EXPECT_NE(text.find("\nfills_in_flight: 0\nread_hit_ratio: 0.250\n"), std::string::npos)
		<< text;
}

TEST(CacheOutput, WritecacheStats)
{
	CacheStats s;
	s.info = wb_info();
	s.writecache = *parse_writecache_status("0 4080 3980 0 10 5 100 0 0 0 100 0 2 0");
	const Json j = cache_stats_json(s);
	std::vector<std::string> want = {"name", "target", "mode", "cache", "origin",
					 "error", "total_blocks", "free_blocks",
					 "writeback_blocks", "used_blocks", "dirty_blocks",
					 "read_hit_ratio"};
	for (auto c : kWritecacheCounters)
		want.emplace_back(c);
	std::sort(want.begin(), want.end());
	EXPECT_EQ(keys(j), want);
	EXPECT_EQ(j["dirty_blocks"], 100);
	EXPECT_EQ(j["used_blocks"], 100);
	EXPECT_EQ(j["free_blocks"], 3980);
	EXPECT_EQ(j["flushes"], 2);
	EXPECT_DOUBLE_EQ(j["read_hit_ratio"].get<double>(), 0.5);

	// The old 4-field status: no counters, no ratio.
	s.writecache = *parse_writecache_status("-5 4080 3980 1");
	const Json old = cache_stats_json(s);
	std::vector<std::string> base = {"cache", "dirty_blocks", "error", "free_blocks", "mode",
					 "name", "origin", "target", "total_blocks", "used_blocks",
					 "writeback_blocks"};
	EXPECT_EQ(keys(old), base);
	EXPECT_EQ(old["error"], -5);
	const std::string text = format_cache_stats(s);
	EXPECT_NE(text.find("error: -5\ntotal_blocks: 4080\nfree_blocks: 3980\n"
			    "writeback_blocks: 1\nused_blocks: 100\ndirty_blocks: 100\n"),
		  std::string::npos)
		<< text;
	EXPECT_EQ(text.find("read_hit_ratio"), std::string::npos);
}

TEST(CacheOutput, Removal)
{
	CacheRemoval r{"sc_x", CacheMode::wb, 42, false};
	EXPECT_EQ(cache_removal_json(r).dump(),
		  R"({"deferred":false,"removed":"sc_x","written_back_blocks":42})");
	EXPECT_EQ(format_cache_removed(r), "removed sc_x (wrote back 42 blocks)\n");
	r.written_back_blocks = 1;
	EXPECT_EQ(format_cache_removed(r), "removed sc_x (wrote back 1 block)\n");
	r.written_back_blocks = 0;
	EXPECT_EQ(format_cache_removed(r), "removed sc_x (wrote back 0 blocks)\n");

	CacheRemoval wt{"sc_y", CacheMode::wt, 0, false};
	EXPECT_EQ(format_cache_removed(wt), "removed sc_y\n");
	EXPECT_EQ(cache_removal_json(wt)["written_back_blocks"], 0);
	wt.deferred = true;
	EXPECT_EQ(format_cache_removed(wt),
		  "removed sc_y (deferred: still open, now maps the origin directly and goes away "
		  "when closed)\n");
	EXPECT_EQ(cache_removal_json(wt)["deferred"], true);
}

TEST(CacheOutput, CreatedAndTable)
{
	EXPECT_EQ(format_cache_created(wt_info()),
		  "created sc_srd0 (wt, cache /dev/srd1, origin /dev/srd0, 32.0 MiB, 64.0 KiB blocks)\n");
	EXPECT_EQ(format_cache_table({}), "NAME  MODE  CACHE  ORIGIN  BLOCK  SIZE  POLICY\n");
	EXPECT_EQ(format_cache_table({wt_info(), wb_info()}),
		  "NAME     MODE  CACHE      ORIGIN     BLOCK     SIZE      POLICY\n"
		  "sc_srd0  wt    /dev/srd1  /dev/srd0  64.0 KiB  32.0 MiB  s3fifo\n"
		  "sc_wb    wb    /dev/srd1  /dev/srd0  4.0 KiB   32.0 MiB  -\n");
}

} // namespace
