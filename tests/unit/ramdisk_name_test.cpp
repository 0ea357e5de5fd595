// SPDX-License-Identifier: MIT
#include <string>

#include <gtest/gtest.h>

#include "test_util.hpp"

#include <storctl/ramdisk.hpp>

using namespace storctl;

namespace {

struct GoodName {
	const char *name;
	int index;
};

void PrintTo(const GoodName &g, std::ostream *os)
{
	*os << storctl::test::quoted(g.name);
}

class RamdiskNameGood : public ::testing::TestWithParam<GoodName> {};

TEST_P(RamdiskNameGood, Accepted)
{
	auto r = validate_ramdisk_name(GetParam().name);
	ASSERT_TRUE(r) << GetParam().name << ": " << r.error().message;
	EXPECT_EQ(*r, GetParam().index);
}

INSTANTIATE_TEST_SUITE_P(Names, RamdiskNameGood,
			 ::testing::Values(GoodName{"srd0", 0}, GoodName{"srd1", 1},
					   GoodName{"srd42", 42}, GoodName{"srd10", 10},
					   GoodName{"/dev/srd0", 0}, GoodName{"/dev/srd3", 3},
					   GoodName{"srd2147483647", 2147483647},
					   GoodName{"/dev/srd2147483647", 2147483647}));

class RamdiskNameBad : public ::testing::TestWithParam<const char *> {};

TEST_P(RamdiskNameBad, Rejected)
{
	std::string name = GetParam();
	auto r = validate_ramdisk_name(name);
	ASSERT_FALSE(r) << "'" << name << "' accepted as index " << *r;
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_NE(r.error().message.find("'" + name + "'"), std::string::npos)
		<< "message does not name the value: " << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
	Names, RamdiskNameBad,
	::testing::Values("", "srd", "/dev/srd", "srd01", "srd00", "/dev/srd01", "srd-1", "srd+1",
			  "sda", "/dev/sda", "../sda", "srd1/x", "srd3/..", "/dev/../srd1",
			  "dev/srd1", "//dev/srd1", "/dev//srd1", "/sys/block/srd1", "SRD1",
			  "Srd1", "srd1 ", " srd1", "srd 1", "srd1\n", "srd0x1", "srd1a",
			  "srd1.0", "srd2147483648", "srd4294967296",
			  "srd99999999999999999999999999", "srd-control", "/dev/srd-control",
			  "srd１"));

TEST(RamdiskName, MessagesExplain)
{
	EXPECT_EQ(validate_ramdisk_name("../sda").error().message,
		  "invalid RAM disk name '../sda': expected srd<N> or /dev/srd<N>");
	EXPECT_NE(validate_ramdisk_name("srd01").error().message.find("leading zeros"),
		  std::string::npos);
	EXPECT_NE(validate_ramdisk_name("srd99999999999").error().message.find("out of range"),
		  std::string::npos);
}

TEST(RamdiskName, NameAndPathOfIndex)
{
	EXPECT_EQ(ramdisk_name(0), "srd0");
	EXPECT_EQ(ramdisk_name(17), "srd17");
	EXPECT_EQ(ramdisk_path(7), "/dev/srd7");
	EXPECT_EQ(*validate_ramdisk_name(ramdisk_name(123)), 123);
	EXPECT_EQ(*validate_ramdisk_name(ramdisk_path(123)), 123);
}

TEST(RamdiskSize, MultipleOf4096)
{
	EXPECT_TRUE(validate_ramdisk_size(4096));
	EXPECT_TRUE(validate_ramdisk_size(8192));
	EXPECT_TRUE(validate_ramdisk_size(64ULL << 20));
	EXPECT_TRUE(validate_ramdisk_size(1ULL << 40));

	for (std::uint64_t bad : {std::uint64_t{1}, std::uint64_t{512}, std::uint64_t{4095},
				  std::uint64_t{4097}, std::uint64_t{6144}, ~std::uint64_t{0}}) {
		auto r = validate_ramdisk_size(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_NE(r.error().message.find("size must be a multiple of 4096 bytes"),
			  std::string::npos)
			<< r.error().message;
	}
	auto zero = validate_ramdisk_size(0);
	ASSERT_FALSE(zero);
	EXPECT_EQ(zero.error().code, Errc::invalid_argument);
}

TEST(RamdiskLogicalBlockSize, Only512Or4096)
{
	EXPECT_TRUE(validate_logical_block_size(512));
	EXPECT_TRUE(validate_logical_block_size(4096));
	for (std::uint32_t bad : {0u, 1u, 511u, 513u, 1024u, 2048u, 8192u, 65536u}) {
		auto r = validate_logical_block_size(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_NE(r.error().message.find("must be 512 or 4096"), std::string::npos);
	}
}

} // namespace
