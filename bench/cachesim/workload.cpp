// SPDX-License-Identifier: GPL-2.0
#include "workload.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace cachesim {

__extension__ typedef unsigned __int128 u128;

// ---- PRNG -------------------------------------------------------------

static uint64_t splitmix64(uint64_t &x)
{
	uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

Rng::Rng(uint64_t seed)
{
	for (auto &s : s_)
		s = splitmix64(seed);
}

uint64_t Rng::next()
{
	const uint64_t result = rotl(s_[1] * 5, 7) * 9;
	const uint64_t t = s_[1] << 17;
	s_[2] ^= s_[0];
	s_[3] ^= s_[1];
	s_[1] ^= s_[2];
	s_[0] ^= s_[3];
	s_[2] ^= t;
	s_[3] = rotl(s_[3], 45);
	return result;
}

uint64_t Rng::below(uint64_t n)
{
	u128 m = (u128)next() * n;
	uint64_t low = (uint64_t)m;
	if (low < n) {
		const uint64_t threshold = (0 - n) % n;
		while (low < threshold) {
			m = (u128)next() * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double Rng::unit()
{
	return (double)(next() >> 11) * 0x1.0p-53;
}

// ---- building a workload ------------------------------------------------

namespace {

// Renumbers block numbers densely while accesses are appended.
class Builder {
public:
	explicit Builder(Workload &w) : w_(w) {}

	void access(uint64_t block, bool write)
	{
		auto [it, fresh] = ids_.try_emplace(block, (uint32_t)w_.oblock.size());
		if (fresh) {
			if (w_.oblock.size() >= std::numeric_limits<uint32_t>::max())
				throw std::runtime_error("workload touches too many blocks");
			w_.oblock.push_back(block);
		}
		w_.accesses.push_back({it->second, write});
		(write ? w_.writes : w_.reads)++;
	}

private:
	Workload &w_;
	std::unordered_map<uint64_t, uint32_t> ids_;
};

// Dense variant for synthetic workloads over [0, blocks).
class DenseBuilder {
public:
	DenseBuilder(Workload &w, uint64_t blocks) : w_(w), id_(blocks, UINT32_MAX) {}

	void access(uint64_t block, bool write)
	{
		uint32_t &id = id_[block];
		if (id == UINT32_MAX) {
			id = (uint32_t)w_.oblock.size();
			w_.oblock.push_back(block);
		}
		w_.accesses.push_back({id, write});
		(write ? w_.writes : w_.reads)++;
		w_.requests++;
	}

private:
	Workload &w_;
	std::vector<uint32_t> id_;
};

std::string trim(const std::string &s)
{
	size_t b = s.find_first_not_of(" \t\r");
	size_t e = s.find_last_not_of(" \t\r");
	return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool parse_u64(const std::string &s, uint64_t &v)
{
	if (s.empty() || s.size() > 20)
		return false;
	u128 acc = 0;
	for (char c : s) {
		if (c < '0' || c > '9')
			return false;
		acc = acc * 10 + (unsigned)(c - '0');
	}
	if (acc > std::numeric_limits<uint64_t>::max())
		return false;
	v = (uint64_t)acc;
	return true;
}

}  // namespace

Workload load_trace(const std::string &path, uint64_t block_size)
{
	std::ifstream in(path);
	if (!in)
		throw std::runtime_error("cannot open trace " + path);
	Workload w;
	Builder b(w);
	std::string line;
	uint64_t lineno = 0;
	bool seen_header = false;
	while (std::getline(in, line)) {
		lineno++;
		line = trim(line);
		if (line.empty() || line[0] == '#')
			continue;
		std::vector<std::string> f;
		std::stringstream ss(line);
		for (std::string x; std::getline(ss, x, ',');)
			f.push_back(trim(x));
		auto bad = [&](const std::string &why) {
			return std::runtime_error(path + ":" + std::to_string(lineno) + ": " + why +
						  " (want op,offset_bytes,size_bytes with op R or W)");
		};
		if (f.size() != 3)
			throw bad("expected 3 fields");
		uint64_t off, size;
		bool ok_nums = parse_u64(f[1], off) && parse_u64(f[2], size);
		bool ok_op = f[0] == "R" || f[0] == "r" || f[0] == "W" || f[0] == "w";
		if (!ok_op && w.requests == 0 && !seen_header) {
			seen_header = true;	// a header line before the data
			continue;
		}
		if (!ok_op)
			throw bad("bad op '" + f[0] + "'");
		if (!ok_nums)
			throw bad("bad number");
		w.requests++;
		if (size == 0)
			continue;
		if (off > std::numeric_limits<uint64_t>::max() - (size - 1))
			throw bad("offset + size overflows");
		bool write = f[0] == "W" || f[0] == "w";
		for (uint64_t blk = off / block_size; blk <= (off + size - 1) / block_size; blk++)
			b.access(blk, write);
	}
	if (w.accesses.empty())
		throw std::runtime_error("trace " + path + " has no accesses");
	char desc[256];
	std::snprintf(desc, sizeof(desc), "trace %s (%llu requests)", path.c_str(),
		      (unsigned long long)w.requests);
	w.description = desc;
	return w;
}

Workload generate(SyntheticParams p)
{
	if (p.blocks == 0 || p.blocks > std::numeric_limits<uint32_t>::max())
		throw std::runtime_error("--blocks must be 1 .. 2^32-1");
	if (p.ops == 0)
		throw std::runtime_error("--ops must be positive");
	if (p.write_pct > 100 || p.hot_pct > 100)
		throw std::runtime_error("percentages must be 0 .. 100");
	Workload w;
	DenseBuilder b(w, p.blocks);
	Rng rng(p.seed);
	auto is_write = [&] { return p.write_pct && rng.below(100) < p.write_pct; };
	char desc[256];

	if (p.kind == "uniform") {
		for (uint64_t i = 0; i < p.ops; i++)
			b.access(rng.below(p.blocks), is_write());
		std::snprintf(desc, sizeof(desc), "uniform blocks=%llu",
			      (unsigned long long)p.blocks);
	} else if (p.kind == "zipf") {
		if (!(p.alpha > 0.0) || p.alpha > 10.0)
			throw std::runtime_error("--alpha must be in (0, 10]");
		// CDF over ranks; rank r maps to a random block (a permutation),
		// so popularity has nothing to do with block numbers.
		std::vector<double> cdf(p.blocks);
		double sum = 0;
		for (uint64_t r = 0; r < p.blocks; r++) {
			sum += std::pow((double)(r + 1), -p.alpha);
			cdf[r] = sum;
		}
		std::vector<uint32_t> perm(p.blocks);
		for (uint64_t i = 0; i < p.blocks; i++)
			perm[i] = (uint32_t)i;
		for (uint64_t i = p.blocks - 1; i > 0; i--)
			std::swap(perm[i], perm[rng.below(i + 1)]);
		for (uint64_t i = 0; i < p.ops; i++) {
			double u = rng.unit() * sum;
			uint64_t r = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
			if (r >= p.blocks)
				r = p.blocks - 1;
			b.access(perm[r], is_write());
		}
		std::snprintf(desc, sizeof(desc), "zipf alpha=%.2f blocks=%llu", p.alpha,
			      (unsigned long long)p.blocks);
	} else if (p.kind == "scan") {
		// A hot set (blocks 0 .. hot-1, uniform) and, after every
		// scan_every hot requests, one sequential pass over the whole
		// device (hot set included).  By default every hot block is
		// used about twice between two scans.
		uint64_t hot = p.hot_blocks ? p.hot_blocks : std::max<uint64_t>(1, p.blocks / 10);
		uint64_t every = p.scan_every ? p.scan_every : 2 * hot;
		if (hot > p.blocks)
			throw std::runtime_error("--hot-blocks larger than --blocks");
		uint64_t done = 0;
		while (done < p.ops) {
			for (uint64_t i = 0; i < every && done < p.ops; i++, done++)
				b.access(rng.below(hot), is_write());
			for (uint64_t blk = 0; blk < p.blocks && done < p.ops; blk++, done++)
				b.access(blk, is_write());
		}
		std::snprintf(desc, sizeof(desc), "scan blocks=%llu hot=%llu scan-every=%llu",
			      (unsigned long long)p.blocks, (unsigned long long)hot,
			      (unsigned long long)every);
	} else if (p.kind == "moving-hotspot") {
		// hot_pct% of requests go to a window of hot blocks (uniform),
		// the rest anywhere; the window advances one block every
		// move_every requests (default: it crosses the device once).
		uint64_t hot = p.hot_blocks ? p.hot_blocks : std::max<uint64_t>(1, p.blocks / 10);
		uint64_t every = p.move_every ? p.move_every
					      : std::max<uint64_t>(1, p.ops / p.blocks);
		if (hot > p.blocks)
			throw std::runtime_error("--hot-blocks larger than --blocks");
		for (uint64_t i = 0; i < p.ops; i++) {
			uint64_t base = (i / every) % p.blocks;
			uint64_t blk;
			if (rng.below(100) < p.hot_pct)
				blk = (base + rng.below(hot)) % p.blocks;
			else
				blk = rng.below(p.blocks);
			b.access(blk, is_write());
		}
		std::snprintf(desc, sizeof(desc),
			      "moving-hotspot blocks=%llu hot=%llu hot-pct=%u move-every=%llu",
			      (unsigned long long)p.blocks, (unsigned long long)hot, p.hot_pct,
			      (unsigned long long)every);
	} else {
		throw std::runtime_error("unknown --synthetic '" + p.kind +
					 "' (uniform, zipf, scan, moving-hotspot)");
	}
	w.description = desc;
	char tail[96];
	std::snprintf(tail, sizeof(tail), " ops=%llu write-pct=%u seed=%llu",
		      (unsigned long long)p.ops, p.write_pct, (unsigned long long)p.seed);
	w.description += tail;
	return w;
}

}  // namespace cachesim
