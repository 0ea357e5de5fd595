// SPDX-License-Identifier: MIT
//
// RamdiskManager on the host: without the module (missing control device),
// against a fake sysfs tree, and against the in-process fake control device
// (fake_srd.hpp) for request building and the kernel errno contract.
#include <cerrno>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include <storctl/ramdisk.h>
#include <storctl/ramdisk.hpp>
#include <storctl/size.hpp>

#include "exit_codes.hpp"
#include "fake_srd.hpp"
#include "test_util.hpp"

using namespace storctl;
using storctl::test::fake_srd;
using storctl::test::TempDir;

namespace {

constexpr std::uint64_t MiB = 1ULL << 20;

RamdiskCreateOptions opts(std::uint64_t size)
{
	RamdiskCreateOptions o;
	o.size_bytes = size;
	return o;
}

void expect_module_missing(const Error &e, const std::string &path)
{
	EXPECT_EQ(e.code, Errc::unsupported) << e.message;
	EXPECT_EQ(e.sys_errno, ENOENT);
	EXPECT_EQ(e.message, "stor_ramdisk module not loaded (" + path +
		  " missing); run 'modprobe stor_ramdisk'");
	EXPECT_EQ(cli::exit_code(e.code), 7);
}

// --- no module --------------------------------------------------------

class NoModule : public ::testing::Test {
protected:
	TempDir tmp;
	std::string control = tmp.str() + "/srd-control";  // never created
	RamdiskManager mgr{control, tmp.str()};
};

TEST_F(NoModule, DefaultsArePaths)
{
	RamdiskManager def;
	EXPECT_EQ(def.control_path(), "/dev/srd-control");
	EXPECT_EQ(def.sysfs_root(), "/sys");
	EXPECT_EQ(mgr.control_path(), control);
	EXPECT_EQ(mgr.sysfs_root(), tmp.str());
}

TEST_F(NoModule, EveryOperationIsUnsupported)
{
	auto c = mgr.create(opts(64 * MiB));
	ASSERT_FALSE(c);
	expect_module_missing(c.error(), control);

	auto l = mgr.list();
	ASSERT_FALSE(l);
	expect_module_missing(l.error(), control);

	auto i = mgr.info(9);
	ASSERT_FALSE(i);
	expect_module_missing(i.error(), control);

	auto in = mgr.info(std::string_view("srd9"));
	ASSERT_FALSE(in);
	expect_module_missing(in.error(), control);

	auto r = mgr.resize(0, 128 * MiB);
	ASSERT_FALSE(r);
	expect_module_missing(r.error(), control);

	auto rm = mgr.remove(0);
	ASSERT_FALSE(rm);
	expect_module_missing(rm.error(), control);

	auto v = mgr.abi_version();
	ASSERT_FALSE(v);
	expect_module_missing(v.error(), control);
}

TEST_F(NoModule, BadInputIsRejectedBeforeTheKernel)
{
	// Invalid values win over "module not loaded": they never reach it.
	struct Case {
		RamdiskCreateOptions o;
		const char *what;
	};
	RamdiskCreateOptions lbs = opts(64 * MiB);
	lbs.logical_block_size = 1024;
	RamdiskCreateOptions idx = opts(64 * MiB);
	idx.index = -1;
	RamdiskCreateOptions numa = opts(64 * MiB);
	numa.numa_node = -2;
	for (const Case &c : {Case{opts(0), "greater than zero"},
			      Case{opts(4097), "size must be a multiple of 4096 bytes"},
			      Case{opts(512), "size must be a multiple of 4096 bytes"},
			      Case{lbs, "must be 512 or 4096"}, Case{idx, "invalid index -1"},
			      Case{numa, "invalid NUMA node -2"}}) {
		auto r = mgr.create(c.o);
		ASSERT_FALSE(r) << c.what;
		EXPECT_EQ(r.error().code, Errc::invalid_argument) << r.error().message;
		EXPECT_NE(r.error().message.find(c.what), std::string::npos) << r.error().message;
	}

	auto rs = mgr.resize(0, 4097);
	ASSERT_FALSE(rs);
	EXPECT_EQ(rs.error().code, Errc::invalid_argument);
	EXPECT_NE(rs.error().message.find("multiple of 4096"), std::string::npos);

	for (const char *name : {"../sda", "srd01", "srd", "/dev/sda", "srd1/x"}) {
		auto rm = mgr.remove(std::string_view(name));
		ASSERT_FALSE(rm) << name;
		EXPECT_EQ(rm.error().code, Errc::invalid_argument) << name;
		auto in = mgr.info(std::string_view(name));
		ASSERT_FALSE(in) << name;
		EXPECT_EQ(in.error().code, Errc::invalid_argument) << name;
		auto rz = mgr.resize(std::string_view(name), 4096);
		ASSERT_FALSE(rz) << name;
		EXPECT_EQ(rz.error().code, Errc::invalid_argument) << name;
	}
	EXPECT_EQ(mgr.info(-1).error().code, Errc::invalid_argument);
	EXPECT_EQ(mgr.remove(-1).error().code, Errc::invalid_argument);
	EXPECT_EQ(mgr.resize(-1, 4096).error().code, Errc::invalid_argument);
}

TEST_F(NoModule, SysfsChecksNumaAndMaxDisks)
{
	tmp.write("devices/system/node/online", "0-1,3\n");
	tmp.write("module/stor_ramdisk/parameters/max_disks", "4\n");
	EXPECT_EQ(mgr.max_disks(), 4);

	RamdiskCreateOptions o = opts(64 * MiB);
	for (int node : {0, 1, 3}) {
		o.numa_node = node;
		EXPECT_TRUE(mgr.validate_create(o)) << node;
	}
	for (int node : {2, 4, 64}) {
		o.numa_node = node;
		auto r = mgr.create(o);
		ASSERT_FALSE(r) << node;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_EQ(r.error().message, "NUMA node " + std::to_string(node) +
			  " is not online (online nodes: 0-1,3)");
	}

	o.numa_node.reset();
	o.index = 3;
	EXPECT_TRUE(mgr.validate_create(o));
	o.index = 4;
	auto r = mgr.create(o);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_NE(r.error().message.find("max_disks=4"), std::string::npos) << r.error().message;
}

TEST_F(NoModule, NoSysfsInformationMeansNoExtraChecks)
{
	EXPECT_EQ(mgr.max_disks(), std::nullopt);
	RamdiskCreateOptions o = opts(64 * MiB);
	o.numa_node = 7;
	o.index = 1000;
	EXPECT_TRUE(mgr.validate_create(o));
}

// --- control device present, fake sysfs -------------------------------

class FakeSysfs : public ::testing::Test {
protected:
	TempDir tmp;
	std::string control = tmp.write("dev/srd-control", "").string();
	std::string sysfs = tmp.mkdir("sys").string();
	RamdiskManager mgr{control, sysfs};
};

TEST_F(FakeSysfs, ListWithoutBlockDirectoryIsEmpty)
{
	auto l = mgr.list();
	ASSERT_TRUE(l) << l.error().message;
	EXPECT_TRUE(l->empty());
}

TEST_F(FakeSysfs, ListWithoutSrdEntriesIsEmpty)
{
	for (const char *dev : {"sda", "loop0", "nvme0n1", "dm-0", "srd", "srd01", "srdx",
				"srd-control", "xsrd1"})
		tmp.mkdir(std::string("sys/block/") + dev);
	auto l = mgr.list();
	ASSERT_TRUE(l) << l.error().message;
	EXPECT_TRUE(l->empty());
}

TEST_F(FakeSysfs, NonSrdControlFileIsUnsupported)
{
	// A regular file answers ioctls with ENOTTY: not our control device.
	auto r = mgr.info(0);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::unsupported);
	EXPECT_EQ(r.error().sys_errno, ENOTTY);
	EXPECT_NE(r.error().message.find(control + " does not support"), std::string::npos)
		<< r.error().message;
	EXPECT_EQ(cli::exit_code(r.error().code), 7);
}

