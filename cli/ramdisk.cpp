// SPDX-License-Identifier: MIT
//
// `storctl ramdisk ...`: create, list, info, resize, remove.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include <storctl/ramdisk.hpp>
#include <storctl/size.hpp>

#include "command.hpp"

namespace storctl::cli {

namespace {

// Values bound to CLI11 options; owned by the callbacks that read them.
struct CreateArgs {
	std::string size;
	std::int64_t logical_block_size = 512;
	std::optional<int> numa;
	std::optional<int> index;
	bool prealloc = false;
	bool read_only = false;
	bool overcommit = false;
};

struct NameArgs {
	std::string name;
	std::string size;  // resize only
};

const std::string kNameHelp = "Disk name: srd<N> or /dev/srd<N>";
const std::string kSizeHelp = "Disk size, e.g. 64M or 1GiB (see SIZE below)";

Result<RamdiskCreateOptions> create_options(const CreateArgs &a)
{
	RamdiskCreateOptions o;
	auto size = parse_size(a.size);
	if (!size)
		return std::move(size).error();
	o.size_bytes = *size;
	if (a.logical_block_size < 0 ||
	    a.logical_block_size > std::numeric_limits<std::uint32_t>::max())
		return make_error(Errc::invalid_argument,
				  "invalid logical block size " +
				  std::to_string(a.logical_block_size) + ": must be 512 or 4096");
	o.logical_block_size = static_cast<std::uint32_t>(a.logical_block_size);
	o.numa_node = a.numa;
	o.index = a.index;
	o.prealloc = a.prealloc;
	o.read_only = a.read_only;
	o.overcommit = a.overcommit;
	return o;
}

void add_create(CLI::App &rd, Context &ctx)
{
	auto a = std::make_shared<CreateArgs>();
	auto *c = rd.add_subcommand("create", "Create a RAM disk of SIZE bytes (/dev/srd<N>)");
	c->add_option("SIZE", a->size, kSizeHelp)->required()->type_name("");
	c->add_option("--logical-block-size", a->logical_block_size,
		      "Logical block size in bytes: 512 (default) or 4096")
		->type_name("BYTES");
	c->add_option("--numa", a->numa, "Allocate the disk's memory on NUMA node N")
		->type_name("N");
	c->add_flag("--prealloc", a->prealloc,
		    "Allocate all memory now (fails unless it is available)");
	c->add_flag("--read-only", a->read_only, "Create the disk read-only");
	c->add_flag("--overcommit", a->overcommit,
		    "Allow SIZE larger than physical memory (writes may then fail)");
	c->add_option("--index", a->index,
		      "Create srd<N> with this N (default: lowest free index)")
		->type_name("N");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto opts = create_options(*a);
			if (!opts)
				return std::move(opts).error();
			auto rd = cx.ramdisks();
			if (!rd)
				return std::move(rd).error();
			auto info = (*rd)->create(*opts);
			if (!info)
				return std::move(info).error();
			cx.printer()->ramdisk_created(*info);
			return ok();
		};
	});
}

void add_list(CLI::App &rd, Context &ctx)
{
	auto *c = rd.add_subcommand("list", "List RAM disks (table, or a JSON array with --json)");
	c->callback([&ctx] {
		ctx.action = [](Context &cx) -> Result<void> {
			auto rd = cx.ramdisks();
			if (!rd)
				return std::move(rd).error();
			auto disks = (*rd)->list();
			if (!disks)
				return std::move(disks).error();
			cx.printer()->ramdisk_list(*disks);
			return ok();
		};
	});
}

void add_info(CLI::App &rd, Context &ctx)
{
	auto a = std::make_shared<NameArgs>();
	auto *c = rd.add_subcommand("info", "Show the details of one RAM disk");
	c->add_option("NAME", a->name, kNameHelp)->required()->type_name("");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto rd = cx.ramdisks();
			if (!rd)
				return std::move(rd).error();
			auto info = (*rd)->info(a->name);
			if (!info)
				return std::move(info).error();
			cx.printer()->ramdisk_info(*info);
			return ok();
		};
	});
}

void add_resize(CLI::App &rd, Context &ctx)
{
	auto a = std::make_shared<NameArgs>();
	auto *c = rd.add_subcommand("resize",
				    "Grow or shrink a RAM disk to SIZE (shrinking needs it unused; "
				    "refused while a device-mapper table such as a cache holds it)");
	c->add_option("NAME", a->name, kNameHelp)->required()->type_name("");
	c->add_option("SIZE", a->size, "New size, e.g. 128M (see SIZE below)")
		->required()
		->type_name("");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto index = validate_ramdisk_name(a->name);
			if (!index)
				return std::move(index).error();
			auto size = parse_size(a->size);
			if (!size)
				return std::move(size).error();
			auto rd = cx.ramdisks();
			if (!rd)
				return std::move(rd).error();
			auto info = (*rd)->resize(*index, *size);
			if (!info)
				return std::move(info).error();
			cx.printer()->ramdisk_resized(*info);
			return ok();
		};
	});
}

void add_remove(CLI::App &rd, Context &ctx)
{
	auto a = std::make_shared<NameArgs>();
	auto *c = rd.add_subcommand("remove",
				    "Remove a RAM disk and free its memory (must be unused: not open, "
				    "mounted, or the cache or origin of a cache)");
	c->add_option("NAME", a->name, kNameHelp)->required()->type_name("");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto index = validate_ramdisk_name(a->name);
			if (!index)
				return std::move(index).error();
			auto rd = cx.ramdisks();
			if (!rd)
				return std::move(rd).error();
			if (auto r = (*rd)->remove(*index); !r)
				return r;
			cx.printer()->ramdisk_removed(ramdisk_name(*index));
			return ok();
		};
	});
}

void register_ramdisk(CLI::App &app, Context &ctx)
{
	auto *rd = app.add_subcommand("ramdisk",
				      "Manage RAM disks /dev/srd<N> (kernel module stor_ramdisk)");
	add_create(*rd, ctx);
	add_list(*rd, ctx);
	add_info(*rd, ctx);
	add_resize(*rd, ctx);
	add_remove(*rd, ctx);
}

const CommandRegistrar registrar{"ramdisk", &register_ramdisk, true};

} // namespace

} // namespace storctl::cli
