// SPDX-License-Identifier: MIT
//
// Project version, from CMake's PROJECT_VERSION (see lib/version_config.hpp.in).
#pragma once

#include <string_view>

#include <storctl/version_config.hpp>

namespace storctl {

inline constexpr std::string_view kVersion = STORCTL_VERSION_STRING;
inline constexpr unsigned kVersionMajor = STORCTL_VERSION_MAJOR;
inline constexpr unsigned kVersionMinor = STORCTL_VERSION_MINOR;
inline constexpr unsigned kVersionPatch = STORCTL_VERSION_PATCH;

} // namespace storctl
