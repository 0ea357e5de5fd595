// SPDX-License-Identifier: MIT
//
// Byte sizes: parsing user input and formatting for humans.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <storctl/result.hpp>

namespace storctl {

/// Parse a size given by a user.
///
/// Syntax: DIGITS [SUFFIX], nothing else (no sign, no fraction, no
/// whitespace, no hexadecimal).  SUFFIX is case-insensitive:
///   (none), B                      bytes
///   K, M, G, T / KiB, MiB, GiB, TiB binary: 1024, 1024^2, 1024^3, 1024^4
///   KB, MB, GB, TB                 decimal: 1000, 1000^2, 1000^3, 1000^4
/// The result must be > 0 and fit in 64 bits.  Errors are
/// Errc::invalid_argument with a message naming the bad value.
Result<std::uint64_t> parse_size(std::string_view text);

/// Format a byte count for humans: "512 B" (exact below 1 KiB), otherwise
/// one decimal in the largest binary unit that keeps the value below 1024
/// ("64.0 MiB", "1.5 GiB"; TiB is the largest unit).  Rounds half up.
std::string format_size(std::uint64_t bytes);

} // namespace storctl
