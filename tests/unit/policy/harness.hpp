// SPDX-License-Identifier: GPL-2.0
// Test harness for the cache policy core: plays the mechanism (mapping,
// reverse map, promotion completion) around one policy instance, checking
// every decision against its own view of the cache.
#pragma once

#include "scp.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

namespace scp_test {

constexpr uint64_t kNoOblock = UINT64_MAX;

struct Access {
	bool hit = false;
	bool promoted = false;
	uint32_t cblock = SCP_NIL;
	uint64_t evicted = kNoOblock;	// oblock that lost its block, if any
};

class Harness {
public:
	Harness(const char *policy, uint32_t nr) : nr_(nr)
	{
		ops_ = scp_find(policy);
		EXPECT_NE(ops_, nullptr) << policy;
		size_t len = scp_mem_size(ops_, nr);
		mem_.assign(len / 8 + 1, 0xa5a5a5a5a5a5a5a5ULL);	// not zeroed on purpose
		p_ = scp_create(ops_, nr, mem_.data(), mem_.size() * 8, &Harness::oblock_of, this);
		EXPECT_NE(p_, nullptr);
		rev_.assign(nr, kNoOblock);
	}

	Harness(const Harness &) = delete;
	Harness &operator=(const Harness &) = delete;

	scp_policy *p() { return p_; }
	const scp_ops *ops() const { return ops_; }
	uint32_t nr() const { return nr_; }

	// A read (or write) of @oblock, promotion completed at once.
	Access access(uint64_t oblock, bool write = false)
	{
		Access a;
		if (is_pending_oblock(oblock))
			return a;	// the mechanism waits for the copy
		auto it = map_.find(oblock);
		if (it != map_.end()) {
			a.hit = true;
			a.cblock = it->second;
			scp_hit(p_, it->second, write ? SCP_IO_WRITE : 0);
			return a;
		}
		std::optional<uint32_t> c = miss(oblock, write, &a.evicted);
		if (c) {
			a.promoted = true;
			a.cblock = *c;
			promoted(*c);
		}
		return a;
	}

	// A miss whose promotion is left pending; returns the block, if any.
	std::optional<uint32_t> miss(uint64_t oblock, bool write = false,
				     uint64_t *evicted = nullptr)
	{
		scp_result r;
		bool had_free = free_blocks() > 0;
		// The mechanism only reports misses on oblocks it does not map.
		EXPECT_FALSE(map_.count(oblock) || is_pending_oblock(oblock)) << oblock;
		scp_miss(p_, oblock, write ? SCP_IO_WRITE : 0, &r);
		if (r.op != SCP_OP_PROMOTE)
			return std::nullopt;
		uint32_t c = r.cblock;
		EXPECT_LT(c, nr_) << "promotion into an out-of-range block";
		if (c >= nr_)
			return std::nullopt;
		EXPECT_EQ(pending_.count(c), 0u) << "promotion into a busy block " << c;
		EXPECT_EQ(scp_block_state(p_, c), SCP_STATE_PENDING);
		if (r.evict) {
			EXPECT_NE(rev_[c], kNoOblock) << "evicted an empty block " << c;
			EXPECT_FALSE(had_free) << "evicted a block while a free one was left";
			if (evicted)
				*evicted = rev_[c];
			map_.erase(rev_[c]);
		} else {
			EXPECT_EQ(rev_[c], kNoOblock) << "overwrote cached block " << c;
		}
		rev_[c] = oblock;	// mapped before the copy, as the target does
		pending_[c] = oblock;
		return c;
	}

	void promoted(uint32_t c)
	{
		ASSERT_EQ(pending_.count(c), 1u);
		map_[pending_[c]] = c;
		pending_.erase(c);
		scp_promoted(p_, c);
		EXPECT_EQ(scp_block_state(p_, c), SCP_STATE_CACHED);
	}

	void promotion_failed(uint32_t c)
	{
		ASSERT_EQ(pending_.count(c), 1u);
		rev_[c] = kNoOblock;
		pending_.erase(c);
		scp_promotion_failed(p_, c);
		EXPECT_EQ(scp_block_state(p_, c), SCP_STATE_FREE);
	}

	// Write-around write, discard or error on a cached or pending block.
	void invalidate(uint32_t c)
	{
		scp_invalidate(p_, c);	// before unmapping: the policy may look
		if (pending_.count(c)) {
			pending_.erase(c);
		} else {
			ASSERT_NE(rev_[c], kNoOblock);
			map_.erase(rev_[c]);
		}
		rev_[c] = kNoOblock;
		EXPECT_EQ(scp_block_state(p_, c), SCP_STATE_FREE);
	}

	std::optional<uint32_t> lookup(uint64_t oblock) const
	{
		auto it = map_.find(oblock);
		if (it == map_.end())
			return std::nullopt;
		return it->second;
	}

	uint64_t oblock_in(uint32_t c) const { return rev_[c]; }
	bool is_pending(uint32_t c) const { return pending_.count(c) != 0; }
	bool is_pending_oblock(uint64_t oblock) const
	{
		for (const auto &[c, ob] : pending_)
			if (ob == oblock)
				return true;
		return false;
	}
	// Mapped or being promoted: a miss on it would be a mechanism bug.
	bool known(uint64_t oblock) const { return map_.count(oblock) || is_pending_oblock(oblock); }
	size_t cached() const { return map_.size(); }
	size_t pending() const { return pending_.size(); }
	size_t free_blocks() const { return nr_ - map_.size() - pending_.size(); }
	const std::unordered_map<uint32_t, uint64_t> &pending_map() const { return pending_; }

	scp_stats stats() const
	{
		scp_stats st;
		scp_get_stats(p_, &st);
		return st;
	}

	// The policy's view of every block matches ours.
	void check_consistent() const
	{
		for (uint32_t c = 0; c < nr_; c++) {
			enum scp_state want = pending_.count(c) ? SCP_STATE_PENDING
				       : rev_[c] != kNoOblock ? SCP_STATE_CACHED
							       : SCP_STATE_FREE;
			ASSERT_EQ(scp_block_state(p_, c), want) << "cblock " << c;
		}
		scp_stats st = stats();
		EXPECT_EQ(st.nr_cached, map_.size());
		EXPECT_EQ(st.nr_pending, pending_.size());
		EXPECT_EQ(st.nr_free, free_blocks());
		EXPECT_EQ(st.bad_calls, 0u);
	}

private:
	static u64 oblock_of(void *ctx, u32 c)
	{
		auto *h = static_cast<Harness *>(ctx);
		if (c >= h->nr_ || h->rev_[c] == kNoOblock) {
			ADD_FAILURE() << "oblock_of(" << c << ") on an unmapped block";
			return 0;
		}
		return h->rev_[c];
	}

	const scp_ops *ops_ = nullptr;
	uint32_t nr_;
	std::vector<uint64_t> mem_;
	scp_policy *p_ = nullptr;
	std::unordered_map<uint64_t, uint32_t> map_;		// oblock -> cblock (cached)
	std::unordered_map<uint32_t, uint64_t> pending_;	// cblock -> oblock
	std::vector<uint64_t> rev_;				// cblock -> oblock
};

// Every registered policy's name.
inline std::vector<std::string> all_policies()
{
	std::vector<std::string> names;
	for (int i = 0; scp_policies[i]; i++)
		names.push_back(scp_policies[i]->name);
	return names;
}

}  // namespace scp_test
