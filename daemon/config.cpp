// SPDX-License-Identifier: MIT
#include "config.hpp"

#include <charconv>

#include <storctl/size.hpp>

namespace storctl::daemon {

namespace {

struct OptionSpec {
	std::string_view key;
	std::string_view arg;
	std::string_view help;
};

constexpr OptionSpec kOptions[] = {
	{"listen", "ADDR:PORT",
	 "listen on a numeric address (repeatable); default 127.0.0.1:9118 and [::1]:9118"},
	{"token-file", "PATH",
	 "require 'Authorization: Bearer <token>' with the token in PATH (mode 0600/0400, owned "
	 "by root or the daemon's user); mandatory with a non-loopback listener"},
	{"tls-cert", "PATH", "serve HTTPS with this PEM certificate (needs --tls-key)"},
	{"tls-key", "PATH", "PEM private key for --tls-cert"},
	{"state-file", "PATH", "desired-state file (default /var/lib/storctl/state.json)"},
	{"pid-file", "PATH", "write the daemon's pid here once it is ready"},
	{"threads", "N", "worker threads per listener (1-64, default 4)"},
	{"connection-limit", "N", "concurrent connections per listener (1-65535, default 256)"},
	{"request-timeout", "SECONDS", "idle connection timeout (1-3600, default 30)"},
	{"stop-flush-timeout", "SECONDS",
	 "on SIGTERM, after the requests in flight, write every managed wb cache back to its "
	 "origin, waiting at most this long in all (0-3600, default 60; 0: do not flush)"},
	{"body-limit", "SIZE", "largest request body (default 64K, at most 16M)"},
	{"log-level", "LEVEL", "error, warning, notice, info (default) or debug"},
};

bool known_key(std::string_view key)
{
	for (const OptionSpec &o : kOptions)
		if (o.key == key)
			return true;
	return false;
}

Result<unsigned> parse_uint(std::string_view key, std::string_view value, unsigned lo, unsigned hi)
{
	unsigned n = 0;
	auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
	if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || n < lo || n > hi)
		return make_error(Errc::invalid_argument,
				  "invalid " + std::string(key) + " '" + std::string(value) +
				  "': expected a number from " + std::to_string(lo) + " to " +
				  std::to_string(hi));
	return n;
}

std::string_view trim(std::string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
		s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
		s.remove_suffix(1);
	return s;
}

Result<void> set_path(std::optional<std::string> &dst, std::string_view key, std::string_view value)
{
	if (value.empty())
		return make_error(Errc::invalid_argument, std::string(key) + " needs a path");
	dst = std::string(value);
	return ok();
}

} // namespace

Result<void> apply_setting(Settings &s, std::string_view key, std::string_view value)
{
	if (key == "listen") {
		if (value.empty())
			return make_error(Errc::invalid_argument, "listen needs ADDR:PORT");
		s.listen.emplace_back(value);
		return ok();
	}
	if (key == "token-file")
		return set_path(s.token_file, key, value);
	if (key == "tls-cert")
		return set_path(s.tls_cert, key, value);
	if (key == "tls-key")
		return set_path(s.tls_key, key, value);
	if (key == "state-file")
		return set_path(s.state_file, key, value);
	if (key == "pid-file")
		return set_path(s.pid_file, key, value);
	struct Bounded {
		std::string_view key;
		unsigned min;
		unsigned max;
		std::optional<unsigned> Settings::*field;
	};
	static constexpr Bounded kBounded[] = {
		{"threads", 1, 64, &Settings::threads},
		{"connection-limit", 1, 65535, &Settings::connection_limit},
		{"request-timeout", 1, 3600, &Settings::request_timeout},
		{"stop-flush-timeout", 0, 3600, &Settings::stop_flush_timeout},
	};
	for (const Bounded &b : kBounded) {
		if (key != b.key)
			continue;
		auto n = parse_uint(key, value, b.min, b.max);
		if (!n)
			return std::move(n).error();
		s.*b.field = *n;
		return ok();
	}
	if (key == "body-limit") {
		auto n = parse_size(value);
		if (!n)
			return make_error(Errc::invalid_argument, "body-limit: " + n.error().message);
		if (*n > 16 * 1024 * 1024)
			return make_error(Errc::invalid_argument, "body-limit '" + std::string(value) +
					  "' is larger than 16M");
		s.body_limit = static_cast<std::size_t>(*n);
		return ok();
	}
	if (key == "log-level") {
		auto l = parse_log_level(value);
		if (!l)
			return make_error(Errc::invalid_argument,
					  "invalid log-level '" + std::string(value) +
					  "': expected error, warning, notice, info or debug");
		s.log_level = *l;
		return ok();
	}
	return make_error(Errc::invalid_argument, "unknown setting '" + std::string(key) + "'");
}

Result<Settings> parse_config(std::string_view text, std::string_view origin)
{
	Settings s;
	std::vector<std::string> seen;
	unsigned lineno = 0;
	while (!text.empty()) {
		std::size_t nl = text.find('\n');
		std::string_view line = trim(text.substr(0, nl));
		text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
		lineno++;
		if (line.empty() || line.front() == '#')
			continue;
		auto where = std::string(origin) + ":" + std::to_string(lineno) + ": ";
		std::size_t eq = line.find('=');
		if (eq == std::string_view::npos)
			return make_error(Errc::invalid_argument, where + "expected 'key = value'");
		std::string key(trim(line.substr(0, eq)));
		std::string_view value = trim(line.substr(eq + 1));
		if (!known_key(key))
			return make_error(Errc::invalid_argument, where + "unknown key '" + key + "'");
		if (key != "listen") {
			for (const std::string &k : seen)
				if (k == key)
					return make_error(Errc::invalid_argument,
							  where + "'" + key + "' given twice");
			seen.push_back(key);
		}
		if (auto r = apply_setting(s, key, value); !r)
			return make_error(Errc::invalid_argument, where + r.error().message);
	}
	return s;
}

