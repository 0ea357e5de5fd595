// SPDX-License-Identifier: MIT
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <storctl/result.hpp>
#include <storctl/unique_fd.hpp>

using namespace storctl;

namespace {

Result<int> half(int v)
{
	if (v % 2)
		return make_error(Errc::invalid_argument, "odd");
	return v / 2;
}

Result<void> check(bool good)
{
	if (!good)
		return errno_error(EBUSY, "check");
	return ok();
}

} // namespace

TEST(Result, HoldsValue)
{
	Result<int> r = half(8);
	ASSERT_TRUE(r.has_value());
	EXPECT_TRUE(static_cast<bool>(r));
	EXPECT_EQ(r.value(), 4);
	EXPECT_EQ(*r, 4);
	EXPECT_EQ(r.value_or(7), 4);
}

TEST(Result, HoldsError)
{
	Result<int> r = half(3);
	ASSERT_FALSE(r.has_value());
	EXPECT_FALSE(static_cast<bool>(r));
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_EQ(r.error().sys_errno, 0);
	EXPECT_EQ(r.error().message, "odd");
	EXPECT_EQ(r.value_or(7), 7);
}

TEST(Result, ArrowAndMutation)
{
	Result<std::string> r = std::string("abc");
	EXPECT_EQ(r->size(), 3u);
	r->append("d");
	EXPECT_EQ(*r, "abcd");
	std::string moved = *std::move(r);
	EXPECT_EQ(moved, "abcd");
}

TEST(Result, MoveOnlyValue)
{
	Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
	ASSERT_TRUE(r);
	std::unique_ptr<int> p = std::move(r).value();
	EXPECT_EQ(*p, 5);
}

TEST(Result, ErrorCanBeMovedOut)
{
	Result<int> r = half(1);
	Error e = std::move(r).error();
	EXPECT_EQ(e.message, "odd");
}

TEST(Result, VoidSuccessAndFailure)
{
	Result<void> good = check(true);
	EXPECT_TRUE(good.has_value());
	EXPECT_TRUE(static_cast<bool>(good));
	good.value();  // no-op on success

	Result<void> bad = check(false);
	ASSERT_FALSE(bad);
	EXPECT_EQ(bad.error().code, Errc::busy);
	EXPECT_EQ(bad.error().sys_errno, EBUSY);
	EXPECT_EQ(bad.error().message, std::string("check: ") + std::strerror(EBUSY));
}

TEST(ResultDeathTest, ValueOnErrorAborts)
{
	Result<int> r = half(1);
	EXPECT_DEATH((void)r.value(), "value\\(\\) called on a Result holding an error");
	Result<void> v = check(false);
	EXPECT_DEATH(v.value(), "value\\(\\) called on a Result holding an error");
}

TEST(ResultDeathTest, ErrorOnValueAborts)
{
	Result<int> r = half(2);
	EXPECT_DEATH((void)r.error(), "error\\(\\) called on a Result holding a value");
	Result<void> v = ok();
	EXPECT_DEATH((void)v.error(), "error\\(\\) called on a Result holding a value");
}

TEST(Error, MakeError)
{
	Error e = make_error(Errc::not_found, "no RAM disk srd7");
	EXPECT_EQ(e.code, Errc::not_found);
	EXPECT_EQ(e.sys_errno, 0);
	EXPECT_EQ(e.message, "no RAM disk srd7");
}

TEST(Error, ErrnoErrorClassifiesAndDescribes)
{
	Error e = errno_error(ENOENT, "cannot open /x");
	EXPECT_EQ(e.code, Errc::not_found);
	EXPECT_EQ(e.sys_errno, ENOENT);
	EXPECT_EQ(e.message, std::string("cannot open /x: ") + std::strerror(ENOENT));

	Error u = errno_error(Errc::unsupported, ENOENT, "module missing");
	EXPECT_EQ(u.code, Errc::unsupported);
	EXPECT_EQ(u.sys_errno, ENOENT);

	Error bare = errno_error(EIO, "");
	EXPECT_EQ(bare.message, std::strerror(EIO));
}

struct ErrnoCase {
	int err;
	Errc code;
};

void PrintTo(const ErrnoCase &c, std::ostream *os)
{
	*os << c.err << " -> " << to_string(c.code);
}

class ErrnoMapping : public ::testing::TestWithParam<ErrnoCase> {};

TEST_P(ErrnoMapping, MapsToErrc)
{
	EXPECT_EQ(errc_from_errno(GetParam().err), GetParam().code)
		<< "errno " << GetParam().err << " (" << std::strerror(GetParam().err) << ")";
}

