// SPDX-License-Identifier: MIT
//
// storctld settings: command line and config file.
//
// The config file (default /etc/storctl/storctld.conf, --config PATH) has
// one "key = value" per line; '#' starts a comment line; blank lines are
// ignored.  Keys are the long option names without "--":
//
//   listen = 127.0.0.1:9118     (repeatable)
//   token-file = /etc/storctl/token
//   tls-cert = /etc/storctl/cert.pem
//   tls-key = /etc/storctl/key.pem
//   state-file = /var/lib/storctl/state.json
//   pid-file = /run/storctld.pid
//   threads = 4
//   connection-limit = 256
//   request-timeout = 30        (seconds)
//   stop-flush-timeout = 60     (seconds; 0: no wb cache flush on stop)
//   body-limit = 64K
//   log-level = info            (error, warning, notice, info, debug)
//
// The command line wins: an option given there replaces the file's value
// (all of the file's "listen" lines when --listen is given at least once).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <storctl/result.hpp>

#include "log.hpp"

namespace storctl::daemon {

inline constexpr std::string_view kDefaultConfigPath = "/etc/storctl/storctld.conf";
inline constexpr std::string_view kDefaultStatePath = "/var/lib/storctl/state.json";
inline constexpr unsigned kDefaultPort = 9118;

/// Values from one source; unset means "not given here".
struct Settings {
	std::vector<std::string> listen;
	std::optional<std::string> token_file;
	std::optional<std::string> tls_cert;
	std::optional<std::string> tls_key;
	std::optional<std::string> state_file;
	std::optional<std::string> pid_file;
	std::optional<unsigned> threads;
	std::optional<unsigned> connection_limit;
	std::optional<unsigned> request_timeout;
	std::optional<unsigned> stop_flush_timeout;
	std::optional<std::size_t> body_limit;
	std::optional<LogLevel> log_level;
};

/// Set @key (long option name without "--") from @value, validating it.
Result<void> apply_setting(Settings &settings, std::string_view key, std::string_view value);

/// Parse a config file's text; errors name @origin and the line.
Result<Settings> parse_config(std::string_view text, std::string_view origin);

/// @cli over @file, per key.
Settings merge_settings(const Settings &file, const Settings &cli);

/// What the command line asked for.
struct CommandLine {
	Settings settings;
	std::optional<std::string> config_path;  ///< --config
	bool foreground = false;
	bool load_modules = false;  ///< --load-modules (modules.hpp)
	bool help = false;
	bool version = false;
};

/// Parse argv (without argv[0]): "--key value" or "--key=value", flags
/// --foreground, --load-modules, --help/-h, --version.  Errors are invalid_argument.
Result<CommandLine> parse_command_line(const std::vector<std::string> &args);

/// --help text.
std::string usage_text();

/// Final settings with defaults filled in.
struct EffectiveSettings {
	std::vector<std::string> listen;  ///< default 127.0.0.1:9118 and [::1]:9118
	bool default_listen = true;       ///< no listen address was given
	std::optional<std::string> token_file;
	std::optional<std::string> tls_cert;
	std::optional<std::string> tls_key;
	std::string state_file{kDefaultStatePath};
	std::optional<std::string> pid_file;
	unsigned threads = 4;
	unsigned connection_limit = 256;
	unsigned request_timeout = 30;
	unsigned stop_flush_timeout = 60;
	std::size_t body_limit = 64 * 1024;
	LogLevel log_level = LogLevel::info;
};

EffectiveSettings effective_settings(const Settings &s);

} // namespace storctl::daemon
