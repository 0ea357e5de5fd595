// SPDX-License-Identifier: MIT
//
// storctld request validation (strict types: 400; bad values and unknown
// keys: 422) and response objects (a RAM disk is exactly the CLI's
// `storctl --json ramdisk info` object).
#include <string>

#include <gtest/gtest.h>

#include "json_input.hpp"
#include "json_output.hpp"
#include "output.hpp"  // cli::to_json, the CLI contract
#include "test_util.hpp"

using namespace storctl;
using namespace storctl::daemon;
using storctl::test::quoted;

namespace {

constexpr std::uint64_t MiB = 1ULL << 20;

template <typename T>
void expect_error(const ApiResult<T> &r, int status, const std::string &substr, const std::string &body)
{
	ASSERT_FALSE(r.ok()) << quoted(body) << " was accepted";
	EXPECT_EQ(r.error().status, status) << quoted(body) << ": " << r.error().message;
	EXPECT_NE(r.error().message.find(substr), std::string::npos)
		<< quoted(body) << ": message '" << r.error().message << "' lacks '" << substr << "'";
}

} // namespace

TEST(DaemonJsonInput, CreateMinimalAndFull)
{
	auto a = parse_ramdisk_create(R"({"size":"64M"})");
	ASSERT_TRUE(a.ok()) << a.error().message;
	EXPECT_EQ(a->size_bytes, 64 * MiB);
	EXPECT_EQ(a->logical_block_size, 512u);
	EXPECT_FALSE(a->numa_node);
	EXPECT_FALSE(a->index);
	EXPECT_FALSE(a->prealloc || a->read_only || a->overcommit);

	auto b = parse_ramdisk_create(R"({"size":1048576,"logical_block_size":4096,"numa_node":0,
		"prealloc":true,"read_only":true,"overcommit":true,"index":7})");
	ASSERT_TRUE(b.ok()) << b.error().message;
	EXPECT_EQ(b->size_bytes, MiB);
	EXPECT_EQ(b->logical_block_size, 4096u);
	EXPECT_EQ(b->numa_node, 0);
	EXPECT_EQ(b->index, 7);
	EXPECT_TRUE(b->prealloc && b->read_only && b->overcommit);

	auto c = parse_ramdisk_create(R"({"size":"1GiB","numa_node":null,"index":null})");
	ASSERT_TRUE(c.ok()) << c.error().message;
	EXPECT_EQ(c->size_bytes, 1024 * MiB);
	EXPECT_FALSE(c->numa_node);
	EXPECT_FALSE(c->index);

	// Sizes use the CLI's syntax.
	EXPECT_EQ(parse_ramdisk_create(R"({"size":"4096"})")->size_bytes, 4096u);
	EXPECT_EQ(parse_ramdisk_create(R"({"size":"8k"})")->size_bytes, 8192u);
	EXPECT_EQ(parse_ramdisk_create(R"({"size":"4096000KB"})")->size_bytes, 4096000000u);
}

TEST(DaemonJsonInput, MalformedIs400)
{
	const char *bodies[] = {
		"", "{", "nope", "{\"size\":}", "[]", "\"64M\"", "null", "64", "{\"size\":\"64M\"} x",
		"{\"size\":\"64M\",}", "{'size':'64M'}",
	};
	for (const char *b : bodies)
		expect_error(parse_ramdisk_create(b), 400, "", b);
}

TEST(DaemonJsonInput, DeepNestingIs400WithoutRecursion)
{
	std::string deep(100000, '[');
	expect_error(parse_ramdisk_create(deep), 400, "nested deeper", "[[[...");
	std::string deep_obj = "{\"size\":" + std::string(40, '[') + std::string(40, ']') + "}";
	expect_error(parse_ramdisk_create(deep_obj), 400, "nested deeper", deep_obj);
	// Brackets inside strings do not count.
	std::string in_string = "{\"size\":\"" + std::string(100, '[') + "\"}";
	expect_error(parse_ramdisk_create(in_string), 422, "invalid size", in_string);
}

TEST(DaemonJsonInput, WrongTypesAre400)
{
	struct Case {
		const char *body;
		const char *substr;
	} cases[] = {
		{R"({"size":true})", "'size' must be"},
		{R"({"size":null})", "'size' must be"},
		{R"({"size":64.0})", "'size' must be"},
		{R"({"size":1e9})", "'size' must be"},
		{R"({"size":[1]})", "'size' must be"},
		{R"({"size":"64M","logical_block_size":"4096"})", "'logical_block_size' must be an integer"},
		{R"({"size":"64M","logical_block_size":512.0})", "'logical_block_size' must be an integer"},
		{R"({"size":"64M","numa_node":"0"})", "'numa_node' must be an integer"},
		{R"({"size":"64M","numa_node":false})", "'numa_node' must be an integer"},
		{R"({"size":"64M","prealloc":1})", "'prealloc' must be true or false"},
		{R"({"size":"64M","read_only":"true"})", "'read_only' must be true or false"},
		{R"({"size":"64M","overcommit":null})", "'overcommit' must be true or false"},
		{R"({"size":"64M","index":"1"})", "'index' must be an integer"},
		{R"({"size":99999999999999999999999})", "'size' must be"},
	};
	for (const Case &c : cases)
		expect_error(parse_ramdisk_create(c.body), 400, c.substr, c.body);
}

