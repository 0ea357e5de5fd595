// SPDX-License-Identifier: MIT
//
// UniqueFd: sole owner of a file descriptor, closed on destruction.
#pragma once

#include <utility>

#include <storctl/result.hpp>

namespace storctl {

class UniqueFd {
public:
	UniqueFd() noexcept = default;
	explicit UniqueFd(int fd) noexcept : fd_(fd) {}
	~UniqueFd() { reset(); }

	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;
	UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
	UniqueFd &operator=(UniqueFd &&other) noexcept
	{
		if (this != &other)
			reset(other.release());
		return *this;
	}

	int get() const noexcept { return fd_; }
	bool valid() const noexcept { return fd_ >= 0; }
	explicit operator bool() const noexcept { return valid(); }

	/// Give up ownership without closing.
	int release() noexcept { return std::exchange(fd_, -1); }
	/// Close the current descriptor (if any) and own @fd instead.
	void reset(int fd = -1) noexcept;

	/// open(2) with O_CLOEXEC added; errors as errno_error(errno, path).
	static Result<UniqueFd> open(const char *path, int flags);

private:
	int fd_ = -1;
};

} // namespace storctl