TEST_F(FakeSysfs, UnreadableControlIsPermissionDenied)
{
	if (::geteuid() == 0)
		GTEST_SKIP() << "root ignores file modes";
	std::filesystem::permissions(control, std::filesystem::perms::none);
	auto r = mgr.list();
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::permission_denied);
	EXPECT_EQ(cli::exit_code(r.error().code), 6);
}

// --- fake control device ----------------------------------------------

class FakeModule : public FakeSysfs {
protected:
	void SetUp() override { fake_srd().attach(control); }
	void TearDown() override { fake_srd().detach(); }

	// A disk known to the fake and visible in sysfs.
	srd_info &disk(int index, std::uint64_t size, std::uint32_t flags = 0)
	{
		tmp.mkdir("sys/block/srd" + std::to_string(index));
		return fake_srd().add_disk(index, size, flags);
	}
};

TEST_F(FakeModule, CreateBuildsTheRequestAndReturnsInfo)
{
	RamdiskCreateOptions o = opts(64 * MiB);
	o.logical_block_size = 4096;
	o.numa_node = 0;
	o.prealloc = true;
	o.read_only = true;
	auto r = mgr.create(o);
	ASSERT_TRUE(r) << r.error().message;

	ASSERT_EQ(fake_srd().calls.size(), 2u);
	EXPECT_EQ(fake_srd().calls[0].request, SRD_IOC_GET_VERSION);
	const srd_info &req = fake_srd().calls[1].info;
	EXPECT_EQ(fake_srd().calls[1].request, SRD_IOC_ADD);
	EXPECT_EQ(req.index, SRD_INDEX_ANY);
	EXPECT_EQ(req.size_bytes, 64 * MiB);
	EXPECT_EQ(req.logical_block_size, 4096u);
	EXPECT_EQ(req.numa_node, 0);
	EXPECT_EQ(req.flags, SRD_FLAG_PREALLOC | SRD_FLAG_READ_ONLY);
	for (auto v : req.reserved)
		EXPECT_EQ(v, 0u);

	EXPECT_EQ(r->index, 0);
	EXPECT_EQ(r->name, "srd0");
	EXPECT_EQ(r->path, "/dev/srd0");
	EXPECT_EQ(r->size_bytes, 64 * MiB);
	EXPECT_EQ(r->used_bytes, 64 * MiB);
	EXPECT_EQ(r->logical_block_size, 4096u);
	EXPECT_EQ(r->numa_node, 0);
	EXPECT_TRUE(r->prealloc);
	EXPECT_TRUE(r->read_only);
	EXPECT_FALSE(r->overcommit);
}