TEST(DaemonJsonInput, BadValuesAndUnknownKeysAre422)
{
	struct Case {
		const char *body;
		const char *substr;
	} cases[] = {
		{R"({})", "missing required key 'size'"},
		{R"({"prealloc":true})", "missing required key 'size'"},
		{R"({"size":"64M","colour":"red"})", "unknown key 'colour'"},
		{R"({"size":"64M","Size":"64M"})", "unknown key 'Size'"},
		{R"({"size":0})", "greater than zero"},
		{R"({"size":-4096})", "must not be negative"},
		{R"({"size":"0"})", "greater than zero"},
		{R"({"size":"-64M"})", "negative"},
		{R"({"size":"1.5G"})", "fractions"},
		{R"({"size":"64Q"})", "unknown suffix"},
		{R"({"size":"99999999999T"})", "too large"},
		{R"({"size":1000})", "multiple of 4096"},
		{R"({"size":"1000"})", "multiple of 4096"},
		{R"({"size":"64M","logical_block_size":1024})", "must be 512 or 4096"},
		{R"({"size":"64M","logical_block_size":-1})", "between"},
		{R"({"size":"64M","logical_block_size":4294967296})", "between"},
		{R"({"size":"64M","numa_node":-1})", "between"},
		{R"({"size":"64M","numa_node":2147483648})", "between"},
		{R"({"size":"64M","index":-1})", "between"},
	};
	for (const Case &c : cases)
		expect_error(parse_ramdisk_create(c.body), 422, c.substr, c.body);
}

TEST(DaemonJsonInput, Patch)
{
	auto ok = parse_ramdisk_patch(R"({"size":"128M"})");
	ASSERT_TRUE(ok.ok()) << ok.error().message;
	EXPECT_EQ(*ok, 128 * MiB);
	EXPECT_EQ(*parse_ramdisk_patch(R"({"size":8192})"), 8192u);

	expect_error(parse_ramdisk_patch(""), 400, "", "");
	expect_error(parse_ramdisk_patch("[1]"), 400, "JSON object", "[1]");
	expect_error(parse_ramdisk_patch(R"({"size":false})"), 400, "'size' must be", "size false");
	expect_error(parse_ramdisk_patch(R"({})"), 422, "missing required key 'size'", "{}");
	expect_error(parse_ramdisk_patch(R"({"size":"64M","read_only":true})"), 422,
		     "only the size of a RAM disk can be changed", "read_only");
	expect_error(parse_ramdisk_patch(R"({"size":"12345"})"), 422, "multiple of 4096", "12345");
}

TEST(DaemonJsonOutput, RamdiskObjectIsTheCliContract)
{
	RamdiskInfo a;
	a.index = 3;
	a.name = "srd3";
	a.path = "/dev/srd3";
	a.size_bytes = 64 * MiB;
	a.used_bytes = 8192;
	a.logical_block_size = 4096;
	a.alloc_failures = 2;
	a.open_count = 1;
	a.numa_node = 0;
	a.read_only = true;
	a.prealloc = false;
	a.overcommit = true;
	RamdiskInfo b = a;
	b.numa_node.reset();

	for (const RamdiskInfo &info : {a, b}) {
		Json d = ramdisk_json(info);
		EXPECT_EQ(d, cli::to_json(info));
		std::vector<std::string> keys;
		for (const auto &item : d.items())
			keys.push_back(item.key());
		EXPECT_EQ(keys, (std::vector<std::string>{
			"alloc_failures", "index", "logical_block_size", "name", "numa_node",
			"open_count", "overcommit", "path", "prealloc", "read_only", "size_bytes",
			"used_bytes"}));
	}
	EXPECT_TRUE(ramdisk_json(b)["numa_node"].is_null());
	EXPECT_EQ(ramdisk_json(a)["numa_node"], 0);
	EXPECT_EQ(ramdisk_list_json({a, b}), cli::to_json(std::vector<RamdiskInfo>{a, b}));
	EXPECT_EQ(ramdisk_list_json({}).dump(), "[]");
}
