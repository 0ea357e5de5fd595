// SPDX-License-Identifier: MIT
//
// Runs the built storctl binary (STORCTL_BINARY) on the host, without the
// module.  STORCTL_SRD_CONTROL / STORCTL_SYSFS point it at fake paths so the
// results do not depend on the machine.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <storctl/version.hpp>

#include "test_util.hpp"

extern char **environ;

namespace {

using storctl::test::TempDir;

struct ProcResult {
	int status = -1;  // exit code, or -1 if it did not exit normally
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

class StorctlBinary : public ::testing::Test {
protected:
	TempDir tmp;
	std::string missing_control = tmp.str() + "/no-srd-control";
	std::string sysfs = tmp.mkdir("sys").string();

	// ProcResult storctl with @args; @control is exported as STORCTL_SRD_CONTROL.
	ProcResult run(const std::vector<std::string> &args, const std::string &control = "")
	{
		std::vector<std::string> env;
		for (char **e = environ; *e; e++) {
			std::string_view kv(*e);
			if (!kv.starts_with("STORCTL_"))
				env.emplace_back(kv);
		}
		env.push_back("STORCTL_SRD_CONTROL=" + (control.empty() ? missing_control : control));
		env.push_back("STORCTL_SYSFS=" + sysfs);

		std::vector<std::string> argv_s{STORCTL_BINARY};
		argv_s.insert(argv_s.end(), args.begin(), args.end());
		std::vector<char *> argv;
		for (auto &a : argv_s)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		std::vector<char *> envp;
		for (auto &e : env)
			envp.push_back(e.data());
		envp.push_back(nullptr);

		const std::string out_path = tmp.str() + "/stdout";
		const std::string err_path = tmp.str() + "/stderr";
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(),
						 O_WRONLY | O_CREAT | O_TRUNC, 0600);
		posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(),
						 O_WRONLY | O_CREAT | O_TRUNC, 0600);
		pid_t pid = -1;
		int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
		posix_spawn_file_actions_destroy(&fa);
		ProcResult r;
		if (rc != 0) {
			ADD_FAILURE() << "cannot run " << argv[0] << ": " << std::strerror(rc);
			return r;
		}
		int status = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
		}
		r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		r.out = slurp(out_path);
		r.err = slurp(err_path);
		return r;
	}
};

const std::string kNoModule =
	"storctl: error: stor_ramdisk module not loaded (";

TEST_F(StorctlBinary, Version)
{
	ProcResult r = run({"--version"});
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "storctl " + std::string(storctl::kVersion) + "\n");
	EXPECT_EQ(r.err, "");
}

TEST_F(StorctlBinary, Help)
{
	ProcResult r = run({"--help"});
	EXPECT_EQ(r.status, 0);
	EXPECT_NE(r.out.find("Usage: storctl"), std::string::npos);
	EXPECT_NE(r.out.find("ramdisk"), std::string::npos);
	EXPECT_NE(r.out.find("SIZE:"), std::string::npos);

	ProcResult c = run({"ramdisk", "create", "--help"});
	EXPECT_EQ(c.status, 0);
	for (const char *opt : {"--logical-block-size", "--numa", "--prealloc", "--read-only",
				"--overcommit", "--index", "KiB", "multiple of 4096"})
		EXPECT_NE(c.out.find(opt), std::string::npos) << opt;
}

TEST_F(StorctlBinary, CreateZeroIsInvalid)
{
	ProcResult r = run({"ramdisk", "create", "0"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "storctl: error: invalid size '0': must be greater than zero\n");
	EXPECT_EQ(r.out, "");
}

TEST_F(StorctlBinary, CreateUnalignedIsInvalid)
{
	ProcResult r = run({"ramdisk", "create", "4097"});
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("size must be a multiple of 4096 bytes"), std::string::npos) << r.err;

	ProcResult s = run({"ramdisk", "create", "64Q", "--json"});
	EXPECT_EQ(s.status, 2);
	EXPECT_NE(s.err.find("'64Q'"), std::string::npos) << s.err;
	EXPECT_EQ(s.out, "");
}

