// SPDX-License-Identifier: MIT
//
// UniqueFd: sole owner of a file descriptor, closed on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
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

/// Read @fd from its offset to end of file, retrying EINTR.  Stops once more
/// than @limit bytes are in (the caller sees size() > limit).  A read(2)
/// error is errno_error(errno, "cannot read " + what).
Result<std::string> read_to_end(int fd, const std::string &what,
				std::size_t limit = SIZE_MAX);

} // namespace storctl
