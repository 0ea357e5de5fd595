// SPDX-License-Identifier: MIT
#include "log.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

namespace storctl::daemon {

namespace {

std::atomic<LogLevel> g_level{LogLevel::info};

// Is stderr the journal stream systemd set up for us?  JOURNAL_STREAM is
// "<dev>:<ino>" of that stream (systemd.exec(5)).
bool stderr_is_journal()
{
	const char *js = std::getenv("JOURNAL_STREAM");
	if (!js || !*js)
		return false;
	unsigned long long dev = 0, ino = 0;
	if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	struct stat st {};
	if (::fstat(STDERR_FILENO, &st) != 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void write_all(int fd, std::string_view s)
{
	while (!s.empty()) {
		ssize_t n = ::write(fd, s.data(), s.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s.remove_prefix(static_cast<std::size_t>(n));
	}
}

} // namespace

std::optional<LogLevel> parse_log_level(std::string_view name)
{
	if (name == "error")
		return LogLevel::error;
	if (name == "warning")
		return LogLevel::warning;
	if (name == "notice")
		return LogLevel::notice;
	if (name == "info")
		return LogLevel::info;
	if (name == "debug")
		return LogLevel::debug;
	return std::nullopt;
}

std::string_view to_string(LogLevel level)
{
	switch (level) {
	case LogLevel::error:	return "error";
	case LogLevel::warning:	return "warning";
	case LogLevel::notice:	return "notice";
	case LogLevel::info:	return "info";
	case LogLevel::debug:	return "debug";
	}
	return "info";
}

void set_log_level(LogLevel level)
{
	g_level.store(level, std::memory_order_relaxed);
}

LogLevel log_level()
{
	return g_level.load(std::memory_order_relaxed);
}

bool log_enabled(LogLevel level)
{
	return static_cast<int>(level) <= static_cast<int>(log_level());
}

void log(LogLevel level, std::string_view message)
{
	if (!log_enabled(level))
		return;
	static const bool journal = stderr_is_journal();

	std::string line;
	line.reserve(message.size() + 64);
	if (journal) {
		line += '<';
		line += static_cast<char>('0' + static_cast<int>(level));
		line += '>';
	} else {
		struct timeval tv {};
		::gettimeofday(&tv, nullptr);
		struct tm tm {};
		::localtime_r(&tv.tv_sec, &tm);
		char ts[48];
		std::size_t n = std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		std::snprintf(ts + n, sizeof(ts) - n, ".%03ld", static_cast<long>(tv.tv_usec / 1000));
		line += ts;
		line += " storctld[" + std::to_string(::getpid()) + "]: ";
		line += to_string(level);
		line += ": ";
	}
	// One line per message whatever it contains.
	for (char c : message)
		line += (c == '\n' || c == '\r') ? ' ' : c;
	line += '\n';
	write_all(STDERR_FILENO, line);
}

} // namespace storctl::daemon
