// SPDX-License-Identifier: MIT
#include <set>
#include <sstream>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "exit_codes.hpp"

using namespace storctl;
using namespace storctl::cli;

namespace {

int expected_exit(Errc c)
{
	switch (c) {
	case Errc::invalid_argument:	return 2;
	case Errc::not_found:		return 3;
	case Errc::busy:		return 4;
	case Errc::exists:		return 5;
	case Errc::permission_denied:	return 6;
	case Errc::unsupported:		return 7;
	case Errc::no_memory:
	case Errc::no_space:
	case Errc::kernel_failure:
	case Errc::io_error:
	case Errc::internal:		return 1;
	}
	return -1;
}

TEST(ExitCodes, EveryErrc)
{
	std::set<int> seen;
	for (Errc c : kAllErrc) {
		EXPECT_EQ(exit_code(c), expected_exit(c)) << to_string(c);
		seen.insert(exit_code(c));
	}
	EXPECT_EQ(seen, (std::set<int>{1, 2, 3, 4, 5, 6, 7}));
}

TEST(ExitCodes, NamedConstants)
{
	EXPECT_EQ(kExitOk, 0);
	EXPECT_EQ(kExitFailure, 1);
	EXPECT_EQ(kExitUsage, 2);
	EXPECT_EQ(kExitNotFound, 3);
	EXPECT_EQ(kExitBusy, 4);
	EXPECT_EQ(kExitExists, 5);
	EXPECT_EQ(kExitPermission, 6);
	EXPECT_EQ(kExitUnsupported, 7);
}

TEST(ExitCodes, ReportErrorIsOneLine)
{
	std::ostringstream err;
	EXPECT_EQ(report_error(make_error(Errc::busy, "srd0 is busy"), err), 4);
	EXPECT_EQ(err.str(), "storctl: error: srd0 is busy\n");

	err.str("");
	EXPECT_EQ(report_error(make_error(Errc::internal, "two\nlines\n"), err), 1);
	EXPECT_EQ(err.str(), "storctl: error: two lines\n");
}

class ParseErrors : public ::testing::Test {
protected:
	CLI::App app{"test", "storctl"};
	std::ostringstream out;
	std::ostringstream err;
	int number = 0;

	void SetUp() override
	{
		app.add_option("--number", number, "a number");
		app.set_version_flag("--version", "storctl 9.9.9");
	}

	int run(std::vector<std::string> args)
	{
		std::reverse(args.begin(), args.end());  // CLI11 takes them reversed
		try {
			app.parse(args);
		} catch (const CLI::ParseError &e) {
			return report_parse_error(app, e, out, err);
		}
		return -1;
	}
};

TEST_F(ParseErrors, ErrorsExitTwoWithPrefix)
{
	EXPECT_EQ(run({"--bogus"}), 2);
	EXPECT_EQ(err.str(), "storctl: error: The following argument was not expected: --bogus\n");
	EXPECT_TRUE(out.str().empty());

	err.str("");
	EXPECT_EQ(run({"--number", "abc"}), 2);
	EXPECT_EQ(err.str().rfind("storctl: error: ", 0), 0u) << err.str();
}

TEST_F(ParseErrors, HelpAndVersionExitZero)
{
	EXPECT_EQ(run({"--help"}), 0);
	EXPECT_NE(out.str().find("Usage: storctl"), std::string::npos) << out.str();
	EXPECT_TRUE(err.str().empty());

	out.str("");
	EXPECT_EQ(run({"--version"}), 0);
	EXPECT_EQ(out.str(), "storctl 9.9.9\n");
}

} // namespace
