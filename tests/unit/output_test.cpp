// SPDX-License-Identifier: MIT
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "json_output.hpp"
#include "output.hpp"

using namespace storctl;
using namespace storctl::cli;
using storctl::daemon::ramdisk_json;
using storctl::daemon::ramdisk_list_json;

namespace {

RamdiskInfo sample(int index = 0)
{
	RamdiskInfo i;
	i.index = index;
	i.name = ramdisk_name(index);
	i.path = ramdisk_path(index);
	i.size_bytes = 64ULL << 20;
	i.used_bytes = 8192;
	i.logical_block_size = 512;
	i.alloc_failures = 3;
	i.open_count = 1;
	return i;
}

const std::set<std::string> kKeys = {
	"name",       "path",           "index",      "size_bytes", "used_bytes",
	"logical_block_size", "alloc_failures", "open_count", "numa_node",  "read_only",
	"prealloc",   "overcommit"};

TEST(JsonRendering, ExactKeysAndTypes)
{
	Json j = ramdisk_json(sample(3));
	ASSERT_TRUE(j.is_object());
	std::set<std::string> keys;
	for (auto it = j.begin(); it != j.end(); ++it)
		keys.insert(it.key());
	EXPECT_EQ(keys, kKeys);

	EXPECT_TRUE(j["name"].is_string());
	EXPECT_EQ(j["name"], "srd3");
	EXPECT_TRUE(j["path"].is_string());
	EXPECT_EQ(j["path"], "/dev/srd3");
	for (const char *k : {"index", "size_bytes", "used_bytes", "logical_block_size",
			      "alloc_failures", "open_count"})
		EXPECT_TRUE(j[k].is_number_integer()) << k;
	EXPECT_EQ(j["index"], 3);
	EXPECT_EQ(j["size_bytes"], 64ULL << 20);
	EXPECT_EQ(j["used_bytes"], 8192);
	EXPECT_EQ(j["logical_block_size"], 512);
	EXPECT_EQ(j["alloc_failures"], 3);
	EXPECT_EQ(j["open_count"], 1);
	for (const char *k : {"read_only", "prealloc", "overcommit"}) {
		EXPECT_TRUE(j[k].is_boolean()) << k;
		EXPECT_EQ(j[k], false) << k;
	}
	EXPECT_TRUE(j["numa_node"].is_null());
}

TEST(JsonRendering, NumaNodeAndFlags)
{
	RamdiskInfo i = sample();
	i.numa_node = 1;
	i.read_only = true;
	i.prealloc = true;
	i.overcommit = true;
	Json j = ramdisk_json(i);
	EXPECT_TRUE(j["numa_node"].is_number_integer());
	EXPECT_EQ(j["numa_node"], 1);
	EXPECT_EQ(j["read_only"], true);
	EXPECT_EQ(j["prealloc"], true);
	EXPECT_EQ(j["overcommit"], true);

	i.numa_node = 0;  // node 0 is a preference, not "none"
	EXPECT_EQ(ramdisk_json(i)["numa_node"], 0);
}

TEST(JsonRendering, CompactDocumentWithSortedKeys)
{
	EXPECT_EQ(ramdisk_json(sample()).dump(),
		  "{\"alloc_failures\":3,\"index\":0,\"logical_block_size\":512,"
		  "\"name\":\"srd0\",\"numa_node\":null,\"open_count\":1,\"overcommit\":false,"
		  "\"path\":\"/dev/srd0\",\"prealloc\":false,\"read_only\":false,"
		  "\"size_bytes\":67108864,\"used_bytes\":8192}");
}

TEST(JsonRendering, ListKeepsOrderAndEmptyIsArray)
{
	EXPECT_EQ(ramdisk_list_json(std::vector<RamdiskInfo>{}).dump(), "[]");
	Json j = ramdisk_list_json(std::vector<RamdiskInfo>{sample(0), sample(2), sample(10)});
	ASSERT_TRUE(j.is_array());
	ASSERT_EQ(j.size(), 3u);
	EXPECT_EQ(j[0]["name"], "srd0");
	EXPECT_EQ(j[1]["name"], "srd2");
	EXPECT_EQ(j[2]["name"], "srd10");
}

TEST(JsonPrinter, OneDocumentPerCommand)
{
	std::ostringstream out;
	auto p = make_printer(OutputFormat::json, out);
	p->ramdisk_removed("srd0");
	EXPECT_EQ(out.str(), "{\"removed\":\"srd0\"}\n");

	out.str("");
	p->ramdisk_list({});
	EXPECT_EQ(out.str(), "[]\n");

	for (auto fn : {&Printer::ramdisk_created, &Printer::ramdisk_info, &Printer::ramdisk_resized}) {
		out.str("");
		((*p).*fn)(sample());
		EXPECT_EQ(out.str(), ramdisk_json(sample()).dump() + "\n");
	}
}

TEST(TextPrinter, Messages)
{
	std::ostringstream out;
	auto p = make_printer(OutputFormat::text, out);
	p->ramdisk_created(sample());
	RamdiskInfo big = sample();
	big.size_bytes = 128ULL << 20;
	p->ramdisk_resized(big);
	p->ramdisk_removed("srd0");
	EXPECT_EQ(out.str(), "created srd0 (/dev/srd0, 64.0 MiB)\n"
			     "resized srd0 to 128.0 MiB\n"
			     "removed srd0\n");
}

TEST(TextPrinter, EmptyTableIsHeader)
{
	EXPECT_EQ(format_ramdisk_table({}), "NAME  PATH  SIZE  USED  LBS  RO  OPTIONS\n");
}

TEST(TextPrinter, AlignedTable)
{
	RamdiskInfo a = sample(0);
	RamdiskInfo b = sample(12);
	b.size_bytes = 1ULL << 30;
	b.used_bytes = 0;
	b.logical_block_size = 4096;
	b.read_only = true;
	b.prealloc = true;
	b.numa_node = 1;
	std::string t = format_ramdisk_table({a, b});
	EXPECT_EQ(t,
		  "NAME   PATH        SIZE      USED     LBS   RO   OPTIONS\n"
		  "srd0   /dev/srd0   64.0 MiB  8.0 KiB  512   no   -\n"
		  "srd12  /dev/srd12  1.0 GiB   0 B      4096  yes  prealloc,numa=1\n");
}

TEST(TextPrinter, Options)
{
	RamdiskInfo i = sample();
	EXPECT_EQ(format_ramdisk_options(i), "-");
	i.read_only = true;  // has its own column
	EXPECT_EQ(format_ramdisk_options(i), "-");
	i.overcommit = true;
	EXPECT_EQ(format_ramdisk_options(i), "overcommit");
	i.prealloc = true;
	i.numa_node = 0;
	EXPECT_EQ(format_ramdisk_options(i), "prealloc,overcommit,numa=0");
}

TEST(TextPrinter, InfoLines)
{
	EXPECT_EQ(format_ramdisk_info(sample()),
		  "name: srd0\n"
		  "path: /dev/srd0\n"
		  "index: 0\n"
		  "size: 64.0 MiB (67108864 bytes)\n"
		  "used: 8.0 KiB (8192 bytes)\n"
		  "logical_block_size: 512\n"
		  "numa_node: none\n"
		  "read_only: no\n"
		  "prealloc: no\n"
		  "overcommit: no\n"
		  "open_count: 1\n"
		  "alloc_failures: 3\n");
	std::ostringstream out;
	make_printer(OutputFormat::text, out)->ramdisk_info(sample());
	EXPECT_EQ(out.str(), format_ramdisk_info(sample()));
}

TEST(FormatColumns, PadsAllButTheLastColumnAndTrimsTrailingBlanks)
{
	EXPECT_EQ(format_columns({{"A", "BB", "C"}, {"aaa", "b", "cc"}}),
		  "A    BB  C\n"
		  "aaa  b   cc\n");
	// Empty trailing cells (continuation rows) and ragged rows leave no
	// trailing blanks.
	EXPECT_EQ(format_columns({{"NAME", "X"}, {"", "y"}, {"long-name", ""}, {"z"}}),
		  "NAME       X\n"
		  "           y\n"
		  "long-name\n"
		  "z\n");
	EXPECT_EQ(format_columns({}), "");
}

} // namespace
