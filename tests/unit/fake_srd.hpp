// SPDX-License-Identifier: MIT
//
// An in-process fake of the stor_ramdisk control device, so the manager's
// request building and errno mapping can be tested on the host without the
// module.  The test binary defines ioctl(2) itself (which takes precedence
// over libc's); requests on a descriptor of the attached control file (a
// plain temporary file) are answered here, everything else goes to libc.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <storctl/ramdisk.h>

namespace storctl::test {

struct FakeCall {
	unsigned long request;
	srd_info info;  // as passed in (zeroed for GET_VERSION)
};

struct FakeSrd {
	std::map<int, srd_info> disks;
	std::uint32_t version = SRD_ABI_VERSION;
	int max_disks = 64;
	/// When non-zero, the next request equal to fail_request fails with it.
	int fail_errno = 0;
	unsigned long fail_request = 0;
	std::vector<FakeCall> calls;

	/// Answer requests on descriptors of @path (a regular file).
	void attach(const std::string &path);
	void detach();

	/// Add a disk directly (as if created earlier).
	srd_info &add_disk(int index, std::uint64_t size, std::uint32_t flags = 0);

	/// 0 or -1 with errno set; called by the ioctl() override.
	int handle(unsigned long request, void *arg);
};

/// The one fake (the ioctl override needs a global).
FakeSrd &fake_srd();

} // namespace storctl::test
