// SPDX-License-Identifier: GPL-2.0
//
// cachesim: replay a block trace or a synthetic workload against the
// dm-stor-cache replacement policies (the same C sources as the kernel,
// kernel/cache/policy/) and print hit ratios.  See docs/cache-policy.md.
#include "sim.hpp"
#include "workload.hpp"

#include "scp.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

using namespace cachesim;

namespace {

std::vector<std::string> split(const std::string &s, char sep)
{
	std::vector<std::string> out;
	std::stringstream ss(s);
	for (std::string x; std::getline(ss, x, sep);)
		if (!x.empty())
			out.push_back(x);
	return out;
}

// "N" blocks or "P%" of the working set (P may have decimals).
uint32_t parse_cache_size(const std::string &s, uint64_t working_set)
{
	auto bad = [&] {
		return std::runtime_error("bad --cache-blocks value '" + s +
					  "' (want N or P% of the working set)");
	};
	if (s.empty())
		throw bad();
	if (s.back() == '%') {
		std::string num = s.substr(0, s.size() - 1);
		if (num.empty() || num.find_first_not_of("0123456789.") != std::string::npos ||
		    std::count(num.begin(), num.end(), '.') > 1)
			throw bad();
		double pct = std::stod(num);
		if (!(pct > 0.0) || pct > 100.0)
			throw bad();
		double n = std::round((double)working_set * pct / 100.0);
		return (uint32_t)std::max(1.0, n);
	}
	if (s.find_first_not_of("0123456789") != std::string::npos || s.size() > 10)
		throw bad();
	unsigned long long n = std::stoull(s);
	if (n == 0 || n > SCP_MAX_CBLOCKS)
		throw bad();
	return (uint32_t)n;
}

std::vector<PolicySpec> parse_policies(const std::string &arg,
				       const std::vector<std::string> &sets)
{
	std::vector<std::string> names = split(arg, ',');
	if (names.size() == 1 && names[0] == "all") {
		names.clear();
		for (int i = 0; scp_policies[i]; i++)
			names.push_back(scp_policies[i]->name);
	}
	if (names.empty())
		throw std::runtime_error("--policy needs at least one name");
	std::vector<PolicySpec> specs;
	for (const auto &n : names)
		specs.push_back(parse_policy(n));
	// --set NAME=VALUE: every selected policy that has NAME.
	for (const auto &kv : sets) {
		size_t eq = kv.find('=');
		if (eq == std::string::npos || eq == 0)
			throw std::runtime_error("bad --set '" + kv + "' (want NAME=VALUE)");
		std::string name = kv.substr(0, eq);
		bool used = false;
		for (auto &spec : specs) {
			bool has = name == "write_promote";
			for (u32 i = 0; i < spec.ops->nr_tunables; i++)
				has = has || name == spec.ops->tunables[i].name;
			if (has) {
				spec.tunables.emplace_back(name, kv.substr(eq + 1));
				used = true;
			}
		}
		if (!used)
			throw std::runtime_error("no selected policy has a tunable '" + name + "'");
	}
	return specs;
}

void list_policies()
{
	std::printf("policies (the first is the default):\n");
	for (int i = 0; scp_policies[i]; i++) {
		const scp_ops *o = scp_policies[i];
		size_t bytes = scp_mem_size(o, 1u << 20);
		std::printf("  %-8s %s\n           %.2f bytes of metadata per cache block%s\n",
			    o->name, o->description, (double)bytes / (1u << 20),
			    (o->flags & SCP_OPS_HIT_LOCKED) ? "; hits need the lock" : "");
		for (u32 t = 0; t < o->nr_tunables; t++)
			std::printf("           %s=%u..%u: %s\n", o->tunables[t].name,
				    o->tunables[t].min, o->tunables[t].max, o->tunables[t].help);
	}
	std::printf("every policy: write_promote=0..1: 1: a write miss may promote (wt)\n");
}

std::string pct(double r)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%.2f", 100.0 * r);
	return buf;
}

}  // namespace

