// SPDX-License-Identifier: MIT
#include <storctl/result.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace storctl {

std::string_view to_string(Errc code) noexcept
{
	switch (code) {
	case Errc::invalid_argument:	return "invalid_argument";
	case Errc::not_found:		return "not_found";
	case Errc::busy:		return "busy";
	case Errc::exists:		return "exists";
	case Errc::permission_denied:	return "permission_denied";
	case Errc::unsupported:		return "unsupported";
	case Errc::no_memory:		return "no_memory";
	case Errc::no_space:		return "no_space";
	case Errc::kernel_failure:	return "kernel_failure";
	case Errc::io_error:		return "io_error";
	case Errc::internal:		return "internal";
	}
	return "unknown";
}

Errc errc_from_errno(int err) noexcept
{
	switch (err) {
	case EINVAL:
	case E2BIG:
	case ERANGE:
	case EDOM:
	case EOVERFLOW:
	case ENAMETOOLONG:
	case EBADMSG:
		return Errc::invalid_argument;
	case ENOENT:
	case ENODEV:
	case ENXIO:
	case ESRCH:
		return Errc::not_found;
	case EBUSY:
	case ETXTBSY:
		return Errc::busy;
	case EEXIST:
	case ENOTEMPTY:
		return Errc::exists;
	case EPERM:
	case EACCES:
		return Errc::permission_denied;
	case ENOTTY:
	case EOPNOTSUPP:
#if ENOTSUP != EOPNOTSUPP
	case ENOTSUP:
#endif
	case ENOSYS:
	case EPROTONOSUPPORT:
		return Errc::unsupported;
	case ENOMEM:
		return Errc::no_memory;
	case ENOSPC:
	case EDQUOT:
	case EMFILE:
	case ENFILE:
		return Errc::no_space;
	case EIO:
	case EROFS:
	case ENOTBLK:
		return Errc::io_error;
	case 0:
	case EFAULT:
	case EBADF:
		return Errc::internal;
	default:
		return Errc::kernel_failure;
	}
}

Error make_error(Errc code, std::string message)
{
	return Error{code, 0, std::move(message)};
}

Error errno_error(Errc code, int err, std::string_view context)
{
	std::string msg(context);
	if (!msg.empty())
		msg += ": ";
	msg += std::strerror(err);
	return Error{code, err, std::move(msg)};
}

Error errno_error(int err, std::string_view context)
{
	return errno_error(errc_from_errno(err), err, context);
}

namespace detail {
void bad_result_access(const char *what) noexcept
{
	std::fprintf(stderr, "storctl: internal error: %s\n", what);
	std::abort();
}
} // namespace detail

} // namespace storctl