Settings merge_settings(const Settings &file, const Settings &cli)
{
	Settings m = file;
	if (!cli.listen.empty())
		m.listen = cli.listen;
	auto take = [](auto &dst, const auto &src) {
		if (src)
			dst = src;
	};
	take(m.token_file, cli.token_file);
	take(m.tls_cert, cli.tls_cert);
	take(m.tls_key, cli.tls_key);
	take(m.state_file, cli.state_file);
	take(m.pid_file, cli.pid_file);
	take(m.threads, cli.threads);
	take(m.connection_limit, cli.connection_limit);
	take(m.request_timeout, cli.request_timeout);
	take(m.stop_flush_timeout, cli.stop_flush_timeout);
	take(m.body_limit, cli.body_limit);
	take(m.log_level, cli.log_level);
	return m;
}

Result<CommandLine> parse_command_line(const std::vector<std::string> &args)
{
	CommandLine cl;
	for (std::size_t i = 0; i < args.size(); i++) {
		std::string_view a = args[i];
		if (a == "--help" || a == "-h") {
			cl.help = true;
			continue;
		}
		if (a == "--version") {
			cl.version = true;
			continue;
		}
		if (a == "--foreground" || a == "-f") {
			cl.foreground = true;
			continue;
		}
		if (a == "--load-modules") {
			cl.load_modules = true;
			continue;
		}
		if (!a.starts_with("--"))
			return make_error(Errc::invalid_argument,
					  "unexpected argument '" + std::string(a) + "' (see --help)");
		std::string_view key = a.substr(2);
		std::optional<std::string_view> value;
		if (std::size_t eq = key.find('='); eq != std::string_view::npos) {
			value = key.substr(eq + 1);
			key = key.substr(0, eq);
		}
		if (key != "config" && !known_key(key))
			return make_error(Errc::invalid_argument,
					  "unknown option '--" + std::string(key) + "' (see --help)");
		if (!value) {
			if (i + 1 >= args.size())
				return make_error(Errc::invalid_argument,
						  "option '--" + std::string(key) + "' needs a value");
			value = args[++i];
		}
		if (key == "config") {
			if (value->empty())
				return make_error(Errc::invalid_argument, "--config needs a path");
			cl.config_path = std::string(*value);
			continue;
		}
		if (auto r = apply_setting(cl.settings, key, *value); !r)
			return std::move(r).error();
	}
	return cl;
}

std::string usage_text()
{
	std::string s =
		"usage: storctld [options]\n"
		"\n"
		"storctl REST daemon: manages RAM disks over HTTP (API v1, see docs/api.md).\n"
		"\n"
		"options:\n"
		"  --config PATH            settings file (default /etc/storctl/storctld.conf;\n"
		"                           'key = value' lines, keys as below without '--')\n";
	constexpr std::size_t kIndent = 27, kWidth = 79;
	for (const OptionSpec &o : kOptions) {
		std::string line = "  --" + std::string(o.key) + " " + std::string(o.arg);
		if (line.size() < kIndent) {
			line.append(kIndent - line.size(), ' ');
		} else {
			s += line + "\n";
			line = std::string(kIndent, ' ');
		}
		// Word-wrap the help text at kWidth columns.
		std::string_view help = o.help;
		bool first = true;
		while (!help.empty()) {
			std::size_t sp = help.find(' ');
			std::string_view word = help.substr(0, sp);
			help = sp == std::string_view::npos ? std::string_view() : help.substr(sp + 1);
			if (!first && line.size() + 1 + word.size() > kWidth) {
				s += line + "\n";
				line = std::string(kIndent, ' ');
				first = true;
			}
			if (!first)
				line += ' ';
			line += word;
			first = false;
		}
		s += line + "\n";
	}
	s += "  -f, --foreground         stay in the foreground (default: detach once ready,\n"
	     "                           unless started by systemd)\n"
	     "  --load-modules           load the kernel modules the API and the saved state\n"
	     "                           need (state-file; libkmod, needs root) and exit:\n"
	     "                           1 when one the state needs failed (systemd's\n"
	     "                           ExecStartPre=+; the daemon itself cannot load any)\n"
	     "  --version                print the version and exit\n"
	     "  -h, --help               this text\n"
	     "\n"
	     "Command-line options override the config file.  Exit status: 0 clean stop,\n"
	     "1 runtime failure, 2 bad usage or configuration.\n";
	return s;
}

EffectiveSettings effective_settings(const Settings &s)
{
	EffectiveSettings e;
	if (!s.listen.empty()) {
		e.listen = s.listen;
		e.default_listen = false;
	} else {
		e.listen = {"127.0.0.1:" + std::to_string(kDefaultPort),
			    "[::1]:" + std::to_string(kDefaultPort)};
	}
	e.token_file = s.token_file;
	e.tls_cert = s.tls_cert;
	e.tls_key = s.tls_key;
	if (s.state_file)
		e.state_file = *s.state_file;
	e.pid_file = s.pid_file;
	if (s.threads)
		e.threads = *s.threads;
	if (s.connection_limit)
		e.connection_limit = *s.connection_limit;
	if (s.request_timeout)
		e.request_timeout = *s.request_timeout;
	if (s.stop_flush_timeout)
		e.stop_flush_timeout = *s.stop_flush_timeout;
	if (s.body_limit)
		e.body_limit = *s.body_limit;
	if (s.log_level)
		e.log_level = *s.log_level;
	return e;
}

} // namespace storctl::daemon
