// SPDX-License-Identifier: MIT
#include <storctl/unique_fd.hpp>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace storctl {

void UniqueFd::reset(int fd) noexcept
{
	if (fd_ >= 0 && fd_ != fd)
		::close(fd_);  // errors from close() on a control fd carry no data loss
	fd_ = fd;
}

Result<UniqueFd> UniqueFd::open(const char *path, int flags)
{
	int fd;
	do {
		fd = ::open(path, flags | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return errno_error(errno, std::string("cannot open ") + path);
	return UniqueFd(fd);
}

} // namespace storctl
