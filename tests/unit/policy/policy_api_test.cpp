// SPDX-License-Identifier: GPL-2.0
// The policy core's API: registry, memory sizing, creation, tunables.
#include "harness.hpp"

#include <cstring>

namespace scp_test {
namespace {

TEST(Registry, DefaultIsS3fifoAndNamesResolve)
{
	EXPECT_STREQ(SCP_DEFAULT_POLICY, "s3fifo");
	EXPECT_EQ(scp_find(nullptr), scp_find("s3fifo"));
	EXPECT_EQ(scp_find(""), scp_find("s3fifo"));
	EXPECT_EQ(scp_policies[0], scp_find(SCP_DEFAULT_POLICY));
	for (const char *n : {"s3fifo", "2q", "clock", "lru", "fifo"}) {
		ASSERT_NE(scp_find(n), nullptr) << n;
		EXPECT_STREQ(scp_find(n)->name, n);
	}
	EXPECT_EQ(scp_find("LRU"), nullptr);
	EXPECT_EQ(scp_find("arc"), nullptr);
	EXPECT_EQ(scp_find("lru "), nullptr);
}

TEST(Registry, OnlyLruNeedsTheLockForHits)
{
	for (int i = 0; scp_policies[i]; i++) {
		bool locked = scp_policies[i]->flags & SCP_OPS_HIT_LOCKED;
		EXPECT_EQ(locked, std::strcmp(scp_policies[i]->name, "lru") == 0)
			<< scp_policies[i]->name;
	}
}

TEST(Memory, SizesAndLimits)
{
	for (const auto &name : all_policies()) {
		const scp_ops *ops = scp_find(name.c_str());
		EXPECT_EQ(scp_mem_size(ops, 0), 0u) << name;
		EXPECT_EQ(scp_mem_size(ops, SCP_MAX_CBLOCKS + 1), 0u) << name;
		EXPECT_GT(scp_mem_size(ops, 1), 0u) << name;
		EXPECT_GT(scp_mem_size(ops, 1000), scp_mem_size(ops, 999)) << name;
		if (sizeof(size_t) == 8) {
			EXPECT_GT(scp_mem_size(ops, SCP_MAX_CBLOCKS),
				  (size_t)SCP_MAX_CBLOCKS * 9);
		}
	}
	EXPECT_EQ(scp_mem_size(nullptr, 10), 0u);
}

TEST(Memory, CreateRejectsBadMemory)
{
	const scp_ops *ops = scp_find("s3fifo");
	size_t len = scp_mem_size(ops, 32);
	std::vector<uint64_t> mem(len / 8 + 2);
	EXPECT_EQ(scp_create(ops, 32, nullptr, len, nullptr, nullptr), nullptr);
	EXPECT_EQ(scp_create(ops, 32, mem.data(), len - 1, nullptr, nullptr), nullptr);
	EXPECT_EQ(scp_create(ops, 32, (char *)mem.data() + 4, len, nullptr, nullptr), nullptr);
	EXPECT_EQ(scp_create(ops, 0, mem.data(), len, nullptr, nullptr), nullptr);
	EXPECT_EQ(scp_create(nullptr, 32, mem.data(), len, nullptr, nullptr), nullptr);
	scp_policy *p = scp_create(ops, 32, mem.data(), len, nullptr, nullptr);
	ASSERT_EQ((void *)p, (void *)mem.data());
	scp_stats st;
	scp_get_stats(p, &st);
	EXPECT_EQ(st.nr_cblocks, 32u);
	EXPECT_EQ(st.nr_free, 32u);
	EXPECT_EQ(st.nr_cached, 0u);
	EXPECT_EQ(st.misses, 0u);
}

TEST(Tunables, S3fifoDefaultsAndRoundTrip)
{
	Harness h("s3fifo", 100);
	u32 v = 0;
	ASSERT_EQ(scp_get_tunable(h.p(), "small_pct", &v), 0);
	EXPECT_EQ(v, 10u);
	ASSERT_EQ(scp_get_tunable(h.p(), "ghost_pct", &v), 0);
	EXPECT_EQ(v, 100u);
	ASSERT_EQ(scp_get_tunable(h.p(), "adapt", &v), 0);
	EXPECT_EQ(v, 1u);
	ASSERT_EQ(scp_get_tunable(h.p(), "write_promote", &v), 0);
	EXPECT_EQ(v, 0u);
	EXPECT_EQ(scp_set_tunable(h.p(), "small_pct", "25"), 0);
	ASSERT_EQ(scp_get_tunable(h.p(), "small_pct", &v), 0);
	EXPECT_EQ(v, 25u);
	EXPECT_EQ(scp_set_tunable(h.p(), "ghost_pct", "0"), 0);
	EXPECT_EQ(h.stats().ghost_capacity, 0u);
	EXPECT_EQ(scp_set_tunable(h.p(), "ghost_pct", "50"), 0);
	EXPECT_EQ(h.stats().ghost_capacity, 52u);	// 13 buckets of 4
	EXPECT_EQ(scp_set_tunable(h.p(), "small_pct", "050"), 0);	// leading zero
	ASSERT_EQ(scp_get_tunable(h.p(), "small_pct", &v), 0);
	EXPECT_EQ(v, 50u);
}

TEST(Tunables, EnumerationCoversEveryTunable)
{
	for (const auto &name : all_policies()) {
		Harness h(name.c_str(), 10);
		u32 n = scp_nr_tunables(h.p());
		EXPECT_EQ(n, 1 + h.ops()->nr_tunables);
		EXPECT_STREQ(scp_tunable_name(h.p(), 0), "write_promote");
		for (u32 i = 0; i < n; i++) {
			const char *t = scp_tunable_name(h.p(), i);
			ASSERT_NE(t, nullptr);
			u32 v;
			EXPECT_EQ(scp_get_tunable(h.p(), t, &v), 0) << t;
			// Setting the current value back is always accepted.
			EXPECT_EQ(scp_set_tunable(h.p(), t, std::to_string(v).c_str()), 0) << t;
		}
		EXPECT_EQ(scp_tunable_name(h.p(), n), nullptr);
	}
}

struct BadTunable {
	const char *policy, *name, *value;
};

class TunableRejects : public ::testing::TestWithParam<BadTunable> {};

TEST_P(TunableRejects, BadNameOrValue)
{
	const BadTunable &b = GetParam();
	Harness h(b.policy, 50);
	std::vector<std::pair<std::string, u32>> before;
	for (u32 i = 0; i < scp_nr_tunables(h.p()); i++) {
		u32 v;
		scp_get_tunable(h.p(), scp_tunable_name(h.p(), i), &v);
		before.emplace_back(scp_tunable_name(h.p(), i), v);
	}
	EXPECT_EQ(scp_set_tunable(h.p(), b.name, b.value), -EINVAL);
	for (const auto &[n, v] : before) {
		u32 now;
		scp_get_tunable(h.p(), n.c_str(), &now);
		EXPECT_EQ(now, v) << n << " changed by a rejected set";
	}
}

INSTANTIATE_TEST_SUITE_P(
	Values, TunableRejects,
	::testing::Values(BadTunable{"s3fifo", "small_pct", ""},
			  BadTunable{"s3fifo", "small_pct", "abc"},
			  BadTunable{"s3fifo", "small_pct", "-1"},
			  BadTunable{"s3fifo", "small_pct", "+5"},
			  BadTunable{"s3fifo", "small_pct", " 5"},
			  BadTunable{"s3fifo", "small_pct", "5 "},
			  BadTunable{"s3fifo", "small_pct", "1x"},
			  BadTunable{"s3fifo", "small_pct", "0x10"},
			  BadTunable{"s3fifo", "small_pct", "1.5"},
			  BadTunable{"s3fifo", "small_pct", "51"},
			  BadTunable{"s3fifo", "small_pct", "4294967296"},
			  BadTunable{"s3fifo", "small_pct", "99999999999999999999"},
			  BadTunable{"s3fifo", "ghost_pct", "101"},
			  BadTunable{"s3fifo", "max_freq", "0"},
			  BadTunable{"s3fifo", "max_freq", "4"},
			  BadTunable{"s3fifo", "promote_hits", "4"},
			  BadTunable{"s3fifo", "adapt", "2"},
			  BadTunable{"s3fifo", "small_min_pct", "0"},
			  BadTunable{"s3fifo", "write_promote", "2"},
			  BadTunable{"s3fifo", "no_such", "1"},
			  BadTunable{"s3fifo", "", "1"},
			  BadTunable{"s3fifo", "SMALL_PCT", "10"},
			  BadTunable{"lru", "small_pct", "10"},
			  BadTunable{"fifo", "ghost_pct", "10"},
			  BadTunable{"2q", "max_freq", "9"}),
	[](const auto &info) { return std::to_string(info.index); });

TEST(Tunables, NullArgumentsAreRejected)
{
	Harness h("s3fifo", 10);
	u32 v;
	EXPECT_EQ(scp_set_tunable(h.p(), nullptr, "1"), -EINVAL);
	EXPECT_EQ(scp_set_tunable(h.p(), "adapt", nullptr), -EINVAL);
	EXPECT_EQ(scp_get_tunable(h.p(), nullptr, &v), -EINVAL);
	EXPECT_EQ(scp_get_tunable(h.p(), "nope", &v), -EINVAL);
}

}  // namespace
}  // namespace scp_test
