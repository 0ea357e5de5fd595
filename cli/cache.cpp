// SPDX-License-Identifier: MIT
//
// `storctl cache ...`: create, list, stats, remove.
//
// The rendering functions at the top (JSON and text of caches, statistics
// and removals) have external linkage so the unit tests can check the
// output shapes (tests/unit/cache_output_test.cpp declares them); the
// registration below is file-local like every verb group's.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <storctl/cache.hpp>
#include <storctl/size.hpp>

#include "command.hpp"
#include "json_output.hpp"
#include "output.hpp"

namespace storctl::cli {

// --- rendering ----------------------------------------------------------------

namespace {

std::string ratio_text(double r)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%.3f", r);
	return buf;
}

} // namespace

std::string format_cache_created(const CacheInfo &c)
{
	return "created " + c.name + " (" + std::string(to_string(c.mode)) + ", cache " + c.cache +
	       ", origin " + c.origin + ", " + format_size(c.size_bytes) + ", " +
	       format_size(c.block_size) + " blocks)\n";
}

/// Aligned table with header NAME MODE CACHE ORIGIN BLOCK SIZE POLICY.
std::string format_cache_table(const std::vector<CacheInfo> &caches)
{
	std::vector<std::vector<std::string>> rows = {
		{"NAME", "MODE", "CACHE", "ORIGIN", "BLOCK", "SIZE", "POLICY"}};
	for (const CacheInfo &c : caches)
		rows.push_back({c.name, std::string(to_string(c.mode)), c.cache, c.origin,
				format_size(c.block_size), format_size(c.size_bytes),
				c.policy.value_or("-")});
	return format_columns(rows);
}

/// "key: value" lines, the keys of daemon::cache_stats_json in a fixed order.
std::string format_cache_stats(const CacheStats &s)
{
	std::ostringstream o;
	o << "name: " << s.info.name << '\n'
	  << "target: " << s.info.target << '\n'
	  << "mode: " << to_string(s.info.mode) << '\n'
	  << "cache: " << s.info.cache << '\n'
	  << "origin: " << s.info.origin << '\n';
	if (s.stor_cache) {
		for (std::size_t i = 0; i < kStorCacheCounters.size(); i++)
			o << kStorCacheCounters[i] << ": " << s.stor_cache->counters[i] << '\n';
		o << "read_hit_ratio: " << ratio_text(s.stor_cache->read_hit_ratio()) << '\n';
	}
	if (s.writecache) {
		const WritecacheStatus &w = *s.writecache;
		o << "error: " << w.error << '\n'
		  << "total_blocks: " << w.total_blocks << '\n'
		  << "free_blocks: " << w.free_blocks << '\n'
		  << "writeback_blocks: " << w.writeback_blocks << '\n'
		  << "used_blocks: " << w.used_blocks() << '\n'
		  << "dirty_blocks: " << w.dirty_blocks() << '\n';
		if (w.counters) {
			for (std::size_t i = 0; i < kWritecacheCounters.size(); i++)
				o << kWritecacheCounters[i] << ": " << (*w.counters)[i] << '\n';
			o << "read_hit_ratio: " << ratio_text(*w.read_hit_ratio()) << '\n';
		}
	}
	return o.str();
}

/// "removed NAME", wb: "removed NAME (wrote back N blocks)", plus a note
/// when the removal is deferred.
std::string format_cache_removed(const CacheRemoval &r)
{
	std::string s = "removed " + r.name;
	std::vector<std::string> notes;
	if (r.mode == CacheMode::wb)
		notes.push_back("wrote back " + std::to_string(r.written_back_blocks) + " block" +
				(r.written_back_blocks == 1 ? "" : "s"));
	if (r.deferred)
		notes.push_back("deferred: still open, now maps the origin directly and goes away "
				"when closed");
	if (!notes.empty()) {
		s += " (";
		for (std::size_t i = 0; i < notes.size(); i++)
			s += (i ? "; " : "") + notes[i];
		s += ")";
	}
	return s + "\n";
}

// --- commands -----------------------------------------------------------------

