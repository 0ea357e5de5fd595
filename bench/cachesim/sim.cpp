// SPDX-License-Identifier: GPL-2.0
#include "sim.hpp"

#include "scp.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace cachesim {

PolicySpec parse_policy(const std::string &spec)
{
	PolicySpec p;
	p.label = spec;
	size_t colon = spec.find(':');
	std::string name = spec.substr(0, colon);
	p.ops = scp_find(name.c_str());
	if (!p.ops || name.empty())
		throw std::runtime_error("unknown policy '" + name + "' (see --list-policies)");
	while (colon != std::string::npos) {
		size_t next = spec.find(':', colon + 1);
		std::string kv = spec.substr(colon + 1, next == std::string::npos
							     ? std::string::npos
							     : next - colon - 1);
		size_t eq = kv.find('=');
		if (eq == std::string::npos || eq == 0)
			throw std::runtime_error("bad tunable '" + kv + "' in '" + spec +
						 "' (want NAME=VALUE)");
		p.tunables.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
		colon = next;
	}
	return p;
}

double Result::hit_ratio(Mode m) const
{
	if (m == Mode::WriteAround)
		return read_hit_ratio();
	uint64_t all = reads + writes;
	return all ? (double)(read_hits + write_hits) / (double)all : 0.0;
}

double Result::read_hit_ratio() const
{
	return reads ? (double)read_hits / (double)reads : 0.0;
}

namespace {

// The mechanism side: oblock -> cblock and cblock -> oblock.
struct Mechanism {
	std::vector<uint32_t> map;	// workload id -> cblock or SCP_NIL
	std::vector<uint32_t> rev;	// cblock -> workload id or SCP_NIL
	const std::vector<uint64_t> *oblock;
};

// Called from the C policy code: report and abort rather than throw.
u64 oblock_of(void *ctx, u32 cblock)
{
	auto *m = static_cast<Mechanism *>(ctx);
	if (cblock >= m->rev.size() || m->rev[cblock] == SCP_NIL) {
		std::fprintf(stderr, "cachesim: policy asked for the oblock of unmapped cblock %u\n",
			     cblock);
		std::abort();
	}
	return (*m->oblock)[m->rev[cblock]];
}

struct FreeDeleter {
	void operator()(void *p) const { std::free(p); }
};

}  // namespace

Result simulate(const PolicySpec &spec, uint32_t nr, Mode mode, const Workload &w)
{
	size_t bytes = scp_mem_size(spec.ops, nr);
	if (!bytes)
		throw std::runtime_error("cache of " + std::to_string(nr) + " blocks not supported");
	std::unique_ptr<void, FreeDeleter> mem(std::aligned_alloc(8, (bytes + 7) & ~(size_t)7));
	if (!mem)
		throw std::runtime_error("out of memory");

	Mechanism m;
	m.map.assign(w.oblock.size(), SCP_NIL);
	m.rev.assign(nr, SCP_NIL);
	m.oblock = &w.oblock;
	scp_policy *p = scp_create(spec.ops, nr, mem.get(), bytes, oblock_of, &m);
	if (!p)
		throw std::runtime_error("scp_create failed");
	for (const auto &[name, value] : spec.tunables) {
		if (scp_set_tunable(p, name.c_str(), value.c_str()))
			throw std::runtime_error("policy " + spec.label + ": bad tunable " + name +
						 "=" + value);
	}

	Result r;
	r.policy = spec.label;
	r.cache_blocks = nr;
	auto fail = [&](const char *what, uint32_t c) {
		return std::runtime_error("policy " + spec.label + " " + what + " (cblock " +
					  std::to_string(c) + ")");
	};

	for (const Access &a : w.accesses) {
		uint32_t c = m.map[a.id];
		if (a.write)
			r.writes++;
		else
			r.reads++;
		if (c != SCP_NIL) {
			if (a.write && mode == Mode::WriteAround) {
				// write-around: the origin gets the write, the
				// cached copy is dropped.
				scp_invalidate(p, c);
				m.map[a.id] = SCP_NIL;
				m.rev[c] = SCP_NIL;
				r.invalidations++;
				continue;
			}
			(a.write ? r.write_hits : r.read_hits)++;
			scp_hit(p, c, a.write ? SCP_IO_WRITE : 0);
			continue;
		}
		if (a.write && mode == Mode::WriteAround)
			continue;	// never promotes, the policy is not told
		scp_result res;
		scp_miss(p, w.oblock[a.id], a.write ? SCP_IO_WRITE : 0, &res);
		if (res.op != SCP_OP_PROMOTE)
			continue;
		c = res.cblock;
		if (c >= nr)
			throw fail("promoted into an out-of-range block", c);
		if (scp_block_state(p, c) != SCP_STATE_PENDING)
			throw fail("returned a block that is not pending", c);
		if (res.evict != (m.rev[c] != SCP_NIL))
			throw fail(res.evict ? "evicted an empty block" : "overwrote a cached block",
				   c);
		if (res.evict)
			m.map[m.rev[c]] = SCP_NIL;
		m.rev[c] = a.id;
		m.map[a.id] = c;
		// The copy completes before the next request (no concurrency).
		scp_promoted(p, c);
	}

	scp_stats st;
	scp_get_stats(p, &st);
	r.promotions = st.promotions;
	r.evictions = st.evictions;
	r.ghost_hits = st.ghost_hits;
	r.forced_evictions = st.forced_evictions;
	r.busy = st.busy;
	r.bytes_per_block = st.mem_bytes;
	if (st.bad_calls)
		throw std::runtime_error("policy " + spec.label + " counted bad calls");
	return r;
}

}  // namespace cachesim