TEST_F(FakeModule, CreateDefaultsAndExplicitIndex)
{
	RamdiskCreateOptions o = opts(4096);
	o.overcommit = true;
	o.index = 5;
	auto r = mgr.create(o);
	ASSERT_TRUE(r) << r.error().message;
	const srd_info &req = fake_srd().calls.back().info;
	EXPECT_EQ(req.index, 5);
	EXPECT_EQ(req.numa_node, SRD_NUMA_ANY);
	EXPECT_EQ(req.logical_block_size, 512u);
	EXPECT_EQ(req.flags, SRD_FLAG_OVERCOMMIT);
	EXPECT_EQ(r->name, "srd5");
	EXPECT_EQ(r->numa_node, std::nullopt);
	EXPECT_TRUE(r->overcommit);
}

TEST_F(FakeModule, CreateErrnoContract)
{
	disk(3, 4096);
	RamdiskCreateOptions o = opts(64 * MiB);
	o.index = 3;
	auto exists = mgr.create(o);
	ASSERT_FALSE(exists);
	EXPECT_EQ(exists.error().code, Errc::exists);
	EXPECT_EQ(exists.error().message, "srd3 already exists");
	EXPECT_EQ(cli::exit_code(exists.error().code), 5);

	struct Case {
		int err;
		Errc code;
		std::string text;
	};
	RamdiskCreateOptions big = opts(1ULL << 40);
	big.prealloc = true;
	for (const Case &c :
	     {Case{E2BIG, Errc::invalid_argument,
		   "size 1.0 TiB exceeds physical memory (" + format_size(physical_memory_bytes()) +
		   "); pass --overcommit to allow it"},
	      Case{ENOSPC, Errc::no_space, "cannot create another RAM disk"},
	      Case{ENOMEM, Errc::no_memory, "not enough memory to preallocate 1.0 TiB"},
	      Case{EINVAL, Errc::invalid_argument, "invalid RAM disk parameters"},
	      Case{EPERM, Errc::permission_denied, "requires CAP_SYS_ADMIN"},
	      Case{EIO, Errc::io_error, "cannot create"},
	      Case{ENOTTY, Errc::unsupported, "does not support"}}) {
		fake_srd().fail_request = SRD_IOC_ADD;
		fake_srd().fail_errno = c.err;
		auto r = mgr.create(big);
		ASSERT_FALSE(r) << c.err;
		EXPECT_EQ(r.error().code, c.code) << r.error().message;
		EXPECT_EQ(r.error().sys_errno, c.err);
		EXPECT_NE(r.error().message.find(c.text), std::string::npos) << r.error().message;
	}
	auto e2big = [&] {
		fake_srd().fail_request = SRD_IOC_ADD;
		fake_srd().fail_errno = E2BIG;
		return mgr.create(big).error().message;
	}();
	EXPECT_EQ(e2big, "size 1.0 TiB exceeds physical memory (" +
		  format_size(physical_memory_bytes()) + "); pass --overcommit to allow it");
}

