// SPDX-License-Identifier: MIT
#include "output.hpp"

#include <algorithm>
#include <sstream>

#include <storctl/size.hpp>

#include "json_output.hpp"

namespace storctl::cli {

std::string format_ramdisk_options(const RamdiskInfo &info)
{
	std::string s;
	auto add = [&s](const std::string &opt) {
		if (!s.empty())
			s += ',';
		s += opt;
	};
	if (info.prealloc)
		add("prealloc");
	if (info.overcommit)
		add("overcommit");
	if (info.numa_node)
		add("numa=" + std::to_string(*info.numa_node));
	return s.empty() ? "-" : s;
}

std::string format_columns(const std::vector<std::vector<std::string>> &rows)
{
	std::vector<std::size_t> width;
	for (const auto &r : rows)
		for (std::size_t i = 0; i < r.size(); i++) {
			if (width.size() <= i)
				width.push_back(0);
			width[i] = std::max(width[i], r[i].size());
		}
	std::string out;
	for (const auto &r : rows) {
		std::string line;
		for (std::size_t i = 0; i < r.size(); i++) {
			line += r[i];
			if (i + 1 < r.size())
				line.append(width[i] - r[i].size() + 2, ' ');
		}
		while (!line.empty() && line.back() == ' ')
			line.pop_back();
		out += line;
		out += '\n';
	}
	return out;
}

std::string format_ramdisk_table(const std::vector<RamdiskInfo> &disks)
{
	std::vector<std::vector<std::string>> rows = {
		{"NAME", "PATH", "SIZE", "USED", "LBS", "RO", "OPTIONS"}};
	for (const RamdiskInfo &d : disks)
		rows.push_back({d.name, d.path, format_size(d.size_bytes), format_size(d.used_bytes),
				std::to_string(d.logical_block_size), d.read_only ? "yes" : "no",
				format_ramdisk_options(d)});
	return format_columns(rows);
}

std::string format_ramdisk_info(const RamdiskInfo &info)
{
	auto yes_no = [](bool b) { return b ? "yes" : "no"; };
	auto bytes = [](std::uint64_t n) {
		return format_size(n) + " (" + std::to_string(n) + " bytes)";
	};
	std::ostringstream o;
	o << "name: " << info.name << '\n'
	  << "path: " << info.path << '\n'
	  << "index: " << info.index << '\n'
	  << "size: " << bytes(info.size_bytes) << '\n'
	  << "used: " << bytes(info.used_bytes) << '\n'
	  << "logical_block_size: " << info.logical_block_size << '\n'
	  << "numa_node: " << (info.numa_node ? std::to_string(*info.numa_node) : "none") << '\n'
	  << "read_only: " << yes_no(info.read_only) << '\n'
	  << "prealloc: " << yes_no(info.prealloc) << '\n'
	  << "overcommit: " << yes_no(info.overcommit) << '\n'
	  << "open_count: " << info.open_count << '\n'
	  << "alloc_failures: " << info.alloc_failures << '\n';
	return o.str();
}

namespace {

class TextPrinter final : public Printer {
public:
	explicit TextPrinter(std::ostream &out) : out_(out) {}

	void ramdisk_created(const RamdiskInfo &info) override
	{
		out_ << "created " << info.name << " (" << info.path << ", "
		     << format_size(info.size_bytes) << ")\n";
	}
	void ramdisk_list(const std::vector<RamdiskInfo> &disks) override
	{
		out_ << format_ramdisk_table(disks);
	}
	void ramdisk_info(const RamdiskInfo &info) override
	{
		out_ << format_ramdisk_info(info);
	}
	void ramdisk_resized(const RamdiskInfo &info) override
	{
		out_ << "resized " << info.name << " to " << format_size(info.size_bytes) << '\n';
	}
	void ramdisk_removed(std::string_view name) override
	{
		out_ << "removed " << name << '\n';
	}

private:
	std::ostream &out_;
};

class JsonPrinter final : public Printer {
public:
	explicit JsonPrinter(std::ostream &out) : out_(out) {}

	void ramdisk_created(const RamdiskInfo &info) override { emit(daemon::ramdisk_json(info)); }
	void ramdisk_list(const std::vector<RamdiskInfo> &disks) override { emit(daemon::ramdisk_list_json(disks)); }
	void ramdisk_info(const RamdiskInfo &info) override { emit(daemon::ramdisk_json(info)); }
	void ramdisk_resized(const RamdiskInfo &info) override { emit(daemon::ramdisk_json(info)); }
	void ramdisk_removed(std::string_view name) override
	{
		emit(Json{{"removed", std::string(name)}});
	}

private:
	void emit(const Json &j) { out_ << j.dump() << '\n'; }

	std::ostream &out_;
};

} // namespace

std::unique_ptr<Printer> make_printer(OutputFormat format, std::ostream &out)
{
	if (format == OutputFormat::json)
		return std::make_unique<JsonPrinter>(out);
	return std::make_unique<TextPrinter>(out);
}

} // namespace storctl::cli
