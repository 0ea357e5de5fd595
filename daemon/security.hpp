// SPDX-License-Identifier: MIT
//
// Listen addresses, bearer tokens and the token file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>

#include <storctl/result.hpp>

namespace storctl::daemon {

/// A numeric listen address: "127.0.0.1:9118", "[::1]:9118",
/// "0.0.0.0:9118", "[::]:0".  Host names are not accepted.
struct ListenAddress {
	std::string text;  ///< normalised "ADDR:PORT" / "[ADDR]:PORT"
	sockaddr_storage addr{};
	socklen_t addr_len = 0;
	bool ipv6 = false;
	std::uint16_t port = 0;

	/// 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104.
	bool loopback() const;
};

Result<ListenAddress> parse_listen_address(std::string_view text);

/// Minimum token length accepted from a token file.
inline constexpr std::size_t kMinTokenLength = 16;

/// Read a bearer token from @path.  The file must be a regular file owned
/// by root or by the daemon's effective uid, with no permission bits for
/// group or others (mode 0600 or 0400); its first line, without trailing
/// whitespace, is the token: at least kMinTokenLength visible ASCII
/// characters.  Opened with O_NOFOLLOW and checked with fstat (no race
/// between the check and the read).
Result<std::string> load_token_file(const std::string &path);

/// Compare @given with @expected in time that depends only on
/// expected.size(): no early exit on the first difference.
bool constant_time_equal(std::string_view given, std::string_view expected) noexcept;

/// Check an Authorization header value against @token: "Bearer <token>"
/// (scheme case-insensitive).  An empty or malformed header is false.
bool bearer_matches(std::string_view authorization, std::string_view token) noexcept;

} // namespace storctl::daemon