int main(int argc, char **argv)
{
	CLI::App app{"cachesim: replay block I/O against the dm-stor-cache policies", "cachesim"};
	app.footer(
		"Cache sizes: N blocks or P% of the workload's working set (distinct blocks),\n"
		"e.g. --cache-blocks 1%,5%,10%,25%.  Policies: NAME[:TUNABLE=VALUE...], e.g.\n"
		"s3fifo:small_pct=20; 'all' for every policy.  Trace CSV: op,offset_bytes,size_bytes\n"
		"(op R or W; a header line is allowed); a request touches every block it spans.\n"
		"Modes: wt (write-through: a write to a cached block is a write hit, a write miss\n"
		"does not promote unless write_promote=1; hit% counts reads and writes) and wa\n"
		"(write-around: a write drops the cached block and never promotes; hit% counts\n"
		"reads only).  See docs/cache-policy.md.");

	std::string policy_arg = "all", sizes_arg = "1%,5%,10%,25%", trace, synthetic, mode_arg = "wt";
	std::vector<std::string> sets;
	uint64_t block_size = 4096;
	SyntheticParams sp;
	bool json = false, markdown = false, list = false;

	app.add_option("--policy", policy_arg, "Policies to compare, comma separated")
		->capture_default_str();
	app.add_option("--cache-blocks", sizes_arg, "Cache sizes, comma separated")
		->capture_default_str();
	app.add_option("--block-size", block_size, "Cache block size in bytes (traces)")
		->capture_default_str()->check(CLI::Range(uint64_t{512}, uint64_t{1} << 30));
	auto *o_trace = app.add_option("--trace", trace, "Replay this CSV trace");
	auto *o_syn = app.add_option("--synthetic", synthetic,
				     "Generate: uniform, zipf, scan or moving-hotspot");
	o_trace->excludes(o_syn);
	app.add_option("--blocks", sp.blocks, "Synthetic: device size in blocks")
		->capture_default_str();
	app.add_option("--ops", sp.ops, "Synthetic: requests (one block each)")
		->capture_default_str();
	app.add_option("--alpha", sp.alpha, "zipf: exponent")->capture_default_str();
	app.add_option("--hot-blocks", sp.hot_blocks,
		       "scan/moving-hotspot: hot set size (default blocks/10)");
	app.add_option("--scan-every", sp.scan_every,
		       "scan: hot requests between two full scans (default 2 x hot-blocks)");
	app.add_option("--move-every", sp.move_every,
		       "moving-hotspot: requests per 1-block move of the window (default ops/blocks)");
	app.add_option("--hot-pct", sp.hot_pct, "moving-hotspot: % of requests in the window")
		->capture_default_str();
	app.add_option("--write-pct", sp.write_pct, "Synthetic: % of requests that are writes")
		->capture_default_str();
	app.add_option("--seed", sp.seed, "Synthetic: PRNG seed")->capture_default_str();
	app.add_option("--mode", mode_arg, "wt (write-through) or wa (write-around)")
		->capture_default_str()->check(CLI::IsMember({"wt", "wa"}));
	app.add_option("--set", sets, "NAME=VALUE tunable for every policy that has it");
	app.add_flag("--json", json, "JSON output");
	app.add_flag("--markdown", markdown, "Markdown table: hit% per policy and cache size");
	app.add_flag("--list-policies", list, "List policies and tunables, then exit");

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e) == 0 ? 0 : 2;	// usage errors: 2, like bad input
	}
	if (list) {
		list_policies();
		return 0;
	}

	try {
		if (trace.empty() == synthetic.empty())
			throw std::runtime_error("need exactly one of --trace FILE or --synthetic KIND");
		if (json && markdown)
			throw std::runtime_error("--json and --markdown exclude each other");
		Mode mode = mode_arg == "wa" ? Mode::WriteAround : Mode::WriteThrough;
		auto specs = parse_policies(policy_arg, sets);
		Workload w;
		if (!trace.empty()) {
			w = load_trace(trace, block_size);
		} else {
			sp.kind = synthetic;
			w = generate(sp);
		}
		std::vector<uint32_t> sizes;
		std::vector<std::string> size_labels = split(sizes_arg, ',');
		if (size_labels.empty())
			throw std::runtime_error("--cache-blocks needs at least one size");
		for (const auto &s : size_labels)
			sizes.push_back(parse_cache_size(s, w.working_set()));

		std::vector<Result> results;
		for (const auto &spec : specs)
			for (uint32_t n : sizes)
				results.push_back(simulate(spec, n, mode, w));

		double ws = (double)w.working_set();
		if (json) {
			nlohmann::json j;
			j["workload"] = w.description;
			j["mode"] = mode_arg;
			j["block_size"] = block_size;
			j["requests"] = w.requests;
			j["accesses"] = w.accesses.size();
			j["working_set_blocks"] = w.working_set();
			j["results"] = nlohmann::json::array();
			for (const auto &r : results) {
				j["results"].push_back({
					{"policy", r.policy},
					{"cache_blocks", r.cache_blocks},
					{"cache_pct", 100.0 * r.cache_blocks / ws},
					{"reads", r.reads},
					{"writes", r.writes},
					{"read_hits", r.read_hits},
					{"write_hits", r.write_hits},
					{"hit_ratio", r.hit_ratio(mode)},
					{"read_hit_ratio", r.read_hit_ratio()},
					{"promotions", r.promotions},
					{"evictions", r.evictions},
					{"invalidations", r.invalidations},
					{"ghost_hits", r.ghost_hits},
					{"forced_evictions", r.forced_evictions},
					{"busy", r.busy},
					{"bytes_per_block", r.bytes_per_block},
				});
			}
			std::cout << j.dump(2) << "\n";
		} else if (markdown) {
			std::printf("| policy |");
			for (size_t i = 0; i < sizes.size(); i++)
				std::printf(" %s (%u) |", size_labels[i].c_str(), sizes[i]);
			std::printf("\n|---|");
			for (size_t i = 0; i < sizes.size(); i++)
				std::printf("---:|");
			std::printf("\n");
			// Best per column in bold (ties too).
			std::vector<double> best(sizes.size(), -1.0);
			for (size_t k = 0; k < results.size(); k++) {
				double h = std::round(results[k].hit_ratio(mode) * 10000.0);
				best[k % sizes.size()] = std::max(best[k % sizes.size()], h);
			}
			for (size_t p = 0; p < specs.size(); p++) {
				std::printf("| %s |", specs[p].label.c_str());
				for (size_t i = 0; i < sizes.size(); i++) {
					const Result &r = results[p * sizes.size() + i];
					double h = std::round(r.hit_ratio(mode) * 10000.0);
					const char *b = h == best[i] ? "**" : "";
					std::printf(" %s%s%s |", b, pct(r.hit_ratio(mode)).c_str(), b);
				}
				std::printf("\n");
			}
		} else {
			std::printf("workload: %s\n", w.description.c_str());
			std::printf("mode %s, block size %llu, %llu requests, %zu block accesses "
				    "(%llu reads, %llu writes), working set %llu blocks\n",
				    mode_arg.c_str(), (unsigned long long)block_size,
				    (unsigned long long)w.requests, w.accesses.size(),
				    (unsigned long long)w.reads, (unsigned long long)w.writes,
				    (unsigned long long)w.working_set());
			std::printf("%-28s %10s %7s %7s %9s %11s %11s %10s %7s\n", "policy",
				    "blocks", "cache%", "hit%", "read-hit%", "promotions",
				    "evictions", "ghost-hits", "B/blk");
			for (const auto &r : results)
				std::printf("%-28s %10u %7.2f %7s %9s %11llu %11llu %10llu %7u\n",
					    r.policy.c_str(), r.cache_blocks,
					    100.0 * r.cache_blocks / ws, pct(r.hit_ratio(mode)).c_str(),
					    pct(r.read_hit_ratio()).c_str(),
					    (unsigned long long)r.promotions,
					    (unsigned long long)r.evictions,
					    (unsigned long long)r.ghost_hits, r.bytes_per_block);
		}
	} catch (const std::exception &e) {
		std::fprintf(stderr, "cachesim: error: %s\n", e.what());
		return 2;
	}
	return 0;
}
