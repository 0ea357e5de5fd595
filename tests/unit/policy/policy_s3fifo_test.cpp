// SPDX-License-Identifier: GPL-2.0
// The scan-resistant policies: a hot set survives a large one-pass scan
// (where LRU and FIFO lose it), the ghost history, the adaptive small queue.
#include "harness.hpp"

#include <random>

namespace scp_test {
namespace {

// Warm a hot set up (half the cache, with some one-off traffic around it so
// the cache is under pressure), run a one-pass scan over 20x the cache,
// then read the hot set once more: the fraction of those reads that hit.
double hot_hits_after_scan(const char *policy)
{
	const uint32_t nr = 1000;
	const uint64_t hot = 500, scan = 20 * nr;
	Harness h(policy, nr);
	std::mt19937_64 rng(11);
	uint64_t cold = 500000;
	for (int i = 0; i < 40000; i++)
		h.access(rng() % 4 ? rng() % hot : cold++);
	for (uint64_t ob = 0; ob < scan; ob++)
		h.access(1000000 + ob);
	uint64_t hits = 0;
	for (uint64_t ob = 0; ob < hot; ob++)
		hits += h.access(ob).hit;
	h.check_consistent();
	return (double)hits / hot;
}

TEST(ScanResistance, BaselinesLoseTheHotSet)
{
	// The premise: LRU, FIFO and CLOCK keep none of it.
	EXPECT_LT(hot_hits_after_scan("lru"), 0.01);
	EXPECT_LT(hot_hits_after_scan("fifo"), 0.01);
	EXPECT_LT(hot_hits_after_scan("clock"), 0.01);
}

TEST(ScanResistance, S3fifoKeepsTheHotSet)
{
	EXPECT_GT(hot_hits_after_scan("s3fifo"), 0.95);
}

TEST(ScanResistance, TwoQKeepsTheHotSet)
{
	EXPECT_GT(hot_hits_after_scan("2q"), 0.95);
}

TEST(ScanResistance, S3fifoWithoutAdaptationKeepsTheHotSet)
{
	const uint32_t nr = 1000;
	Harness h("s3fifo", nr);
	ASSERT_EQ(scp_set_tunable(h.p(), "adapt", "0"), 0);
	std::mt19937_64 rng(12);
	for (int i = 0; i < 20000; i++)
		h.access(rng() % 500);
	for (uint64_t ob = 0; ob < 20 * nr; ob++)
		h.access(1000000 + ob);
	uint64_t hits = 0;
	for (uint64_t ob = 0; ob < 500; ob++)
		hits += h.access(ob).hit;
	EXPECT_GT(hits, 475u);
}

TEST(S3fifo, NewBlocksEnterTheSmallQueueAndHotOnesMoveToMain)
{
	const uint32_t nr = 100;
	Harness h("s3fifo", nr);
	for (uint64_t ob = 0; ob < nr; ob++)
		h.access(ob);
	EXPECT_EQ(h.stats().nr_small, nr);
	EXPECT_EQ(h.stats().nr_main, 0u);
	EXPECT_EQ(h.stats().small_target, 10u);
	// Block 0 is hit while in S: when S gives it up it moves to M
	// instead of being evicted; unhit blocks go.
	h.access(0);
	for (uint64_t ob = 1000; ob < 1050; ob++) {
		Access a = h.access(ob);
		EXPECT_NE(a.evicted, 0u);
	}
	EXPECT_TRUE(h.lookup(0).has_value());
	EXPECT_EQ(h.stats().nr_main, 1u);
}

TEST(S3fifo, GhostHitGoesStraightToMain)
{
	const uint32_t nr = 100;
	Harness h("s3fifo", nr);
	ASSERT_EQ(scp_set_tunable(h.p(), "adapt", "0"), 0);
	for (uint64_t ob = 0; ob < nr; ob++)
		h.access(ob);
	// Evict block 0 (oldest in S, never hit): it is remembered.
	Access a = h.access(500);
	ASSERT_EQ(a.evicted, 0u);
	EXPECT_EQ(h.stats().ghost_hits, 0u);
	uint32_t main_before = h.stats().nr_main;
	a = h.access(0);
	ASSERT_TRUE(a.promoted);
	EXPECT_EQ(h.stats().ghost_hits, 1u);
	EXPECT_EQ(h.stats().nr_main, main_before + 1);
	// A block never seen does not hit the ghost.
	h.access(777777);
	EXPECT_EQ(h.stats().ghost_hits, 1u);
}

TEST(S3fifo, NoGhostWithoutReverseMap)
{
	const scp_ops *ops = scp_find("s3fifo");
	std::vector<uint64_t> mem(scp_mem_size(ops, 64) / 8 + 1);
	scp_policy *p = scp_create(ops, 64, mem.data(), mem.size() * 8, nullptr, nullptr);
	ASSERT_NE(p, nullptr);
	scp_stats st;
	scp_get_stats(p, &st);
	EXPECT_EQ(st.ghost_capacity, 0u);
	// Still works: fill and evict without ever asking for an oblock.
	for (uint64_t ob = 0; ob < 200; ob++) {
		scp_result r;
		scp_miss(p, ob, 0, &r);
		ASSERT_EQ(r.op, (u32)SCP_OP_PROMOTE);
		scp_promoted(p, r.cblock);
	}
	scp_get_stats(p, &st);
	EXPECT_EQ(st.evictions, 200u - 64u);
}

// Every block is read twice, 300 misses apart: longer than a block stays in
// S, shorter than the ghost remembers.  Only blocks evicted from S come
// back, so S's target grows to small_max_pct.  Then a loop over 1.5x the
// cache: now blocks evicted from M come back, and the target shrinks.
TEST(S3fifo, SmallQueueAdaptsToWhatComesBack)
{
	const uint32_t nr = 1000;
	const uint64_t gap = 300;
	auto twice = [&](Harness &h) {
		for (uint64_t i = 0; i < 20000; i++) {
			h.access(i);
			if (i >= gap)
				h.access(i - gap);
		}
	};
	Harness h("s3fifo", nr);
	EXPECT_EQ(h.stats().small_target, 100u);
	twice(h);
	scp_stats st = h.stats();
	EXPECT_GT(st.ghost_hits, 10000u);
	EXPECT_EQ(st.small_target, 200u);	// small_max_pct 20
	for (uint64_t round = 0; round < 10; round++)
		for (uint64_t ob = 0; ob < 1500; ob++)
			h.access(100000 + ob);
	EXPECT_LT(h.stats().small_target, 100u);

	// Without adaptation the target stays at small_pct.
	Harness fixed("s3fifo", nr);
	ASSERT_EQ(scp_set_tunable(fixed.p(), "adapt", "0"), 0);
	twice(fixed);
	EXPECT_EQ(fixed.stats().small_target, 100u);
}

TEST(S3fifo, InvalidatedBlockReturnsToMain)
{
	const uint32_t nr = 100;
	Harness h("s3fifo", nr);
	for (uint64_t ob = 0; ob < nr; ob++)
		h.access(ob);
	h.invalidate(*h.lookup(3));	// a write-around write
	uint32_t main_before = h.stats().nr_main;
	uint32_t target_before = h.stats().small_target;
	ASSERT_TRUE(h.access(3).promoted);	// re-read
	EXPECT_EQ(h.stats().ghost_hits, 1u);
	EXPECT_EQ(h.stats().nr_main, main_before + 1);
	EXPECT_EQ(h.stats().small_target, target_before) << "invalidation moved S's target";
}

TEST(S3fifo, EvictionWorkIsBounded)
{
	// Every block in M hot with the largest counter: an eviction would
	// have to walk all of M several times; it stops after SCP_SCAN_MAX.
	const uint32_t nr = 4096;
	Harness h("s3fifo", nr);
	ASSERT_EQ(scp_set_tunable(h.p(), "small_pct", "0"), 0);	// all in M
	ASSERT_EQ(scp_set_tunable(h.p(), "max_freq", "3"), 0);
	for (uint64_t ob = 0; ob < nr; ob++)
		h.access(ob);
	for (int r = 0; r < 3; r++)
		for (uint64_t ob = 0; ob < nr; ob++)
			ASSERT_TRUE(h.access(ob).hit);
	Access a = h.access(999999);
	ASSERT_TRUE(a.promoted);
	EXPECT_NE(a.evicted, kNoOblock);
	EXPECT_EQ(h.stats().forced_evictions, 1u);
	h.check_consistent();
}

TEST(S3fifo, MetadataBytesPerBlock)
{
	// 8 (links) + 1 (state) + 1 (hit counter) + 2 (ghost): 12, plus the
	// fixed header spread over the blocks.
	const scp_ops *ops = scp_find("s3fifo");
	size_t big = scp_mem_size(ops, 1u << 20);
	EXPECT_LE(big, (size_t)12 * (1u << 20) + 4096);
	EXPECT_GE(big, (size_t)12 * (1u << 20));
	EXPECT_LE(scp_mem_size(scp_find("lru"), 1u << 20), (size_t)9 * (1u << 20) + 4096);
	EXPECT_LE(scp_mem_size(scp_find("fifo"), 1u << 20), (size_t)9 * (1u << 20) + 4096);
}

}  // namespace
}  // namespace scp_test
