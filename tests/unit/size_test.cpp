// SPDX-License-Identifier: MIT
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "test_util.hpp"

#include <storctl/size.hpp>

using storctl::Errc;
using storctl::format_size;
using storctl::parse_size;

namespace {

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = KiB * KiB;
constexpr std::uint64_t GiB = MiB * KiB;
constexpr std::uint64_t TiB = GiB * KiB;

struct Good {
	const char *text;
	std::uint64_t bytes;
};

void PrintTo(const Good &g, std::ostream *os)
{
	*os << storctl::test::quoted(g.text);
}

class ParseSizeGood : public ::testing::TestWithParam<Good> {};

TEST_P(ParseSizeGood, Parses)
{
	auto r = parse_size(GetParam().text);
	ASSERT_TRUE(r) << GetParam().text << ": " << r.error().message;
	EXPECT_EQ(*r, GetParam().bytes) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
	Suffixes, ParseSizeGood,
	::testing::Values(
		// plain bytes and B
		Good{"1", 1}, Good{"4096", 4096}, Good{"4096B", 4096}, Good{"4096b", 4096},
		Good{"0010", 10}, Good{"18446744073709551615", std::numeric_limits<std::uint64_t>::max()},
		// K M G T, both cases, 1024-based
		Good{"4K", 4 * KiB}, Good{"4k", 4 * KiB}, Good{"64M", 64 * MiB}, Good{"64m", 64 * MiB},
		Good{"2G", 2 * GiB}, Good{"2g", 2 * GiB}, Good{"1T", TiB}, Good{"1t", TiB},
		// KiB MiB GiB TiB, any case
		Good{"4KiB", 4 * KiB}, Good{"4kib", 4 * KiB}, Good{"4KIB", 4 * KiB},
		Good{"64MiB", 64 * MiB}, Good{"64mib", 64 * MiB}, Good{"2GiB", 2 * GiB},
		Good{"2gIb", 2 * GiB}, Good{"1TiB", TiB}, Good{"1tib", TiB},
		// KB MB GB TB, any case, 1000-based
		Good{"4KB", 4000}, Good{"4kb", 4000}, Good{"4Kb", 4000}, Good{"500MB", 500000000},
		Good{"500mb", 500000000}, Good{"2GB", 2000000000}, Good{"2gB", 2000000000},
		Good{"1TB", 1000000000000ULL}, Good{"1tb", 1000000000000ULL},
		// largest values that still fit
		Good{"16777215T", 16777215 * TiB}, Good{"18014398509481983K", 18014398509481983ULL * KiB}));

struct Bad {
	const char *text;
	const char *why;  // expected substring of the message
};

void PrintTo(const Bad &b, std::ostream *os)
{
	*os << storctl::test::quoted(b.text);
}

class ParseSizeBad : public ::testing::TestWithParam<Bad> {};

TEST_P(ParseSizeBad, Rejects)
{
	std::string text = GetParam().text;
	auto r = parse_size(text);
	ASSERT_FALSE(r) << "'" << text << "' parsed as " << *r;
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_EQ(r.error().sys_errno, 0);
	EXPECT_NE(r.error().message.find("'" + text + "'"), std::string::npos)
		<< "message does not name the value: " << r.error().message;
	EXPECT_NE(r.error().message.find(GetParam().why), std::string::npos)
		<< r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
	Errors, ParseSizeBad,
	::testing::Values(
		Bad{"", "empty"},
		// zero
		Bad{"0", "greater than zero"}, Bad{"00", "greater than zero"}, Bad{"0K", "greater than zero"},
		Bad{"0GiB", "greater than zero"}, Bad{"0B", "greater than zero"},
		// sign
		Bad{"-1", "negative"}, Bad{"-64M", "negative"}, Bad{"+64M", "positive integer"},
		// fractions
		Bad{"1.5G", "fraction"}, Bad{"0.5", "fraction"}, Bad{"1,5G", "fraction"},
		Bad{".5G", "positive integer"},
		// whitespace
		Bad{" 64M", "whitespace"}, Bad{"64M ", "whitespace"}, Bad{"64 M", "whitespace"},
		Bad{"\t64", "whitespace"}, Bad{"64\n", "whitespace"}, Bad{" ", "whitespace"},
		// garbage and unknown suffixes
		Bad{"abc", "positive integer"}, Bad{"M", "positive integer"}, Bad{"KiB", "positive integer"},
		Bad{"64X", "unknown suffix"}, Bad{"64MiBs", "unknown suffix"}, Bad{"64Mi", "unknown suffix"},
		Bad{"64iB", "unknown suffix"}, Bad{"64BB", "unknown suffix"}, Bad{"1P", "unknown suffix"},
		Bad{"1PB", "unknown suffix"}, Bad{"1PiB", "unknown suffix"}, Bad{"0x10", "unknown suffix"},
		Bad{"1e6", "unknown suffix"}, Bad{"64M64", "unknown suffix"}, Bad{"64_000", "unknown suffix"},
		// overflow
		Bad{"18446744073709551616", "too large"}, Bad{"99999999999999999999999", "too large"},
		Bad{"16777216T", "too large"}, Bad{"16777216TiB", "too large"},
		Bad{"18446744073709552K", "too large"}, Bad{"18446744073709552TB", "too large"}));

TEST(ParseSize, MessageIsHelpful)
{
	auto r = parse_size("64Q");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().message,
		  "invalid size '64Q': unknown suffix 'Q' (use K, M, G, T, KiB, MiB, GiB, TiB, "
		  "KB, MB, GB, TB or B)");
}

