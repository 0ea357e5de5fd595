// SPDX-License-Identifier: GPL-2.0
// Behaviour every policy must have, run once per registered policy.
#include "harness.hpp"

#include <random>
#include <set>

namespace scp_test {
namespace {

class EveryPolicy : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryPolicy, FillsToCapacityThenEvicts)
{
	const uint32_t nr = 16;
	Harness h(GetParam().c_str(), nr);
	std::set<uint32_t> used;
	for (uint64_t ob = 0; ob < nr; ob++) {
		Access a = h.access(1000 + ob);
		ASSERT_TRUE(a.promoted) << "miss " << ob << " not promoted";
		EXPECT_EQ(a.evicted, kNoOblock) << "evicted before the cache was full";
		used.insert(a.cblock);
	}
	EXPECT_EQ(used.size(), nr) << "the first misses must use distinct blocks";
	EXPECT_EQ(h.stats().nr_cached, nr);
	EXPECT_EQ(h.stats().nr_free, 0u);
	EXPECT_EQ(h.stats().evictions, 0u);

	// Full: every further miss evicts exactly one cached block.
	for (uint64_t ob = 0; ob < 3 * nr; ob++) {
		Access a = h.access(5000 + ob);
		ASSERT_TRUE(a.promoted);
		EXPECT_NE(a.evicted, kNoOblock) << "full cache promoted without evicting";
		EXPECT_EQ(h.cached(), nr);
	}
	EXPECT_EQ(h.stats().evictions, 3 * nr);
	h.check_consistent();
}

TEST_P(EveryPolicy, HitsAreHits)
{
	Harness h(GetParam().c_str(), 8);
	ASSERT_TRUE(h.access(7).promoted);
	for (int i = 0; i < 5; i++)
		EXPECT_TRUE(h.access(7).hit);
	EXPECT_EQ(h.stats().misses, 1u);
	h.check_consistent();
}

TEST_P(EveryPolicy, NeverReturnsABusyBlock)
{
	const uint32_t nr = 8;
	Harness h(GetParam().c_str(), nr);
	for (uint64_t ob = 0; ob < nr; ob++)
		h.access(ob);
	// Four promotions left pending: they are busy.
	std::set<uint32_t> busy;
	for (uint64_t ob = 100; ob < 104; ob++) {
		auto c = h.miss(ob);
		ASSERT_TRUE(c.has_value());
		EXPECT_TRUE(busy.insert(*c).second) << "pending block handed out twice";
	}
	// The other four can still be replaced, never the busy ones.
	for (uint64_t ob = 200; ob < 260; ob++) {
		Access a = h.access(ob);
		ASSERT_TRUE(a.promoted);
		EXPECT_EQ(busy.count(a.cblock), 0u) << "busy block " << a.cblock << " returned";
	}
	// Everything pending: misses are declined as busy.
	for (uint64_t ob = 300; ob < 304; ob++)
		ASSERT_TRUE(h.miss(ob).has_value());
	EXPECT_EQ(h.pending(), nr);
	EXPECT_FALSE(h.miss(999).has_value());
	EXPECT_EQ(h.stats().busy, 1u);
	h.check_consistent();
}

TEST_P(EveryPolicy, InvalidatedBlockIsFreeAndReusedFirst)
{
	const uint32_t nr = 10;
	Harness h(GetParam().c_str(), nr);
	for (uint64_t ob = 0; ob < nr; ob++)
		h.access(ob);
	uint32_t victim = *h.lookup(4);
	h.invalidate(victim);
	h.check_consistent();
	// The next miss takes the freed block without evicting anything.
	Access a = h.access(42);
	ASSERT_TRUE(a.promoted);
	EXPECT_EQ(a.cblock, victim);
	EXPECT_EQ(a.evicted, kNoOblock);
	EXPECT_EQ(h.stats().invalidations, 1u);
	h.check_consistent();
}

TEST_P(EveryPolicy, InvalidatePendingAndFailedPromotionFreeTheBlock)
{
	const uint32_t nr = 4;
	Harness h(GetParam().c_str(), nr);
	for (uint64_t ob = 0; ob < nr; ob++)
		h.access(ob);
	auto c1 = h.miss(10);
	auto c2 = h.miss(11);
	ASSERT_TRUE(c1 && c2);
	h.promotion_failed(*c1);
	h.invalidate(*c2);
	h.check_consistent();
	EXPECT_EQ(h.stats().promotion_failures, 1u);
	EXPECT_EQ(h.free_blocks(), 2u);
	// Both come back before anything else is evicted.
	std::set<uint32_t> got;
	for (uint64_t ob = 20; ob < 22; ob++) {
		Access a = h.access(ob);
		EXPECT_EQ(a.evicted, kNoOblock);
		got.insert(a.cblock);
	}
	EXPECT_EQ(got, (std::set<uint32_t>{*c1, *c2}));
	h.check_consistent();
}

TEST_P(EveryPolicy, CallsOutOfStateAreIgnoredAndCounted)
{
	const uint32_t nr = 4;
	Harness h(GetParam().c_str(), nr);
	h.access(1);
	uint32_t cached = *h.lookup(1);
	uint32_t free_c = (cached + 1) % nr;
	ASSERT_EQ(scp_block_state(h.p(), free_c), SCP_STATE_FREE);
	scp_promoted(h.p(), cached);		// not pending
	scp_promotion_failed(h.p(), cached);	// not pending
	scp_promoted(h.p(), free_c);		// free
	scp_invalidate(h.p(), free_c);		// free
	scp_invalidate(h.p(), nr);		// out of range
	scp_promoted(h.p(), SCP_NIL);		// out of range
	scp_hit(h.p(), nr + 5, 0);		// out of range: ignored
	EXPECT_EQ(h.stats().bad_calls, 6u);
	EXPECT_EQ(scp_block_state(h.p(), nr), SCP_STATE_FREE);
	// Nothing changed.
	EXPECT_EQ(scp_block_state(h.p(), cached), SCP_STATE_CACHED);
	EXPECT_EQ(h.stats().nr_cached, 1u);
	EXPECT_EQ(h.stats().nr_free, nr - 1);
	EXPECT_TRUE(h.access(1).hit);
}

TEST_P(EveryPolicy, WriteMissesDoNotPromoteUnlessAsked)
{
	Harness h(GetParam().c_str(), 8);
	Access a = h.access(5, true);
	EXPECT_FALSE(a.promoted);
	EXPECT_EQ(h.stats().declined, 1u);
	EXPECT_EQ(h.stats().nr_cached, 0u);
	ASSERT_EQ(scp_set_tunable(h.p(), "write_promote", "1"), 0);
	EXPECT_TRUE(h.access(5, true).promoted);
	EXPECT_TRUE(h.access(5, true).hit);
}

// Thousands of random operations; after each, the policy's view of every
// block (free / pending / cached) must match the harness's, and no
// decision may break the rules the harness checks (range, busy, free
// blocks first, evicting only cached blocks).
TEST_P(EveryPolicy, RandomizedConsistency)
{
	for (uint32_t nr : {1u, 7u, 64u}) {
		Harness h(GetParam().c_str(), nr);
		std::mt19937_64 rng(nr * 7919 + 1);
		const uint64_t space = nr * 3 + 5;
		for (int step = 0; step < 6000; step++) {
			unsigned op = rng() % 100;
			if (op < 55) {
				h.access(rng() % space, rng() % 4 == 0);
			} else if (op < 70) {
				uint64_t ob = rng() % space;
				if (!h.known(ob))
					h.miss(ob);		// left pending
			} else if (op < 80 && h.pending()) {
				auto it = h.pending_map().begin();
				std::advance(it, rng() % h.pending());
				uint32_t c = it->first;
				if (rng() % 3)
					h.promoted(c);
				else
					h.promotion_failed(c);
			} else if (op < 90) {
				uint32_t c = rng() % nr;
				if (h.is_pending(c) || h.oblock_in(c) != kNoOblock)
					h.invalidate(c);
			} else if (op < 92) {
				// Retune on the fly where there is something to tune.
				u32 n = scp_nr_tunables(h.p());
				const char *name = scp_tunable_name(h.p(), rng() % n);
				u32 v;
				ASSERT_EQ(scp_get_tunable(h.p(), name, &v), 0);
				std::string nv = std::to_string(rng() % 4);
				scp_set_tunable(h.p(), name, nv.c_str());	// may be out of range
			} else if (h.pending()) {
				h.promoted(h.pending_map().begin()->first);
			}
			if (testing::Test::HasFailure())
				FAIL() << "nr " << nr << " step " << step;
			if (step % 50 == 0)
				h.check_consistent();
		}
		h.check_consistent();
		scp_stats st = h.stats();
		EXPECT_GT(st.promotions, 0u);
		EXPECT_GE(st.promotions, st.evictions);
	}
}

INSTANTIATE_TEST_SUITE_P(Policies, EveryPolicy, ::testing::ValuesIn(all_policies()),
			 [](const auto &info) { return info.param; });

}  // namespace
}  // namespace scp_test