namespace {

constexpr const char *kWbWarning =
	"WRITE-BACK (wb) WARNING: written data lives only on the cache device until it is\n"
	"written back to the origin. With a RAM disk (srd) as the cache, that data is LOST\n"
	"on power loss, crash or reboot, and the origin alone is then inconsistent.\n"
	"Use wb on RAM only for data you can afford to lose; wt and wa never hold data\n"
	"that the origin does not have.";

const std::string kNameHelp =
	"Cache name (the device-mapper name; /dev/mapper/NAME is accepted)";

void emit(Context &cx, const Json &j, const std::string &text)
{
	if (cx.json)
		*cx.out << j.dump() << '\n';
	else
		*cx.out << text;
}

struct CreateArgs {
	std::string cache;
	std::string origin;
	std::string mode;
	std::optional<std::string> name;
	std::optional<std::string> block_size;
	std::optional<std::string> policy;
	std::vector<std::string> tunables;
	// wb: option name -> value, in the order of kWbFlags
	std::array<std::optional<std::string>, 5> wb;
};

constexpr std::array<const char *, 5> kWbFlags = {
	"--high-watermark", "--low-watermark", "--writeback-jobs", "--autocommit-blocks",
	"--autocommit-time",
};

Result<CacheCreateOptions> create_options(const CreateArgs &a)
{
	CacheCreateOptions o;
	auto mode = parse_cache_mode(a.mode);
	if (!mode)
		return std::move(mode).error();
	o.mode = *mode;
	o.cache = a.cache;
	o.origin = a.origin;
	o.name = a.name;
	if (a.block_size) {
		auto bs = parse_cache_block_size(*a.block_size, o.mode);
		if (!bs)
			return std::move(bs).error();
		o.block_size = *bs;
	}
	o.policy = a.policy;
	for (const std::string &t : a.tunables) {
		auto pt = parse_policy_tunable(t);
		if (!pt)
			return std::move(pt).error();
		o.tunables.push_back(*pt);
	}
	for (std::size_t i = 0; i < kWbFlags.size(); i++)
		if (a.wb[i])
			if (auto r = set_wb_tunable(o.wb, kWbFlags[i], *a.wb[i]); !r)
				return std::move(r).error();
	return o;
}

void add_create(CLI::App &grp, Context &ctx)
{
	auto a = std::make_shared<CreateArgs>();
	auto *c = grp.add_subcommand(
		"create",
		"Create a cache /dev/mapper/NAME: CACHE in front of ORIGIN (wt, wa: stor-cache; "
		"wb: dm-writecache, see the WARNING below)");
	c->add_option("--cache", a->cache, "Cache device (fast, e.g. /dev/srd0)")
		->required()
		->type_name("DEV");
	c->add_option("--origin", a->origin, "Origin device (slow, holds the data)")
		->required()
		->type_name("DEV");
	c->add_option("--mode", a->mode,
		      "wt (write-through), wa (write-around) or wb (write-back)")
		->required()
		->type_name("MODE");
	c->add_option("--name", a->name, "Cache name (default: sc_<origin basename>)")
		->type_name("NAME");
	c->add_option("--block-size", a->block_size,
		      "Cache block size (SIZE): wt/wa a power of two from 4K to 1M, default 64K; "
		      "wb 512 to 4K, default 4K")
		->type_name("SIZE");
	c->add_option("--policy", a->policy,
		      "wt/wa replacement policy: s3fifo (default), 2q, clock, lru, fifo")
		->type_name("NAME");
	c->add_option("--tunable", a->tunables,
		      "wt/wa policy tunable, repeatable (docs/cache-policy.md), e.g. small_pct=10")
		->type_name("KEY=VALUE")
		->allow_extra_args(false);
	c->add_option(kWbFlags[0], a->wb[0], "wb: start write-back at this % of used blocks (0-100)")
		->type_name("PCT");
	c->add_option(kWbFlags[1], a->wb[1], "wb: stop write-back below this % (0-100, <= high)")
		->type_name("PCT");
	c->add_option(kWbFlags[2], a->wb[2], "wb: at most N blocks in flight during write-back")
		->type_name("N");
	c->add_option(kWbFlags[3], a->wb[3], "wb: commit after N blocks written without a flush")
		->type_name("N");
	c->add_option(kWbFlags[4], a->wb[4], "wb: commit after MS milliseconds without a flush "
		      "(0-3600000)")
		->type_name("MS");
	c->footer(std::string("The cache device's contents are discarded. Only the wb options "
			      "given go into the table (dm-writecache defaults otherwise).\n") +
		  kWbWarning);
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto opts = create_options(*a);
			if (!opts)
				return std::move(opts).error();
			auto caches = cx.caches();
			if (!caches)
				return std::move(caches).error();
			auto info = (*caches)->create(*opts);
			if (!info)
				return std::move(info).error();
			emit(cx, daemon::cache_json(*info), format_cache_created(*info));
			return ok();
		};
	});
}

