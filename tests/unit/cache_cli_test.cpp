// SPDX-License-Identifier: MIT
//
// `storctl cache` on the host: every error that is caught before
// device-mapper is touched (exit codes and messages), and the help texts.
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_util.hpp"

extern char **environ;

namespace {

using storctl::test::TempDir;

struct CliRun {
	int status = -1;
	std::string out;
	std::string err;
};

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

CliRun storctl(const std::vector<std::string> &args)
{
	TempDir tmp;
	std::vector<std::string> argv_s{STORCTL_BINARY};
	argv_s.insert(argv_s.end(), args.begin(), args.end());
	std::vector<char *> argv;
	for (auto &a : argv_s)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	const std::string out = tmp.str() + "/out", err = tmp.str() + "/err";
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid = -1;
	int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	CliRun r;
	if (rc != 0) {
		ADD_FAILURE() << "cannot run " << argv[0];
		return r;
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

std::vector<std::string> create_args(std::vector<std::string> extra)
{
	std::vector<std::string> a = {"cache", "create", "--cache", "/dev/nosuch-cache",
				      "--origin", "/dev/nosuch-origin"};
	a.insert(a.end(), extra.begin(), extra.end());
	return a;
}

void expect_error(const CliRun &r, int status, const std::string &text)
{
	EXPECT_EQ(r.status, status) << r.err;
	EXPECT_EQ(r.out, "");
	EXPECT_EQ(r.err.rfind("storctl: error: ", 0), 0u) << r.err;
	EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
	EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(CacheCli, InvalidCreateArguments)
{
	const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
		{{"--mode", "wx"}, "unknown cache mode 'wx'"},
		{{"--mode", "wt", "--name", "../x"}, "invalid cache name '../x'"},
		{{"--mode", "wt", "--name", "a/b"}, "must not contain '/'"},
		{{"--mode", "wt", "--name", "my cache"}, "must not contain spaces"},
		{{"--mode", "wt", "--name", std::string(128, 'n')}, "too long"},
		{{"--mode", "wt", "--block-size", "3K"}, "invalid block size '3K'"},
		{{"--mode", "wt", "--block-size", "2M"}, "invalid block size '2M'"},
		{{"--mode", "wt", "--block-size", "2K"}, "power of two from 4.0 KiB to 1.0 MiB"},
		{{"--mode", "wb", "--block-size", "64K"}, "512 B to 4.0 KiB"},
		{{"--mode", "wt", "--policy", "arc"}, "unknown cache policy 'arc'"},
		{{"--mode", "wt", "--tunable", "nokey"}, "invalid tunable 'nokey'"},
		{{"--mode", "wb", "--policy", "lru"}, "--policy applies to wt and wa"},
		{{"--mode", "wb", "--high-watermark", "101"}, "invalid --high-watermark '101'"},
		{{"--mode", "wb", "--low-watermark", "-1"}, "invalid --low-watermark '-1'"},
		{{"--mode", "wb", "--writeback-jobs", "0"}, "invalid --writeback-jobs '0'"},
		{{"--mode", "wb", "--autocommit-time", "3600001"}, "invalid --autocommit-time"},
		{{"--mode", "wb", "--high-watermark", "10"}, "low watermark (45%, the default)"},
		{{"--mode", "wt", "--autocommit-blocks", "8"}, "apply to wb caches only"},
	};
	for (const auto &[extra, text] : cases) {
		SCOPED_TRACE(extra[1] + (extra.size() > 2 ? " " + extra[2] : ""));
		expect_error(storctl(create_args(extra)), 2, text);
	}
}

TEST(CacheCli, CreateUsageErrors)
{
	CliRun r = storctl({"cache", "create", "--cache", "/dev/a", "--origin", "/dev/b"});
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("--mode"), std::string::npos) << r.err;
	r = storctl({"cache", "create", "--mode", "wt", "--origin", "/dev/b"});
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("--cache"), std::string::npos) << r.err;
	r = storctl({"cache"});
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("create, list, stats, remove"), std::string::npos) << r.err;
}

TEST(CacheCli, DevicesAreCheckedBeforeDeviceMapper)
{
	expect_error(storctl(create_args({"--mode", "wt"})), 3,
		     "origin /dev/nosuch-origin does not exist");
	expect_error(storctl({"cache", "create", "--cache", "/dev/nosuch", "--origin", "/dev/null",
			      "--mode", "wa"}),
		     2, "origin /dev/null is not a block device");
}

TEST(CacheCli, InvalidNamesForStatsAndRemove)
{
	expect_error(storctl({"cache", "stats", "../sda"}), 2, "invalid cache name '../sda'");
	expect_error(storctl({"--json", "cache", "remove", "a b"}), 2, "invalid cache name 'a b'");
	expect_error(storctl({"cache", "remove", "x", "--timeout", "0"}), 2, "invalid --timeout 0");
}

TEST(CacheCli, HelpWarnsAboutWriteBackOnRam)
{
	for (const auto &args : {std::vector<std::string>{"cache", "--help"},
				 std::vector<std::string>{"cache", "create", "--help"}}) {
		CliRun r = storctl(args);
		EXPECT_EQ(r.status, 0);
		EXPECT_NE(r.out.find("WRITE-BACK (wb) WARNING"), std::string::npos) << r.out;
		EXPECT_NE(r.out.find("LOST\non power loss"), std::string::npos) << r.out;
	}
	CliRun c = storctl({"cache", "create", "--help"});
	for (const char *opt : {"--cache", "--origin", "--mode", "--name", "--block-size", "--policy",
				"--tunable", "--high-watermark", "--low-watermark", "--writeback-jobs",
				"--autocommit-blocks", "--autocommit-time"})
		EXPECT_NE(c.out.find(opt), std::string::npos) << opt;
	CliRun rm = storctl({"cache", "remove", "--help"});
	EXPECT_NE(rm.out.find("--force"), std::string::npos);
	EXPECT_NE(rm.out.find("--timeout"), std::string::npos);
	CliRun top = storctl({"--help"});
	EXPECT_NE(top.out.find("cache"), std::string::npos);
}

} // namespace