TEST(ParseSize, EmbeddedNulIsRejected)
{
	using namespace std::string_view_literals;
	EXPECT_FALSE(parse_size("64\0M"sv));
}

struct Fmt {
	std::uint64_t bytes;
	const char *text;
};

void PrintTo(const Fmt &f, std::ostream *os)
{
	*os << f.bytes;
}

class FormatSize : public ::testing::TestWithParam<Fmt> {};

TEST_P(FormatSize, Formats)
{
	EXPECT_EQ(format_size(GetParam().bytes), GetParam().text) << GetParam().bytes;
}

INSTANTIATE_TEST_SUITE_P(
	Values, FormatSize,
	::testing::Values(
		Fmt{0, "0 B"}, Fmt{1, "1 B"}, Fmt{512, "512 B"}, Fmt{1000, "1000 B"}, Fmt{1023, "1023 B"},
		Fmt{1024, "1.0 KiB"}, Fmt{1536, "1.5 KiB"}, Fmt{1075, "1.0 KiB"}, Fmt{1076, "1.1 KiB"},
		Fmt{4096, "4.0 KiB"}, Fmt{1048575, "1.0 MiB"}, Fmt{MiB, "1.0 MiB"},
		Fmt{64 * MiB, "64.0 MiB"}, Fmt{128 * MiB, "128.0 MiB"}, Fmt{1023 * MiB, "1023.0 MiB"},
		Fmt{GiB - 1, "1.0 GiB"}, Fmt{GiB, "1.0 GiB"}, Fmt{GiB + GiB / 2, "1.5 GiB"},
		Fmt{25125093376ULL, "23.4 GiB"}, Fmt{500000000, "476.8 MiB"}, Fmt{TiB, "1.0 TiB"},
		Fmt{1024 * TiB, "1024.0 TiB"},
		Fmt{std::numeric_limits<std::uint64_t>::max(), "16777216.0 TiB"}));

TEST(FormatSize, RoundTripsParsedSizes)
{
	EXPECT_EQ(format_size(*parse_size("64M")), "64.0 MiB");
	EXPECT_EQ(format_size(*parse_size("1GiB")), "1.0 GiB");
	EXPECT_EQ(format_size(*parse_size("1T")), "1.0 TiB");
}

} // namespace