void add_list(CLI::App &grp, Context &ctx)
{
	auto *c = grp.add_subcommand("list",
				     "List caches (table, or a JSON array sorted by name with --json)");
	c->callback([&ctx] {
		ctx.action = [](Context &cx) -> Result<void> {
			auto svc = cx.caches();
			if (!svc)
				return std::move(svc).error();
			auto caches = (*svc)->list();
			if (!caches)
				return std::move(caches).error();
			emit(cx, daemon::cache_list_json(*caches), format_cache_table(*caches));
			return ok();
		};
	});
}

void add_stats(CLI::App &grp, Context &ctx)
{
	auto name = std::make_shared<std::string>();
	auto *c = grp.add_subcommand("stats", "Show a cache's counters and read hit ratio");
	c->add_option("NAME", *name, kNameHelp)->required()->type_name("");
	c->callback([&ctx, name] {
		ctx.action = [name](Context &cx) -> Result<void> {
			auto caches = cx.caches();
			if (!caches)
				return std::move(caches).error();
			auto st = (*caches)->stats(*name);
			if (!st)
				return std::move(st).error();
			emit(cx, daemon::cache_stats_json(*st), format_cache_stats(*st));
			return ok();
		};
	});
}

struct RemoveArgs {
	std::string name;
	bool force = false;
	std::int64_t timeout_s = kDefaultFlushTimeout.count() / 1000;
};

void add_remove(CLI::App &grp, Context &ctx)
{
	auto a = std::make_shared<RemoveArgs>();
	auto *c = grp.add_subcommand(
		"remove",
		"Remove a cache (refused while it is open or mounted unless --force); "
		"wb: writes every dirty block back first and removes nothing if that fails");
	c->add_option("NAME", a->name, kNameHelp)->required()->type_name("");
	c->add_flag("--force", a->force,
		    "Even while open or mounted: remap the device to the origin (after the "
		    "write-back for wb), then remove it when its last user closes it");
	c->add_option("--timeout", a->timeout_s,
		      "wb: seconds to wait for the write-back to finish (default 60)")
		->type_name("SEC");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			if (a->timeout_s < 1 || a->timeout_s > 86400)
				return make_error(Errc::invalid_argument,
						  "invalid --timeout " + std::to_string(a->timeout_s) +
						  ": must be 1 to 86400 seconds");
			CacheRemoveOptions opts;
			opts.force = a->force;
			opts.flush_timeout = std::chrono::milliseconds(a->timeout_s * 1000);
			auto caches = cx.caches();
			if (!caches)
				return std::move(caches).error();
			auto r = (*caches)->remove(a->name, opts);
			if (!r)
				return std::move(r).error();
			emit(cx, daemon::cache_removal_json(*r), format_cache_removed(*r));
			return ok();
		};
	});
}

void register_cache(CLI::App &app, Context &ctx)
{
	auto *grp = app.add_subcommand(
		"cache",
		"Manage block caches /dev/mapper/NAME (wt/wa: dm-stor-cache; wb: dm-writecache)");
	grp->footer(kWbWarning);
	add_create(*grp, ctx);
	add_list(*grp, ctx);
	add_stats(*grp, ctx);
	add_remove(*grp, ctx);
}

const CommandRegistrar registrar{"cache", &register_cache, true};

} // namespace

} // namespace storctl::cli
