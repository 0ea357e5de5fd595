// SPDX-License-Identifier: MIT
//
// storctld security helpers: listen addresses and the loopback rule, the
// token file checks (owner, mode, symlink, content), constant-time token
// comparison and the bearer header.
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "security.hpp"
#include "test_util.hpp"

using namespace storctl;
using namespace storctl::daemon;
using storctl::test::TempDir;

TEST(DaemonListen, ParsesNumericAddresses)
{
	struct Case {
		const char *in, *text;
		bool ipv6, loopback;
		unsigned port;
	} cases[] = {
		{"127.0.0.1:9118", "127.0.0.1:9118", false, true, 9118},
		{"127.1.2.3:1", "127.1.2.3:1", false, true, 1},
		{"[::1]:9118", "[::1]:9118", true, true, 9118},
		{"[0:0:0:0:0:0:0:1]:80", "[::1]:80", true, true, 80},
		{"[::ffff:127.0.0.1]:9118", "[::ffff:127.0.0.1]:9118", true, true, 9118},
		{"0.0.0.0:9118", "0.0.0.0:9118", false, false, 9118},
		{"10.1.2.3:0", "10.1.2.3:0", false, false, 0},
		{"[::]:9118", "[::]:9118", true, false, 9118},
		{"[fe80::1]:65535", "[fe80::1]:65535", true, false, 65535},
		{"[::ffff:10.0.0.1]:9118", "[::ffff:10.0.0.1]:9118", true, false, 9118},
	};
	for (const Case &c : cases) {
		auto la = parse_listen_address(c.in);
		ASSERT_TRUE(la) << c.in << ": " << la.error().message;
		EXPECT_EQ(la->text, c.text) << c.in;
		EXPECT_EQ(la->ipv6, c.ipv6) << c.in;
		EXPECT_EQ(la->loopback(), c.loopback) << c.in;
		EXPECT_EQ(la->port, c.port) << c.in;
	}
}

TEST(DaemonListen, RejectsEverythingElse)
{
	for (const char *in : {"", "9118", ":9118", "localhost:9118", "127.0.0.1", "127.0.0.1:",
			       "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:09118", "127.0.0.1:91x",
			       "::1:9118", "[::1]", "[::1:9118", "[nope]:1", "256.0.0.1:1",
			       "127.0.0.1 :9118"}) {
		auto la = parse_listen_address(in);
		EXPECT_FALSE(la) << "'" << in << "' accepted";
		if (!la) {
			EXPECT_EQ(la.error().code, Errc::invalid_argument);
			EXPECT_NE(la.error().message.find(std::string("'") + in + "'"), std::string::npos)
				<< la.error().message;
		}
	}
}

TEST(DaemonToken, ConstantTimeEqualSemantics)
{
	EXPECT_TRUE(constant_time_equal("abcdefghijklmnop", "abcdefghijklmnop"));
	EXPECT_FALSE(constant_time_equal("abcdefghijklmnoq", "abcdefghijklmnop"));
	EXPECT_FALSE(constant_time_equal("bbcdefghijklmnop", "abcdefghijklmnop"));
	EXPECT_FALSE(constant_time_equal("abcdefghijklmno", "abcdefghijklmnop"));
	EXPECT_FALSE(constant_time_equal("abcdefghijklmnopq", "abcdefghijklmnop"));
	EXPECT_FALSE(constant_time_equal("", "abcdefghijklmnop"));
	// A prefix padded with NULs must not pass for the real thing.
	EXPECT_FALSE(constant_time_equal(std::string("abc\0", 4), "abc"));
	EXPECT_FALSE(constant_time_equal("abc", std::string("abc\0", 4)));
	EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(DaemonToken, BearerHeader)
{
	const std::string t = "s3cret-token-0123456789";
	EXPECT_TRUE(bearer_matches("Bearer " + t, t));
	EXPECT_TRUE(bearer_matches("bearer " + t, t));
	EXPECT_TRUE(bearer_matches("BEARER  " + t + " ", t));
	EXPECT_FALSE(bearer_matches(t, t));
	EXPECT_FALSE(bearer_matches("Bearer", t));
	EXPECT_FALSE(bearer_matches("Bearer ", t));
	EXPECT_FALSE(bearer_matches("Bearer " + t + "x", t));
	EXPECT_FALSE(bearer_matches("Bearer " + t.substr(1), t));
	EXPECT_FALSE(bearer_matches("Basic " + t, t));
	EXPECT_FALSE(bearer_matches("Bearer:" + t, t));
	EXPECT_FALSE(bearer_matches("", t));
	// No token configured never matches anything.
	EXPECT_FALSE(bearer_matches("Bearer ", ""));
}

class TokenFile : public ::testing::Test {
protected:
	TempDir tmp;
	std::string write(const std::string &content, mode_t mode)
	{
		std::string p = tmp.write("token", content).string();
		::chmod(p.c_str(), mode);
		return p;
	}
};

TEST_F(TokenFile, GoodFile)
{
	auto t = load_token_file(write("0123456789abcdefXYZ\n", 0600));
	ASSERT_TRUE(t) << t.error().message;
	EXPECT_EQ(*t, "0123456789abcdefXYZ");
	auto r = load_token_file(write("0123456789abcdef  \r\nsecond line ignored\n", 0400));
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(*r, "0123456789abcdef");
}

TEST_F(TokenFile, GroupOrWorldAccessIsRefused)
{
	for (mode_t m : {0644, 0640, 0604, 0660, 0606, 0610, 0601}) {
		auto t = load_token_file(write("0123456789abcdefXYZ\n", m));
		ASSERT_FALSE(t) << "mode " << std::oct << m << " accepted";
		EXPECT_EQ(t.error().code, Errc::permission_denied);
		EXPECT_NE(t.error().message.find("must not be accessible by group or others"),
			  std::string::npos) << t.error().message;
	}
}

TEST_F(TokenFile, WrongOwnerIsRefused)
{
	if (::geteuid() != 0)
		GTEST_SKIP() << "needs root to chown";
	std::string p = write("0123456789abcdefXYZ\n", 0600);
	ASSERT_EQ(::chown(p.c_str(), 12345, 12345), 0);
	auto t = load_token_file(p);
	ASSERT_FALSE(t);
	EXPECT_EQ(t.error().code, Errc::permission_denied);
	EXPECT_NE(t.error().message.find("owned by uid 12345"), std::string::npos) << t.error().message;
}

TEST_F(TokenFile, SymlinkIsRefused)
{
	std::string target = write("0123456789abcdefXYZ\n", 0600);
	std::string link = tmp.str() + "/link";
	ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
	auto t = load_token_file(link);
	ASSERT_FALSE(t);
	EXPECT_NE(t.error().message.find("symbolic link"), std::string::npos) << t.error().message;
}

TEST_F(TokenFile, BadContentIsRefused)
{
	for (const char *content : {"", "\n", "short\n", "0123456789abcde\n", "0123456789 abcdefgh\n",
				    "0123456789abcdef\x01\n"}) {
		auto t = load_token_file(write(content, 0600));
		EXPECT_FALSE(t) << "content '" << content << "' accepted";
	}
	auto big = load_token_file(write(std::string(5000, 'a'), 0600));
	EXPECT_FALSE(big);
}

TEST_F(TokenFile, MissingFileAndDirectory)
{
	auto missing = load_token_file(tmp.str() + "/nope");
	ASSERT_FALSE(missing);
	EXPECT_NE(missing.error().message.find("cannot open token file"), std::string::npos);
	::chmod(tmp.str().c_str(), 0700);
	auto dir = load_token_file(tmp.str());
	ASSERT_FALSE(dir);
}
