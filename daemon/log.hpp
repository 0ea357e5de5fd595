// SPDX-License-Identifier: MIT
//
// Logging to stderr with syslog levels.  When stderr is connected to the
// journal (systemd's JOURNAL_STREAM names it), lines carry the "<N>" level
// prefix of sd-daemon(3) and no timestamp (journald adds both); otherwise
// "TIME storctld[PID]: LEVEL: message".  One write(2) per line, so lines
// from different threads never interleave.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace storctl::daemon {

enum class LogLevel { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

/// "error", "warning", "notice", "info", "debug".
std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view to_string(LogLevel level);

/// Messages above @level are dropped (default: info).
void set_log_level(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view message);

inline void log_error(std::string_view m) { log(LogLevel::error, m); }
inline void log_warning(std::string_view m) { log(LogLevel::warning, m); }
inline void log_notice(std::string_view m) { log(LogLevel::notice, m); }
inline void log_info(std::string_view m) { log(LogLevel::info, m); }
inline void log_debug(std::string_view m) { log(LogLevel::debug, m); }

} // namespace storctl::daemon
