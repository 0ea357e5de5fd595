// SPDX-License-Identifier: MIT
//
// NVMe-oF names and identifiers: transports, IP addresses, port and service
// ids, NQN syntax, SHA-1, name-based UUIDs, serial and model numbers.
#include <storctl/nvmet.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>

namespace storctl::nvmet {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A decimal number, whole string, no sign, within [lo, hi].
std::optional<unsigned long> parse_decimal(std::string_view s, unsigned long lo, unsigned long hi)
{
	if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), is_digit))
		return std::nullopt;
	unsigned long v = 0;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
		return std::nullopt;
	return v;
}

// One label of a reverse domain name: letters, digits, '-', not starting
// or ending with '-'.
bool valid_label(std::string_view l)
{
	if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-')
		return false;
	return std::all_of(l.begin(), l.end(),
			   [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
}

bool valid_uuid_text(std::string_view u)
{
	if (u.size() != 36)
		return false;
	for (std::size_t i = 0; i < u.size(); i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? u[i] != '-' : !is_hex(u[i]))
			return false;
	}
	return true;
}

std::string hex(const std::uint8_t *p, std::size_t n)
{
	static const char digits[] = "0123456789abcdef";
	std::string s;
	s.reserve(n * 2);
	for (std::size_t i = 0; i < n; i++) {
		s += digits[p[i] >> 4];
		s += digits[p[i] & 15];
	}
	return s;
}

std::string uuid_text(const std::uint8_t *b)
{
	std::string h = hex(b, 16);
	return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
	       "-" + h.substr(20, 12);
}

// storctl's namespace for name-based UUIDs (a random v4 UUID, fixed
// forever: changing it changes every exported namespace's identity).
constexpr std::array<std::uint8_t, 16> kUuidNamespace = {
	0x6b, 0x1d, 0x3e, 0x52, 0x8f, 0x0a, 0x4c, 0x77,
	0x9a, 0x2e, 0x51, 0xc4, 0x3d, 0x86, 0xf0, 0x19,
};

std::uint32_t rol(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

} // namespace

std::string_view to_string(Transport t) noexcept
{
	switch (t) {
	case Transport::tcp:	return "tcp";
	case Transport::rdma:	return "rdma";
	case Transport::loop:	return "loop";
	}
	return "tcp";
}

Result<Transport> parse_transport(std::string_view text)
{
	if (text == "tcp")
		return Transport::tcp;
	if (text == "rdma")
		return Transport::rdma;
	if (text == "loop")
		return Transport::loop;
	return make_error(Errc::invalid_argument,
			  "unknown transport '" + std::string(text) + "': expected tcp, rdma or loop");
}

std::string_view transport_module(Transport t) noexcept
{
	switch (t) {
	case Transport::tcp:	return "nvmet-tcp";
	case Transport::rdma:	return "nvmet-rdma";
	case Transport::loop:	return "nvme-loop";
	}
	return "nvmet-tcp";
}

Result<IpAddress> parse_ip_address(std::string_view text)
{
	std::string s(text);
	if (s.size() > 2 && s.front() == '[' && s.back() == ']')
		s = s.substr(1, s.size() - 2);
	char buf[INET6_ADDRSTRLEN] = {};
	unsigned char bin[16] = {};
	if (s.find(':') == std::string::npos) {
		if (::inet_pton(AF_INET, s.c_str(), bin) == 1 &&
		    ::inet_ntop(AF_INET, bin, buf, sizeof(buf)))
			return IpAddress{"ipv4", buf};
	} else if (::inet_pton(AF_INET6, s.c_str(), bin) == 1 &&
		   ::inet_ntop(AF_INET6, bin, buf, sizeof(buf))) {
		return IpAddress{"ipv6", buf};
	}
	return make_error(Errc::invalid_argument,
			  "invalid address '" + std::string(text) +
			  "': expected an IPv4 or IPv6 address (e.g. 192.0.2.1, fd00::1)");
}

Result<std::uint16_t> parse_port_id(std::string_view text)
{
	auto v = parse_decimal(text, kMinPortId, kMaxPortId);
	if (!v)
		return make_error(Errc::invalid_argument,
				  "invalid port id '" + std::string(text) + "': expected a number from " +
				  std::to_string(kMinPortId) + " to " + std::to_string(kMaxPortId));
	return static_cast<std::uint16_t>(*v);
}

Result<std::uint16_t> parse_service(std::string_view text)
{
	auto v = parse_decimal(text, 1, 65535);
	if (!v)
		return make_error(Errc::invalid_argument,
				  "invalid service id '" + std::string(text) +
				  "': expected a port number from 1 to 65535");
	return static_cast<std::uint16_t>(*v);
}

Result<void> validate_nqn(std::string_view nqn, std::string_view what)
{
	auto bad = [&](std::string_view why) {
		return make_error(Errc::invalid_argument,
				  "invalid " + std::string(what) + " '" + std::string(nqn) + "': " +
				  std::string(why));
	};
	if (nqn.empty())
		return bad("empty");
	if (nqn.size() > kMaxNqnLength)
		return bad("longer than 223 bytes");
	for (char c : nqn) {
		auto u = static_cast<unsigned char>(c);
		if (u <= 0x20 || u >= 0x7f || c == '/')
			return bad("only printable ASCII characters without spaces and '/' are allowed");
	}
	if (!nqn.starts_with("nqn."))
		return bad("must start with 'nqn.'");
	std::string_view rest = nqn.substr(4);
	// yyyy-mm.
	if (rest.size() < 8 || rest[4] != '-' || rest[7] != '.')
		return bad("expected nqn.yyyy-mm.<reverse domain>[:<name>] or "
			   "nqn.2014-08.org.nvmexpress:uuid:<uuid>");
	auto year = parse_decimal(rest.substr(0, 4), 1000, 9999);
	auto month = parse_decimal(rest.substr(5, 2), 1, 12);
	if (!year || !month || !is_digit(rest[5]) || !is_digit(rest[6]))
		return bad("the date must be yyyy-mm with a month from 01 to 12");
	rest.remove_prefix(8);

	std::size_t colon = rest.find(':');
	std::string_view domain = rest.substr(0, colon);
	if (domain.empty())
		return bad("the reverse domain name after the date is missing");
	std::size_t start = 0;
	for (;;) {
		std::size_t dot = domain.find('.', start);
		if (!valid_label(domain.substr(start, dot == std::string_view::npos ? dot : dot - start)))
			return bad("the reverse domain name '" + std::string(domain) +
				   "' must be labels of letters, digits and '-' separated by '.'");
		if (dot == std::string_view::npos)
			break;
		start = dot + 1;
	}
	if (colon == std::string_view::npos)
		return ok();
	std::string_view name = rest.substr(colon + 1);
	if (name.empty())
		return bad("nothing after ':'");
	if (nqn.starts_with("nqn.2014-08.org.nvmexpress:uuid:") &&
	    !valid_uuid_text(nqn.substr(std::string_view("nqn.2014-08.org.nvmexpress:uuid:").size())))
		return bad("the UUID form needs a UUID like 123e4567-e89b-12d3-a456-426614174000");
	return ok();
}

Result<void> validate_subsystem_nqn(std::string_view nqn)
{
	if (auto r = validate_nqn(nqn, "NQN"); !r)
		return r;
	if (nqn == kDiscoveryNqn)
		return make_error(Errc::invalid_argument,
				  "invalid NQN '" + std::string(nqn) +
				  "': the discovery subsystem cannot be exported to");
	return ok();
}

std::string volume_label(std::string_view volume_path)
{
	std::string_view base = volume_path;
	while (base.size() > 1 && base.back() == '/')
		base.remove_suffix(1);
	if (auto slash = base.rfind('/'); slash != std::string_view::npos)
		base.remove_prefix(slash + 1);
	std::string out;
	for (char c : base)
		out += (is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-') ? c : '_';
	return out.empty() ? std::string("volume") : out;
}

std::string default_nqn(std::string_view hostname, std::string_view volume_path)
{
	std::string host;
	for (char c : hostname)
		if (is_alpha(c) || is_digit(c) || c == '.' || c == '-')
			host += c;
	if (host.empty())
		host = "localhost";
	if (host.size() > 64)
		host.resize(64);
	std::string nqn = std::string(kNqnPrefix) + host + ":" + volume_label(volume_path);
	if (nqn.size() > kMaxNqnLength)
		nqn.resize(kMaxNqnLength);
	return nqn;
}

std::array<std::uint8_t, 20> sha1(std::string_view data)
{
	std::uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
	// Message plus padding: 0x80, zeros, 64-bit big-endian bit length.
	std::string msg(data);
	const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
	msg += static_cast<char>(0x80);
	while (msg.size() % 64 != 56)
		msg += '\0';
	for (int i = 7; i >= 0; i--)
		msg += static_cast<char>((bits >> (i * 8)) & 0xff);

	for (std::size_t off = 0; off < msg.size(); off += 64) {
		std::uint32_t w[80];
		for (int i = 0; i < 16; i++) {
			const auto *p = reinterpret_cast<const unsigned char *>(msg.data() + off + i * 4);
			w[i] = (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) |
			       (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
		}
		for (int i = 16; i < 80; i++)
			w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
		std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
		for (int i = 0; i < 80; i++) {
			std::uint32_t f, k;
			if (i < 20) {
				f = (b & c) | (~b & d);
				k = 0x5a827999;
			} else if (i < 40) {
				f = b ^ c ^ d;
				k = 0x6ed9eba1;
			} else if (i < 60) {
				f = (b & c) | (b & d) | (c & d);
				k = 0x8f1bbcdc;
			} else {
				f = b ^ c ^ d;
				k = 0xca62c1d6;
			}
			std::uint32_t t = rol(a, 5) + f + e + k + w[i];
			e = d;
			d = c;
			c = rol(b, 30);
			b = a;
			a = t;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
	}
	std::array<std::uint8_t, 20> out{};
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 4; j++)
			out[i * 4 + j] = static_cast<std::uint8_t>(h[i] >> (24 - j * 8));
	return out;
}

std::string uuid_v5(const std::array<std::uint8_t, 16> &ns, std::string_view name)
{
	std::string input(reinterpret_cast<const char *>(ns.data()), ns.size());
	input += name;
	auto d = sha1(input);
	d[6] = static_cast<std::uint8_t>((d[6] & 0x0f) | 0x50);  // version 5
	d[8] = static_cast<std::uint8_t>((d[8] & 0x3f) | 0x80);  // RFC 4122 variant
	return uuid_text(d.data());
}

NamespaceIds namespace_ids(std::string_view nqn, std::string_view device_path)
{
	const std::string name = std::string(nqn) + "\n" + std::string(device_path);
	NamespaceIds ids;
	ids.uuid = uuid_v5(kUuidNamespace, name);
	auto g = sha1("nguid\n" + name);
	ids.nguid = uuid_text(g.data());
	return ids;
}

std::string subsystem_serial(std::string_view nqn)
{
	auto d = sha1(nqn);
	return std::string(kSerialPrefix) + hex(d.data(), 6);
}

std::string subsystem_model(std::string_view volume_path)
{
	std::string m = std::string(kModelPrefix) + " " + volume_label(volume_path);
	if (m.size() > 40)
		m.resize(40);
	return m;
}

} // namespace storctl::nvmet
