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

Result<std::string> read_to_end(int fd, const std::string &what, std::size_t limit)
{
	std::string out;
	char buf[4096];
	while (out.size() <= limit) {
		ssize_t n = ::read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno_error(errno, "cannot read " + what);
		}
		if (n == 0)
			break;
		out.append(buf, static_cast<std::size_t>(n));
	}
	return out;
}

} // namespace storctl