INSTANTIATE_TEST_SUITE_P(
	Table, ErrnoMapping,
	::testing::Values(
		ErrnoCase{EINVAL, Errc::invalid_argument}, ErrnoCase{E2BIG, Errc::invalid_argument},
		ErrnoCase{ERANGE, Errc::invalid_argument}, ErrnoCase{EDOM, Errc::invalid_argument},
		ErrnoCase{EOVERFLOW, Errc::invalid_argument},
		ErrnoCase{ENAMETOOLONG, Errc::invalid_argument},
		ErrnoCase{EBADMSG, Errc::invalid_argument},
		ErrnoCase{ENOENT, Errc::not_found}, ErrnoCase{ENODEV, Errc::not_found},
		ErrnoCase{ENXIO, Errc::not_found}, ErrnoCase{ESRCH, Errc::not_found},
		ErrnoCase{EBUSY, Errc::busy}, ErrnoCase{ETXTBSY, Errc::busy},
		ErrnoCase{EEXIST, Errc::exists}, ErrnoCase{ENOTEMPTY, Errc::exists},
		ErrnoCase{EPERM, Errc::permission_denied}, ErrnoCase{EACCES, Errc::permission_denied},
		ErrnoCase{ENOTTY, Errc::unsupported}, ErrnoCase{EOPNOTSUPP, Errc::unsupported},
		ErrnoCase{ENOTSUP, Errc::unsupported}, ErrnoCase{ENOSYS, Errc::unsupported},
		ErrnoCase{EPROTONOSUPPORT, Errc::unsupported},
		ErrnoCase{ENOMEM, Errc::no_memory},
		ErrnoCase{ENOSPC, Errc::no_space}, ErrnoCase{EDQUOT, Errc::no_space},
		ErrnoCase{EMFILE, Errc::no_space}, ErrnoCase{ENFILE, Errc::no_space},
		ErrnoCase{EIO, Errc::io_error}, ErrnoCase{EROFS, Errc::io_error},
		ErrnoCase{ENOTBLK, Errc::io_error},
		ErrnoCase{0, Errc::internal}, ErrnoCase{EFAULT, Errc::internal},
		ErrnoCase{EBADF, Errc::internal},
		ErrnoCase{EAGAIN, Errc::kernel_failure}, ErrnoCase{EINTR, Errc::kernel_failure},
		ErrnoCase{ETIMEDOUT, Errc::kernel_failure}, ErrnoCase{12345, Errc::kernel_failure}));

TEST(Errc, EveryEnumeratorHasADistinctName)
{
	std::set<std::string_view> names;
	for (Errc c : kAllErrc) {
		std::string_view n = to_string(c);
		EXPECT_NE(n, "unknown");
		EXPECT_FALSE(n.empty());
		names.insert(n);
	}
	EXPECT_EQ(names.size(), std::size(kAllErrc));
	EXPECT_EQ(to_string(Errc::invalid_argument), "invalid_argument");
	EXPECT_EQ(to_string(Errc::internal), "internal");
}

TEST(UniqueFd, OwnsAndCloses)
{
	auto fd = UniqueFd::open("/dev/null", O_RDONLY);
	ASSERT_TRUE(fd);
	int raw = fd->get();
	EXPECT_GE(raw, 0);
	EXPECT_TRUE(fd->valid());

	UniqueFd moved = std::move(*fd);
	EXPECT_FALSE(fd->valid());
	EXPECT_EQ(moved.get(), raw);
	moved.reset();
	EXPECT_FALSE(moved.valid());
	EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed
}

TEST(UniqueFd, OpenFailureIsAnError)
{
	auto fd = UniqueFd::open("/nonexistent/storctl/file", O_RDONLY);
	ASSERT_FALSE(fd);
	EXPECT_EQ(fd.error().code, Errc::not_found);
	EXPECT_EQ(fd.error().sys_errno, ENOENT);
	EXPECT_NE(fd.error().message.find("/nonexistent/storctl/file"), std::string::npos);
}

TEST(ReadToEnd, ReadsAllAndStopsPastTheLimit)
{
	int p[2];
	ASSERT_EQ(::pipe(p), 0);
	UniqueFd rd(p[0]), wr(p[1]);
	const std::string data(10000, 'x');
	ASSERT_EQ(::write(wr.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
	wr.reset();
	auto all = read_to_end(rd.get(), "pipe");
	ASSERT_TRUE(all) << all.error().message;
	EXPECT_EQ(*all, data);

	ASSERT_EQ(::pipe(p), 0);
	rd.reset(p[0]);
	wr.reset(p[1]);
	ASSERT_EQ(::write(wr.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
	auto some = read_to_end(rd.get(), "pipe", 100);
	ASSERT_TRUE(some);
	EXPECT_GT(some->size(), 100U);  // stopped early: more than the limit, not all
	EXPECT_LT(some->size(), data.size());
}

TEST(ReadToEnd, ErrorNamesWhatAndKeepsErrno)
{
	auto r = read_to_end(-1, "the thing");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().sys_errno, EBADF);
	EXPECT_NE(r.error().message.find("cannot read the thing"), std::string::npos);
}
