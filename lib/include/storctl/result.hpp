// SPDX-License-Identifier: MIT
//
// storctl::Result<T> -- errors as values for the libstorctl API.
//
// No libstorctl function throws across its API.  Every fallible operation
// returns Result<T> (or Result<void>), which holds either a value or an
// Error.  Error carries a small classification (Errc) that front ends map to
// their own conventions (the CLI maps it to an exit code in exactly one
// place), the errno that caused it (0 when the error did not come from the
// system), and a complete, human-readable message.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace storctl {

/// Error classification.  Keep this small: it is what callers branch on.
enum class Errc {
	invalid_argument,  ///< bad input (caught by the lib or rejected by the kernel)
	not_found,         ///< the named object does not exist
	busy,              ///< the object is in use (open, mounted, held)
	exists,            ///< the object already exists
	permission_denied, ///< missing privilege (CAP_SYS_ADMIN, file mode)
	unsupported,       ///< module not loaded, ABI mismatch, unsupported op
	no_memory,         ///< the kernel ran out of memory (ENOMEM)
	no_space,          ///< a limit was reached (ENOSPC, e.g. max_disks)
	kernel_failure,    ///< any other error reported by the kernel
	io_error,          ///< reading/writing a file or device failed (EIO)
	internal,          ///< a bug or an impossible state
};

/// Every enumerator, in declaration order (for tests and tables).
inline constexpr Errc kAllErrc[] = {
	Errc::invalid_argument, Errc::not_found,     Errc::busy,
	Errc::exists,           Errc::permission_denied, Errc::unsupported,
	Errc::no_memory,        Errc::no_space,      Errc::kernel_failure,
	Errc::io_error,         Errc::internal,
};

/// Stable lower-case name of an Errc ("invalid_argument", ...).
std::string_view to_string(Errc code) noexcept;

/// Classify an errno value.  The one errno -> Errc table:
///
///   EINVAL E2BIG ERANGE EDOM EOVERFLOW ENAMETOOLONG EBADMSG -> invalid_argument
///   ENOENT ENODEV ENXIO ESRCH                          -> not_found
///   EBUSY ETXTBSY                                      -> busy
///   EEXIST ENOTEMPTY                                   -> exists
///   EPERM EACCES                                       -> permission_denied
///   ENOTTY EOPNOTSUPP ENOTSUP ENOSYS EPROTONOSUPPORT   -> unsupported
///   ENOMEM                                             -> no_memory
///   ENOSPC EDQUOT EMFILE ENFILE                        -> no_space
///   EIO EROFS ENOTBLK                                  -> io_error
///   EFAULT EBADF 0                                     -> internal
///   anything else                                      -> kernel_failure
///
/// Context-specific meanings (e.g. ENOENT on /dev/srd-control means "module
/// not loaded", i.e. unsupported) are applied by the caller, not here.
Errc errc_from_errno(int err) noexcept;

struct Error {
	Errc code = Errc::internal;
	int sys_errno = 0;    ///< errno behind the error, 0 if none
	std::string message;  ///< complete sentence-like message, no trailing newline
};

/// An Error with no errno behind it.
Error make_error(Errc code, std::string message);

/// An Error from an errno value: code = errc_from_errno(err), message =
/// "<context>: <strerror(err)>".
Error errno_error(int err, std::string_view context);

/// Same with an explicit classification (when the context knows better).
Error errno_error(Errc code, int err, std::string_view context);

namespace detail {
/// Called when value()/error() is used on the wrong alternative: a
/// programming error.  Prints a diagnostic and aborts (no exceptions).
[[noreturn]] void bad_result_access(const char *what) noexcept;
} // namespace detail

/// Expected-like holder of a T or an Error.
template <typename T>
class [[nodiscard]] Result {
	static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
	static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>,
		      "Result<Error> is ambiguous");

public:
	using value_type = T;

	/// Value construction (implicit so `return value;` works).
	template <typename U = T,
		  typename = std::enable_if_t<std::is_constructible_v<T, U &&> &&
					      !std::is_same_v<std::remove_cvref_t<U>, Error> &&
					      !std::is_same_v<std::remove_cvref_t<U>, Result>>>
	Result(U &&value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}

	/// Error construction (implicit so `return make_error(...);` works).
	Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

	bool has_value() const noexcept { return v_.index() == 0; }
	explicit operator bool() const noexcept { return has_value(); }

	T &value() & { check_value(); return std::get<0>(v_); }
	const T &value() const & { check_value(); return std::get<0>(v_); }
	T &&value() && { check_value(); return std::get<0>(std::move(v_)); }

	const Error &error() const & { check_error(); return std::get<1>(v_); }
	Error &&error() && { check_error(); return std::get<1>(std::move(v_)); }

	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	T &&operator*() && { return std::move(*this).value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }

	template <typename U>
	T value_or(U &&fallback) const & {
		return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
	}

private:
	void check_value() const {
		if (!has_value())
			detail::bad_result_access("value() called on a Result holding an error");
	}
	void check_error() const {
		if (has_value())
			detail::bad_result_access("error() called on a Result holding a value");
	}

	std::variant<T, Error> v_;
};

/// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
	using value_type = void;

	Result() = default;
	Result(Error error) : err_(std::move(error)) {}

	bool has_value() const noexcept { return !err_.has_value(); }
	explicit operator bool() const noexcept { return has_value(); }

	void value() const {
		if (!has_value())
			detail::bad_result_access("value() called on a Result holding an error");
	}
	const Error &error() const & {
		if (has_value())
			detail::bad_result_access("error() called on a Result holding a value");
		return *err_;
	}
	Error &&error() && {
		if (has_value())
			detail::bad_result_access("error() called on a Result holding a value");
		return std::move(*err_);
	}

private:
	std::optional<Error> err_;
};

/// Convenience: the success value of Result<void>.
inline Result<void> ok() { return {}; }

} // namespace storctl
