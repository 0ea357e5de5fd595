// SPDX-License-Identifier: GPL-2.0
// cachesim workloads: a replayable list of block accesses, read from a CSV
// trace or generated (uniform, zipf, scan, moving-hotspot).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cachesim {

// One block access.  Blocks are renumbered densely (0 .. nr_ids - 1) so the
// simulator can use arrays; oblock[id] is the real block number, which is
// what the policy sees.
struct Access {
	uint32_t id;
	bool write;
};

struct Workload {
	std::string description;	// e.g. "zipf alpha=1.00 blocks=..."
	std::vector<Access> accesses;
	std::vector<uint64_t> oblock;	// id -> block number
	uint64_t requests = 0;		// requests before splitting into blocks
	uint64_t reads = 0;		// block accesses
	uint64_t writes = 0;

	// Distinct blocks touched (every id is touched at least once).
	uint64_t working_set() const { return oblock.size(); }
};

struct SyntheticParams {
	std::string kind;		// uniform | zipf | scan | moving-hotspot
	uint64_t blocks = 100000;	// device size in blocks
	uint64_t ops = 1000000;		// requests (one block each)
	double alpha = 1.0;		// zipf exponent
	uint64_t hot_blocks = 0;	// 0: kind's default
	uint64_t scan_every = 0;	// scan: hot requests between scans; 0: default
	uint64_t move_every = 0;	// moving-hotspot: requests per 1-block move; 0: default
	unsigned hot_pct = 90;		// moving-hotspot: % of requests in the window
	unsigned write_pct = 0;		// % of requests that are writes
	uint64_t seed = 1;
};

// Throw std::runtime_error with a message on bad input.
Workload load_trace(const std::string &path, uint64_t block_size);
Workload generate(SyntheticParams p);

// The PRNG (xoshiro256**, seeded with splitmix64): the same seed gives the
// same workload on every platform.
class Rng {
public:
	explicit Rng(uint64_t seed);
	uint64_t next();
	// Uniform in [0, n), n > 0 (Lemire's multiply-shift, exact).
	uint64_t below(uint64_t n);
	// Uniform in [0, 1), 53 random bits.
	double unit();

private:
	uint64_t s_[4];
};

}  // namespace cachesim