TEST_F(FakeModule, ListIsSortedAndSkipsVanishedDisks)
{
	disk(10, 8192);
	disk(2, 4096, SRD_FLAG_READ_ONLY).open_count = 1;
	disk(0, 12288);
	tmp.mkdir("sys/block/srd7");  // in sysfs, gone from the module
	tmp.mkdir("sys/block/sda");

	auto l = mgr.list();
	ASSERT_TRUE(l) << l.error().message;
	ASSERT_EQ(l->size(), 3u);
	EXPECT_EQ((*l)[0].name, "srd0");
	EXPECT_EQ((*l)[1].name, "srd2");
	EXPECT_EQ((*l)[2].name, "srd10");
	EXPECT_EQ((*l)[1].open_count, 1u);
	EXPECT_TRUE((*l)[1].read_only);
	EXPECT_EQ((*l)[2].size_bytes, 8192u);
}

TEST_F(FakeModule, InfoAndNotFound)
{
	disk(1, 4096);
	auto found = mgr.info(std::string_view("/dev/srd1"));
	ASSERT_TRUE(found) << found.error().message;
	EXPECT_EQ(found->path, "/dev/srd1");

	auto missing = mgr.info(std::string_view("srd7"));
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().code, Errc::not_found);
	EXPECT_EQ(missing.error().message, "no RAM disk srd7");
	EXPECT_EQ(cli::exit_code(missing.error().code), 3);
}

TEST_F(FakeModule, Resize)
{
	disk(0, 64 * MiB).open_count = 1;
	auto grown = mgr.resize(0, 128 * MiB);
	ASSERT_TRUE(grown) << grown.error().message;
	EXPECT_EQ(grown->size_bytes, 128 * MiB);

	auto shrink = mgr.resize(0, 64 * MiB);
	ASSERT_FALSE(shrink);
	EXPECT_EQ(shrink.error().code, Errc::busy);
	EXPECT_NE(shrink.error().message.find("cannot shrink srd0 to 64.0 MiB"), std::string::npos)
		<< shrink.error().message;

	EXPECT_EQ(mgr.resize(4, 4096).error().code, Errc::not_found);

	for (auto [err, code] : {std::pair{E2BIG, Errc::invalid_argument},
				 std::pair{ENOMEM, Errc::no_memory},
				 std::pair{EPERM, Errc::permission_denied}}) {
		fake_srd().fail_request = SRD_IOC_RESIZE;
		fake_srd().fail_errno = err;
		auto r = mgr.resize(0, 256 * MiB);
		ASSERT_FALSE(r);
		EXPECT_EQ(r.error().code, code) << r.error().message;
	}
}

TEST_F(FakeModule, RemoveErrnoContract)
{
	disk(0, 4096).open_count = 2;
	auto busy = mgr.remove(std::string_view("srd0"));
	ASSERT_FALSE(busy);
	EXPECT_EQ(busy.error().code, Errc::busy);
	EXPECT_EQ(busy.error().message,
		  "srd0 is busy: it is open, mounted or held by another device "
		  "(e.g. a device-mapper table)");
	EXPECT_EQ(cli::exit_code(busy.error().code), 4);

	auto missing = mgr.remove(3);
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().code, Errc::not_found);
	EXPECT_EQ(missing.error().message, "no RAM disk srd3");

	fake_srd().fail_request = SRD_IOC_REMOVE;
	fake_srd().fail_errno = EPERM;
	auto perm = mgr.remove(0);
	ASSERT_FALSE(perm);
	EXPECT_EQ(perm.error().code, Errc::permission_denied);
	EXPECT_EQ(cli::exit_code(perm.error().code), 6);

	fake_srd().disks[0].open_count = 0;
	EXPECT_TRUE(mgr.remove(0));
	EXPECT_TRUE(fake_srd().disks.empty());
}

TEST_F(FakeModule, AbiVersionIsChecked)
{
	auto v = mgr.abi_version();
	ASSERT_TRUE(v) << v.error().message;
	EXPECT_EQ(*v, static_cast<std::uint32_t>(SRD_ABI_VERSION));

	disk(0, 4096);
	fake_srd().version = 0;
	auto r = mgr.info(0);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::unsupported);
	EXPECT_NE(r.error().message.find("ABI version 0"), std::string::npos) << r.error().message;
}

} // namespace
