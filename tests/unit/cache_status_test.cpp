// SPDX-License-Identifier: MIT
//
// Status lines of stor-cache and writecache (6.1 and 6.12 shapes).
#include <string>

#include <gtest/gtest.h>

#include <storctl/cache.hpp>

namespace {

using namespace storctl;

TEST(StorCacheStatus, AllCountersByName)
{
	auto s = parse_stor_cache_status("1 2 3 4 5 6 7 8 9 10 11 12 13 14");
	ASSERT_TRUE(s) << s.error().message;
	for (std::size_t i = 0; i < kStorCacheCounters.size(); i++) {
		EXPECT_EQ(s->counters[i], i + 1);
		EXPECT_EQ(s->get(kStorCacheCounters[i]), i + 1) << kStorCacheCounters[i];
	}
	EXPECT_EQ(s->get("read_hits"), 1u);
	EXPECT_EQ(s->get("cached_blocks"), 10u);
	EXPECT_EQ(s->get("total_blocks"), 11u);
	EXPECT_EQ(s->get("fills_in_flight"), 14u);
	EXPECT_EQ(s->get("nosuch"), 0u);
	EXPECT_DOUBLE_EQ(s->read_hit_ratio(), 1.0 / 3.0);
}

TEST(StorCacheStatus, AsPrintedByTheModule)
{
	// dmsetup status after 17 misses and 18 hits (VM run, 6.12).
	auto s = parse_stor_cache_status("18 17 0 0 17 0 0 0 0 17 256 0 0 0");
	ASSERT_TRUE(s);
	EXPECT_EQ(s->get("read_hits"), 18u);
	EXPECT_EQ(s->get("read_misses"), 17u);
	EXPECT_EQ(s->get("promotions"), 17u);
	EXPECT_EQ(s->get("total_blocks"), 256u);
	EXPECT_DOUBLE_EQ(s->read_hit_ratio(), 18.0 / 35.0);
}

TEST(StorCacheStatus, HitRatioWithoutReadsIsZero)
{
	auto s = parse_stor_cache_status("0 0 5 5 0 0 0 0 0 0 256 0 0 0");
	ASSERT_TRUE(s);
	EXPECT_EQ(s->read_hit_ratio(), 0.0);
	auto all_hits = parse_stor_cache_status("9 0 0 0 0 0 0 0 0 0 1 0 0 0");
	EXPECT_EQ(all_hits->read_hit_ratio(), 1.0);
}

TEST(StorCacheStatus, ExtraFieldsAreIgnoredMissingOnesAreNot)
{
	auto more = parse_stor_cache_status("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
	ASSERT_TRUE(more);
	EXPECT_EQ(more->get("fills_in_flight"), 14u);
	for (const char *bad : {"", "1 2 3 4 5 6 7 8 9 10 11 12 13",
				"1 2 3 4 5 6 7 8 9 10 11 12 13 x", "1 2 3 4 5 6 7 8 9 10 11 12 -1 14",
				"1 2 3 4 5 6 7 8 9 10 11 12 13 18446744073709551616"}) {
		auto r = parse_stor_cache_status(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_NE(r.error().message.find("stor-cache status"), std::string::npos);
	}
	EXPECT_EQ(parse_stor_cache_status("1 2 3").error().message,
		  "cannot parse stor-cache status '1 2 3': expected 14 counters, got 3");
}

// Both Debian kernels print the 14-field line (statistics were added in
// Linux 5.15); the 4-field shape is what older kernels print.
TEST(WritecacheStatus, FourteenFields)
{
	// 6.12, right after creation on a 16 MiB srd (udev read 84 blocks).
	auto s = parse_writecache_status("0 4080 4080 0 84 0 0 0 0 0 0 0 0 0");
	ASSERT_TRUE(s) << s.error().message;
	EXPECT_EQ(s->error, 0);
	EXPECT_EQ(s->total_blocks, 4080u);
	EXPECT_EQ(s->free_blocks, 4080u);
	EXPECT_EQ(s->writeback_blocks, 0u);
	EXPECT_EQ(s->used_blocks(), 0u);
	EXPECT_EQ(s->dirty_blocks(), 0u);
	ASSERT_TRUE(s->counters);
	EXPECT_EQ((*s->counters)[0], 84u);
	EXPECT_EQ(s->read_hit_ratio(), 0.0);

	// 6.1 after 100 written blocks and some reads.
	s = parse_writecache_status("0 4080 3980 3 168 65 100 1 2 3 100 4 5 6");
	ASSERT_TRUE(s);
	EXPECT_EQ(s->used_blocks(), 100u);
	EXPECT_EQ(s->dirty_blocks(), 100u);
	EXPECT_EQ(s->writeback_blocks, 3u);
	const std::array<std::uint64_t, 10> want = {168, 65, 100, 1, 2, 3, 100, 4, 5, 6};
	EXPECT_EQ(*s->counters, want);
	EXPECT_DOUBLE_EQ(*s->read_hit_ratio(), 65.0 / 168.0);
	EXPECT_EQ(kWritecacheCounters[3], "write_hits_uncommitted");
	EXPECT_EQ(kWritecacheCounters[9], "discards");
}

TEST(WritecacheStatus, FourFields)
{
	auto s = parse_writecache_status("0 1000 900 10");
	ASSERT_TRUE(s) << s.error().message;
	EXPECT_EQ(s->total_blocks, 1000u);
	EXPECT_EQ(s->used_blocks(), 100u);
	EXPECT_EQ(s->writeback_blocks, 10u);
	EXPECT_FALSE(s->counters);
	EXPECT_FALSE(s->read_hit_ratio());
}

TEST(WritecacheStatus, ErrorIndicator)
{
	// %ld of a negative errno.
	auto s = parse_writecache_status("-5 1000 990 0 0 0 0 0 0 0 0 0 0 0");
	ASSERT_TRUE(s);
	EXPECT_EQ(s->error, -5);
	EXPECT_EQ(s->dirty_blocks(), 10u);
}

TEST(WritecacheStatus, BadLines)
{
	for (const char *bad : {"", "0 1 2", "0 1 2 3 4", "0 1 2 3 4 5 6 7 8 9 10 11 12",
				"x 1 2 3", "0 1 2 -3", "0 a 2 3",
				"0 1 2 3 4 5 6 7 8 9 10 11 12 z"}) {
		auto r = parse_writecache_status(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_NE(r.error().message.find("writecache status"), std::string::npos);
	}
	// Free above total cannot happen, but must not underflow.
	auto s = parse_writecache_status("0 10 20 0");
	EXPECT_EQ(s->used_blocks(), 0u);
}

} // namespace