TEST_F(StorctlBinary, RemoveBadNameIsInvalid)
{
	ProcResult r = run({"ramdisk", "remove", "../sda"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err,
		  "storctl: error: invalid RAM disk name '../sda': expected srd<N> or /dev/srd<N>\n");
	for (const char *bad : {"srd1/x", "sda", "srd01"}) {
		ProcResult b = run({"ramdisk", "remove", bad});
		EXPECT_EQ(b.status, 2) << bad;
		EXPECT_NE(b.err.find(std::string("'") + bad + "'"), std::string::npos) << b.err;
	}
}

TEST_F(StorctlBinary, InfoWithoutModuleIsUnsupported)
{
	ProcResult r = run({"ramdisk", "info", "srd9"});
	EXPECT_EQ(r.status, 7);
	EXPECT_EQ(r.err, kNoModule + missing_control + " missing); run 'modprobe stor_ramdisk'\n");
	EXPECT_EQ(r.out, "");
}

TEST_F(StorctlBinary, ListWithoutModuleIsUnsupported)
{
	for (const auto &args : {std::vector<std::string>{"--json", "ramdisk", "list"},
				 std::vector<std::string>{"ramdisk", "list", "--json"},
				 std::vector<std::string>{"ramdisk", "--json", "list"},
				 std::vector<std::string>{"ramdisk", "list"}}) {
		ProcResult r = run(args);
		EXPECT_EQ(r.status, 7);
		EXPECT_EQ(r.err.rfind(kNoModule, 0), 0u) << r.err;
		EXPECT_EQ(r.out, "");
	}
}

TEST_F(StorctlBinary, OtherVerbsWithoutModuleAreUnsupported)
{
	EXPECT_EQ(run({"ramdisk", "create", "64M"}).status, 7);
	EXPECT_EQ(run({"ramdisk", "resize", "srd0", "128M"}).status, 7);
	EXPECT_EQ(run({"ramdisk", "remove", "/dev/srd0"}).status, 7);
}

TEST_F(StorctlBinary, EmptyListWithoutDisks)
{
	// A control "device" that exists (plain file) and a sysfs without srd*:
	// the CLI lists nothing and never issues an ioctl.
	std::string control = tmp.write("srd-control", "").string();
	tmp.mkdir("sys/block/sda");

	ProcResult j = run({"--json", "ramdisk", "list"}, control);
	EXPECT_EQ(j.status, 0) << j.err;
	EXPECT_EQ(j.out, "[]\n");

	ProcResult j2 = run({"ramdisk", "list", "--json"}, control);
	EXPECT_EQ(j2.status, 0) << j2.err;
	EXPECT_EQ(j2.out, "[]\n");

	ProcResult t = run({"ramdisk", "list"}, control);
	EXPECT_EQ(t.status, 0) << t.err;
	EXPECT_EQ(t.out, "NAME  PATH  SIZE  USED  LBS  RO  OPTIONS\n");
}

TEST_F(StorctlBinary, UsageErrorsExitTwo)
{
	struct Case {
		std::vector<std::string> args;
		const char *text;
	};
	for (const Case &c : {Case{{}, "needs a command"},
			      Case{{"ramdisk"}, "needs a command: create, list, info, resize, remove"},
			      Case{{"bogus"}, "bogus"},
			      Case{{"--bogus"}, "--bogus"},
			      Case{{"ramdisk", "list", "extra"}, "extra"},
			      Case{{"ramdisk", "create"}, "SIZE"},
			      Case{{"ramdisk", "create", "64M", "--numa", "x"}, "--numa"},
			      Case{{"ramdisk", "create", "64M", "--logical-block-size", "1024"},
				   "must be 512 or 4096"},
			      Case{{"ramdisk", "create", "64M", "--index", "-1"}, "invalid index -1"},
			      Case{{"ramdisk", "create", "1.5G"}, "fractions"},
			      Case{{"ramdisk", "resize", "srd0"}, "SIZE"},
			      Case{{"ramdisk", "resize", "srd0", "-4K"}, ""},
			      Case{{"ramdisk", "info"}, "NAME"}}) {
		ProcResult r = run(c.args);
		std::string cmd;
		for (const auto &a : c.args)
			cmd += " " + a;
		EXPECT_EQ(r.status, 2) << "storctl" << cmd << ": " << r.err;
		EXPECT_EQ(r.err.rfind("storctl: error: ", 0), 0u) << "storctl" << cmd << ": " << r.err;
		EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
		EXPECT_NE(r.err.find(c.text), std::string::npos) << "storctl" << cmd << ": " << r.err;
	}
}

} // namespace
