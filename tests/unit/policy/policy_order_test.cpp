// SPDX-License-Identifier: GPL-2.0
// Exact eviction order of the baselines: LRU and FIFO on hand-written
// sequences, then against reference models on random sequences; CLOCK
// against its reference model too.
#include "harness.hpp"

#include <algorithm>
#include <deque>
#include <list>
#include <random>

#include <gtest/gtest-spi.h>

namespace scp_test {
namespace {

TEST(LruPolicy, EvictsExactlyLeastRecentlyUsed)
{
	Harness h("lru", 4);
	for (uint64_t ob : {1, 2, 3, 4})
		h.access(ob);
	// Use 1 and 3 again: the order of last use is 2, 4, 1, 3.
	EXPECT_TRUE(h.access(1).hit);
	EXPECT_TRUE(h.access(3).hit);
	EXPECT_EQ(h.access(5).evicted, 2u);
	EXPECT_EQ(h.access(6).evicted, 4u);
	EXPECT_TRUE(h.access(1).hit);		// 3, 5, 6, 1
	EXPECT_EQ(h.access(7).evicted, 3u);
	EXPECT_EQ(h.access(8).evicted, 5u);
	EXPECT_EQ(h.access(9).evicted, 6u);
	EXPECT_EQ(h.access(10).evicted, 1u);
}

TEST(FifoPolicy, EvictsExactlyInPromotionOrder)
{
	Harness h("fifo", 4);
	for (uint64_t ob : {1, 2, 3, 4})
		h.access(ob);
	// Hits change nothing in FIFO.
	EXPECT_TRUE(h.access(1).hit);
	EXPECT_TRUE(h.access(1).hit);
	EXPECT_EQ(h.access(5).evicted, 1u);
	EXPECT_EQ(h.access(6).evicted, 2u);
	EXPECT_TRUE(h.access(3).hit);
	EXPECT_EQ(h.access(7).evicted, 3u);
	EXPECT_EQ(h.access(8).evicted, 4u);
	EXPECT_EQ(h.access(9).evicted, 5u);
}

// Reference models: the victim each must pick on a miss in a full cache.
struct LruModel {
	std::list<uint64_t> order;	// front = least recently used
	void hit(uint64_t ob)
	{
		order.remove(ob);
		order.push_back(ob);
	}
	uint64_t evict()
	{
		uint64_t v = order.front();
		order.pop_front();
		return v;
	}
	void insert(uint64_t ob) { order.push_back(ob); }
	void drop(uint64_t ob) { order.remove(ob); }
};

struct FifoModel {
	std::deque<uint64_t> order;
	void hit(uint64_t) {}
	uint64_t evict()
	{
		uint64_t v = order.front();
		order.pop_front();
		return v;
	}
	void insert(uint64_t ob) { order.push_back(ob); }
	void drop(uint64_t ob) { order.erase(std::find(order.begin(), order.end(), ob)); }
};

// CLOCK as a FIFO with reinsertion: a hit sets the reference bit, the
// victim is the first block from the head without it (bits cleared on the
// way, blocks moved to the tail).
struct ClockModel {
	std::deque<std::pair<uint64_t, bool>> order;
	void hit(uint64_t ob)
	{
		for (auto &e : order)
			if (e.first == ob)
				e.second = true;
	}
	uint64_t evict()
	{
		for (;;) {
			auto e = order.front();
			order.pop_front();
			if (!e.second)
				return e.first;
			order.push_back({e.first, false});
		}
	}
	void insert(uint64_t ob) { order.push_back({ob, false}); }
	void drop(uint64_t ob)
	{
		order.erase(std::find_if(order.begin(), order.end(),
					 [&](auto &e) { return e.first == ob; }));
	}
};

template <typename Model>
void compare_with_model(const char *policy, uint32_t nr, uint64_t seed)
{
	Harness h(policy, nr);
	Model m;
	std::mt19937_64 rng(seed);
	const uint64_t space = nr * 2;
	for (int step = 0; step < 20000; step++) {
		uint64_t ob = rng() % space;
		if (rng() % 10 == 0 && h.lookup(ob)) {
			h.invalidate(*h.lookup(ob));
			m.drop(ob);
			continue;
		}
		bool full = h.cached() == nr;
		Access a = h.access(ob);
		if (a.hit) {
			m.hit(ob);
			continue;
		}
		ASSERT_TRUE(a.promoted);
		if (full) {
			uint64_t want = m.evict();
			ASSERT_EQ(a.evicted, want) << policy << " step " << step;
		} else {
			ASSERT_EQ(a.evicted, kNoOblock);
		}
		m.insert(ob);
	}
}

TEST(LruPolicy, MatchesReferenceModel)
{
	compare_with_model<LruModel>("lru", 16, 1);
	compare_with_model<LruModel>("lru", 3, 2);
}

TEST(FifoPolicy, MatchesReferenceModel)
{
	compare_with_model<FifoModel>("fifo", 16, 3);
	compare_with_model<FifoModel>("fifo", 3, 4);
}

TEST(ClockPolicy, MatchesReferenceModel)
{
	compare_with_model<ClockModel>("clock", 16, 5);
	compare_with_model<ClockModel>("clock", 3, 6);
}

// The models are not interchangeable: each policy fails the others' model
// (so the comparisons above do test something).
TEST(PolicyOrder, ModelsTellPoliciesApart)
{
	EXPECT_FATAL_FAILURE(compare_with_model<LruModel>("fifo", 8, 7), "step");
	EXPECT_FATAL_FAILURE(compare_with_model<FifoModel>("lru", 8, 8), "step");
	EXPECT_FATAL_FAILURE(compare_with_model<ClockModel>("lru", 8, 9), "step");
}

}  // namespace
}  // namespace scp_test
