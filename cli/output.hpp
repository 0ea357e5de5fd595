// SPDX-License-Identifier: MIT
//
// The print layer: every command hands plain data (lib structs) to a Printer
// chosen once from the global --json flag.  Text and JSON rendering live
// here and nowhere else.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <storctl/ramdisk.hpp>

namespace storctl::cli {

enum class OutputFormat { text, json };

/// JSON documents; objects print with their keys sorted (nlohmann's default),
/// which scripts and tests may rely on.
using Json = nlohmann::json;

/// JSON renderings are daemon/json_output.hpp's (storctl_json), shared with
/// storctld: ramdisk_json(), ramdisk_list_json().

/// Text renderings (each line ends with '\n').
/// Rows as aligned columns: every column but the last is padded to its
/// widest cell plus two blanks; a line has no trailing blanks (empty
/// trailing cells leave none).  Rows may have different lengths.
std::string format_columns(const std::vector<std::vector<std::string>> &rows);
/// Aligned table with header NAME PATH SIZE USED LBS RO OPTIONS.
std::string format_ramdisk_table(const std::vector<RamdiskInfo> &disks);
/// "key: value" lines.
std::string format_ramdisk_info(const RamdiskInfo &info);
/// OPTIONS column: comma-separated prealloc, overcommit, numa=N; "-" if none.
std::string format_ramdisk_options(const RamdiskInfo &info);

class Printer {
public:
	virtual ~Printer() = default;

	virtual void ramdisk_created(const RamdiskInfo &info) = 0;
	virtual void ramdisk_list(const std::vector<RamdiskInfo> &disks) = 0;
	virtual void ramdisk_info(const RamdiskInfo &info) = 0;
	virtual void ramdisk_resized(const RamdiskInfo &info) = 0;
	virtual void ramdisk_removed(std::string_view name) = 0;
};

/// A printer writing to @out in @format.  JSON is compact, one document
/// per command, followed by a newline.
std::unique_ptr<Printer> make_printer(OutputFormat format, std::ostream &out);

} // namespace storctl::cli
