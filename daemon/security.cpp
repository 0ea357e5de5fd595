// SPDX-License-Identifier: MIT
#include "security.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storctl/unique_fd.hpp>

namespace storctl::daemon {

bool ListenAddress::loopback() const
{
	if (!ipv6) {
		const auto *sin = reinterpret_cast<const sockaddr_in *>(&addr);
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	const auto *sin6 = reinterpret_cast<const sockaddr_in6 *>(&addr);
	const in6_addr &a = sin6->sin6_addr;
	if (IN6_IS_ADDR_LOOPBACK(&a))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
}

Result<ListenAddress> parse_listen_address(std::string_view text)
{
	auto bad = [&](std::string_view why) {
		return make_error(Errc::invalid_argument,
				  "invalid listen address '" + std::string(text) + "': " + std::string(why));
	};
	std::size_t colon = text.rfind(':');
	if (colon == std::string_view::npos)
		return bad("expected ADDR:PORT, e.g. 127.0.0.1:9118 or [::1]:9118");
	std::string_view host = text.substr(0, colon);
	std::string_view port_s = text.substr(colon + 1);

	unsigned port = 0;
	auto [ptr, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
	if (port_s.empty() || ec != std::errc() || ptr != port_s.data() + port_s.size() ||
	    port > 65535 || (port_s.size() > 1 && port_s[0] == '0'))
		return bad("the port must be a number from 0 to 65535");

	ListenAddress la;
	la.port = static_cast<std::uint16_t>(port);
	if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
		std::string h(host.substr(1, host.size() - 2));
		auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&la.addr);
		if (::inet_pton(AF_INET6, h.c_str(), &sin6->sin6_addr) != 1)
			return bad("'" + h + "' is not a numeric IPv6 address");
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(la.port);
		la.addr_len = sizeof(sockaddr_in6);
		la.ipv6 = true;
		char buf[INET6_ADDRSTRLEN] = {};
		::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
		la.text = "[" + std::string(buf) + "]:" + std::to_string(la.port);
		return la;
	}
	if (host.find(':') != std::string_view::npos)
		return bad("write IPv6 addresses in brackets: [::1]:9118");
	std::string h(host);
	auto *sin = reinterpret_cast<sockaddr_in *>(&la.addr);
	if (h.empty() || ::inet_pton(AF_INET, h.c_str(), &sin->sin_addr) != 1)
		return bad("'" + h + "' is not a numeric IPv4 address (host names are not accepted)");
	sin->sin_family = AF_INET;
	sin->sin_port = htons(la.port);
	la.addr_len = sizeof(sockaddr_in);
	char buf[INET_ADDRSTRLEN] = {};
	::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
	la.text = std::string(buf) + ":" + std::to_string(la.port);
	return la;
}

Result<std::string> load_token_file(const std::string &path)
{
	auto fd = UniqueFd::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY);
	if (!fd) {
		int err = fd.error().sys_errno;
		if (err == ELOOP)
			return make_error(Errc::permission_denied,
					  "token file " + path + " is a symbolic link (not accepted)");
		return errno_error(err, "cannot open token file " + path);
	}
	struct stat st {};
	if (::fstat(fd->get(), &st) != 0)
		return errno_error(errno, "cannot stat token file " + path);
	if (!S_ISREG(st.st_mode))
		return make_error(Errc::invalid_argument, "token file " + path + " is not a regular file");
	if (st.st_uid != 0 && st.st_uid != ::geteuid())
		return make_error(Errc::permission_denied,
				  "token file " + path + " must be owned by root or by uid " +
				  std::to_string(::geteuid()) + " (it is owned by uid " +
				  std::to_string(st.st_uid) + ")");
	if (st.st_mode & 077) {
		char mode[8];
		std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
		return make_error(Errc::permission_denied,
				  "token file " + path + " has mode " + mode +
				  ": it must not be accessible by group or others (chmod 600)");
	}
	if (st.st_size > 4096)
		return make_error(Errc::invalid_argument, "token file " + path + " is larger than 4096 bytes");

	auto read = read_to_end(fd->get(), "token file " + path, 4096);
	if (!read)
		return std::move(read).error();
	const std::string &content = *read;
	if (content.size() > 4096)
		return make_error(Errc::invalid_argument,
				  "token file " + path + " is larger than 4096 bytes");
	std::string token = content.substr(0, content.find('\n'));
	while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\r'))
		token.pop_back();
	if (token.size() < kMinTokenLength)
		return make_error(Errc::invalid_argument,
				  "token in " + path + " is shorter than " +
				  std::to_string(kMinTokenLength) + " characters");
	for (char ch : token) {
		auto c = static_cast<unsigned char>(ch);
		if (c < 0x21 || c > 0x7e)
			return make_error(Errc::invalid_argument,
					  "token in " + path + " contains spaces or non-printable characters");
	}
	return token;
}

bool constant_time_equal(std::string_view given, std::string_view expected) noexcept
{
	// Loop over the expected length whatever @given is, accumulate every
	// difference; volatile keeps the compiler from short-cutting it.
	volatile unsigned char diff = given.size() == expected.size() ? 0 : 1;
	const std::size_t gn = given.size();
	for (std::size_t i = 0; i < expected.size(); i++) {
		unsigned char g = i < gn ? static_cast<unsigned char>(given[i]) : 0;
		diff = static_cast<unsigned char>(diff | (g ^ static_cast<unsigned char>(expected[i])));
	}
	return diff == 0;
}

bool bearer_matches(std::string_view authorization, std::string_view token) noexcept
{
	constexpr std::string_view scheme = "bearer";
	if (token.empty() || authorization.size() <= scheme.size() + 1)
		return false;
	for (std::size_t i = 0; i < scheme.size(); i++) {
		char c = authorization[i];
		if (c >= 'A' && c <= 'Z')
			c = static_cast<char>(c - 'A' + 'a');
		if (c != scheme[i])
			return false;
	}
	if (authorization[scheme.size()] != ' ')
		return false;
	std::string_view given = authorization.substr(scheme.size() + 1);
	while (!given.empty() && given.front() == ' ')
		given.remove_prefix(1);
	while (!given.empty() && (given.back() == ' ' || given.back() == '\t'))
		given.remove_suffix(1);
	return constant_time_equal(given, token);
}

} // namespace storctl::daemon
