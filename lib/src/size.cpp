// SPDX-License-Identifier: MIT
#include <storctl/size.hpp>

#include <array>
#include <cctype>

namespace storctl {

namespace {

struct Suffix {
	std::string_view name;  // upper case
	std::uint64_t multiplier;
};

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t KB = 1000;

constexpr std::array<Suffix, 13> kSuffixes{{
	{"", 1},
	{"B", 1},
	{"K", KiB},
	{"M", KiB * KiB},
	{"G", KiB * KiB * KiB},
	{"T", KiB * KiB * KiB * KiB},
	{"KIB", KiB},
	{"MIB", KiB * KiB},
	{"GIB", KiB * KiB * KiB},
	{"TIB", KiB * KiB * KiB * KiB},
	{"KB", KB},
	{"MB", KB * KB},
	{"GB", KB * KB * KB},
}};

constexpr Suffix kTB{"TB", KB * KB * KB * KB};

bool iequal(std::string_view a, std::string_view upper)
{
	if (a.size() != upper.size())
		return false;
	for (std::size_t i = 0; i < a.size(); i++) {
		unsigned char c = static_cast<unsigned char>(a[i]);
		if (std::toupper(c) != static_cast<unsigned char>(upper[i]))
			return false;
	}
	return true;
}

const Suffix *find_suffix(std::string_view s)
{
	for (const Suffix &suf : kSuffixes)
		if (iequal(s, suf.name))
			return &suf;
	if (iequal(s, kTB.name))
		return &kTB;
	return nullptr;
}

Error size_error(std::string_view text, std::string_view why)
{
	std::string msg = "invalid size '";
	msg += text;
	msg += "': ";
	msg += why;
	return make_error(Errc::invalid_argument, std::move(msg));
}

} // namespace

Result<std::uint64_t> parse_size(std::string_view text)
{
	if (text.empty())
		return size_error(text, "empty value");
	for (char c : text)
		if (std::isspace(static_cast<unsigned char>(c)))
			return size_error(text, "must not contain whitespace");

	std::size_t i = 0;
	std::uint64_t value = 0;
	while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
		auto digit = static_cast<std::uint64_t>(text[i] - '0');
		if (__builtin_mul_overflow(value, 10u, &value) ||
		    __builtin_add_overflow(value, digit, &value))
			return size_error(text, "too large (does not fit in 64 bits)");
		i++;
	}
	if (i == 0) {
		if (text[0] == '-')
			return size_error(text, "must not be negative");
		return size_error(text, "expected a positive integer with an optional "
				  "suffix (K, M, G, T, KiB, ..., KB, ..., B)");
	}

	std::string_view rest = text.substr(i);
	if (!rest.empty() && (rest[0] == '.' || rest[0] == ','))
		return size_error(text, "fractions are not allowed; use a smaller "
				  "unit (e.g. 1536M instead of 1.5G)");

	const Suffix *suf = find_suffix(rest);
	if (!suf)
		return size_error(text, "unknown suffix '" + std::string(rest) +
				  "' (use K, M, G, T, KiB, MiB, GiB, TiB, KB, MB, "
				  "GB, TB or B)");

	if (value == 0)
		return size_error(text, "must be greater than zero");

	std::uint64_t bytes = 0;
	if (__builtin_mul_overflow(value, suf->multiplier, &bytes))
		return size_error(text, "too large (does not fit in 64 bits)");
	return bytes;
}

std::string format_size(std::uint64_t bytes)
{
	static constexpr std::array<std::string_view, 5> units{
		"B", "KiB", "MiB", "GiB", "TiB"};

	if (bytes < KiB)
		return std::to_string(bytes) + " B";

	std::size_t u = 1;
	std::uint64_t unit = KiB;
	std::uint64_t whole = 0;
	std::uint64_t tenths = 0;
	for (;;) {
		whole = bytes / unit;
		std::uint64_t rem = bytes % unit;
		// rem < unit <= 2^40, so rem * 10 cannot overflow.
		tenths = (rem * 10 + unit / 2) / unit;
		if (tenths == 10) {
			whole++;
			tenths = 0;
		}
		if (whole < 1024 || u == units.size() - 1)
			break;
		u++;
		unit *= KiB;
	}
	return std::to_string(whole) + "." + std::to_string(tenths) + " " +
	       std::string(units[u]);
}

} // namespace storctl
