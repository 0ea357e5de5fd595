// SPDX-License-Identifier: GPL-2.0
// The concurrency contract: scp_hit() needs no lock (except for policies
// with SCP_OPS_HIT_LOCKED).  Threads hammer scp_hit() on mapped blocks while
// the "locked" side keeps missing, promoting and invalidating; the policy's
// state must stay consistent.  Run it under -fsanitize=thread to check the
// accesses too (docs/cache-policy.md).
#include "harness.hpp"

#include <atomic>
#include <random>
#include <thread>

namespace scp_test {
namespace {

class LocklessHits : public ::testing::TestWithParam<std::string> {};

TEST_P(LocklessHits, HitsRaceWithLockedCalls)
{
	const uint32_t nr = 256;
	Harness h(GetParam().c_str(), nr);
	if (h.ops()->flags & SCP_OPS_HIT_LOCKED)
		GTEST_SKIP() << "hits need the lock";
	std::atomic<bool> stop{false};
	std::vector<std::thread> hitters;
	scp_policy *p = h.p();
	for (int t = 0; t < 2; t++) {
		hitters.emplace_back([p, &stop, t] {
			std::mt19937 rng(t);
			// Any index: a hit may race with the eviction of its
			// block, which the contract allows.
			while (!stop.load(std::memory_order_relaxed))
				scp_hit(p, rng() % nr, 0);
		});
	}
	std::mt19937_64 rng(99);
	for (int step = 0; step < 200000; step++) {
		unsigned op = rng() % 10;
		if (op < 8) {
			h.access(rng() % (3 * nr), false);
		} else {
			uint32_t c = rng() % nr;
			if (h.oblock_in(c) != kNoOblock && !h.is_pending(c))
				h.invalidate(c);
		}
		if (testing::Test::HasFailure())
			break;
	}
	stop = true;
	for (auto &t : hitters)
		t.join();
	h.check_consistent();
}

INSTANTIATE_TEST_SUITE_P(Policies, LocklessHits, ::testing::ValuesIn(all_policies()),
			 [](const auto &info) { return info.param; });

}  // namespace
}  // namespace scp_test
