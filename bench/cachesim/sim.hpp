// SPDX-License-Identifier: GPL-2.0
// cachesim: replay a workload against one policy, playing the mechanism
// (mapping, reverse map, promotion completion) the way dm-stor-cache will.
#pragma once

#include "workload.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct scp_ops;

namespace cachesim {

enum class Mode { WriteThrough, WriteAround };

// "s3fifo" or "s3fifo:small_pct=20:ghost_pct=50"; global --set pairs are
// added to every policy that has the tunable.
struct PolicySpec {
	std::string label;	// as written by the user
	const scp_ops *ops = nullptr;
	std::vector<std::pair<std::string, std::string>> tunables;
};

// Throws std::runtime_error for an unknown policy or a bad NAME=VALUE.
PolicySpec parse_policy(const std::string &spec);

struct Result {
	std::string policy;
	uint32_t cache_blocks = 0;
	uint64_t reads = 0, writes = 0;
	uint64_t read_hits = 0, write_hits = 0;
	uint64_t promotions = 0, evictions = 0, invalidations = 0;
	uint64_t ghost_hits = 0, forced_evictions = 0, busy = 0;
	uint32_t bytes_per_block = 0;	// policy metadata, scp_stats.mem_bytes

	// wt: (read + write hits) / all accesses; wa: read hits / reads
	double hit_ratio(Mode m) const;
	double read_hit_ratio() const;
};

// Throws std::runtime_error if the policy misbehaves (returns a busy or
// out-of-range block, evicts a block it does not hold, ...).
Result simulate(const PolicySpec &spec, uint32_t cache_blocks, Mode mode,
		const Workload &w);

}  // namespace cachesim
