// SPDX-License-Identifier: MIT
//
// storctld: the storctl REST daemon.  Options and config file (config.hpp),
// security checks before anything listens, then: bind, detach (unless
// --foreground or started by systemd), restore the saved state, serve,
// sd_notify READY=1, and on SIGTERM/SIGINT stop accepting, let requests in
// flight finish, write the managed write-back caches back to their origins
// (--stop-flush-timeout), and exit 0.
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include <storctl/version.hpp>

#include "app.hpp"
#include "config.hpp"
#include "log.hpp"
#include "modules.hpp"
#include "security.hpp"
#include "server.hpp"

using namespace storctl;
using namespace storctl::daemon;

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;
constexpr auto kDrainTimeout = std::chrono::seconds(30);

[[noreturn]] void die(int code, const std::string &message)
{
	log_error(message);
	std::exit(code);
}

std::optional<std::string> read_file(const std::string &path, std::string &error)
{
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		error = "cannot read " + path + ": " + std::strerror(errno);
		return std::nullopt;
	}
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

std::string env_or(const char *name, std::string_view fallback)
{
	const char *v = std::getenv(name);
	return v && *v ? std::string(v) : std::string(fallback);
}

// Fork into the background.  The parent waits until the child reports
// readiness on a pipe and exits 0, or exits 1 if the child fails first,
// so "storctld && curl ..." never races the daemon's start.
int detach()
{
	int p[2];
	if (::pipe2(p, O_CLOEXEC) != 0)
		die(kExitRuntime, std::string("pipe: ") + std::strerror(errno));
	pid_t pid = ::fork();
	if (pid < 0)
		die(kExitRuntime, std::string("fork: ") + std::strerror(errno));
	if (pid > 0) {
		::close(p[1]);
		char c = 0;
		ssize_t n;
		do {
			n = ::read(p[0], &c, 1);
		} while (n < 0 && errno == EINTR);
		if (n == 1 && c == 'R')
			std::_Exit(0);
		int status = 0;
		::waitpid(pid, &status, 0);
		std::_Exit(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : kExitRuntime);
	}
	::close(p[0]);
	::setsid();
	if (::chdir("/") != 0)
		die(kExitRuntime, std::string("chdir /: ") + std::strerror(errno));
	int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		::dup2(null, STDIN_FILENO);
		::dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			::close(null);
	}
	return p[1];
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> args(argv + 1, argv + argc);
	auto cl = parse_command_line(args);
	if (!cl) {
		std::cerr << "storctld: error: " << cl.error().message << '\n';
		return kExitConfig;
	}
	if (cl->help) {
		std::cout << usage_text();
		return 0;
	}
	if (cl->version) {
		std::cout << "storctld " << kVersion << '\n';
		return 0;
	}

	// Config file, then the command line over it.
	Settings file_settings;
	{
		const std::string path = cl->config_path.value_or(std::string(kDefaultConfigPath));
		std::string err;
		std::error_code ec;
		if (cl->config_path || std::filesystem::exists(path, ec)) {
			auto text = read_file(path, err);
			if (!text)
				die(kExitConfig, err);
			auto parsed = parse_config(*text, path);
			if (!parsed)
				die(kExitConfig, parsed.error().message);
			file_settings = std::move(*parsed);
		}
	}
	const EffectiveSettings cfg = effective_settings(merge_settings(file_settings, cl->settings));
	set_log_level(cfg.log_level);

	if (cl->load_modules) {
		// Read the state as the restore will (nothing repaired here: the
		// daemon does that when it starts).
		StateStore store(std::filesystem::absolute(cfg.state_file).string());
		StateStore::Loaded loaded = store.load(false);
		for (const std::string &p : loaded.problems)
			log_warning("state: " + p);
		std::vector<std::string> problems;
		const auto needs = modules_for_state(loaded.state, problems);
		for (const std::string &p : problems)
			log_error("state: " + p);
		auto sys = make_cache_system();
		const bool loaded_all = load_modules(
			needs, [&sys](const std::string &m) { return sys->load_module(m); });
		return loaded_all && problems.empty() ? 0 : kExitRuntime;
	}

	// Listeners and their security, all checked before anything listens.
	ServerOptions sopts;
	sopts.ipv6_optional = cfg.default_listen;
	sopts.threads = cfg.threads;
	sopts.connection_limit = cfg.connection_limit;
	sopts.request_timeout = cfg.request_timeout;
	sopts.body_limit = cfg.body_limit;
	for (const std::string &l : cfg.listen) {
		auto la = parse_listen_address(l);
		if (!la)
			die(kExitConfig, la.error().message);
		if (!la->loopback() && !cfg.token_file)
			die(kExitConfig, "refusing to listen on " + la->text +
			    ": a non-loopback listener requires authentication (--token-file)");
		sopts.listen.push_back(*la);
	}
	if (cfg.token_file) {
		auto token = load_token_file(*cfg.token_file);
		if (!token)
			die(kExitConfig, token.error().message);
		sopts.token = std::move(*token);
	}
	if (cfg.tls_cert.has_value() != cfg.tls_key.has_value())
		die(kExitConfig, "--tls-cert and --tls-key must be given together");
	if (cfg.tls_cert) {
		if (!tls_supported())
			die(kExitConfig, "TLS requested but this libmicrohttpd was built without TLS support");
		std::string err;
		auto cert = read_file(*cfg.tls_cert, err);
		if (!cert)
			die(kExitConfig, err);
		auto key = read_file(*cfg.tls_key, err);
		if (!key)
			die(kExitConfig, err);
		sopts.tls_cert_pem = std::move(*cert);
		sopts.tls_key_pem = std::move(*key);
	}

	AppOptions aopts;
	aopts.control_path = env_or("STORCTL_SRD_CONTROL", kDefaultControlPath);
	aopts.sysfs_root = env_or("STORCTL_SYSFS", kDefaultSysfsRoot);
	aopts.state_file = std::filesystem::absolute(cfg.state_file).string();
	const std::optional<std::string> pid_file =
		cfg.pid_file ? std::optional(std::filesystem::absolute(*cfg.pid_file).string()) : std::nullopt;

	App app(aopts);
	Server server(app, sopts);
	if (auto r = server.bind(); !r)
		die(kExitRuntime, r.error().message);

	// Under systemd (Type=notify) we stay in the foreground and notify.
	const bool under_systemd = std::getenv("NOTIFY_SOCKET") || std::getenv("INVOCATION_ID");
	const int ready_fd = (cl->foreground || under_systemd) ? -1 : detach();

	// Signals are handled by sigwait() below; block them before any
	// thread starts so every thread inherits the mask.
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
	std::signal(SIGPIPE, SIG_IGN);

	app.restore();
	if (auto r = server.start(); !r)
		die(kExitRuntime, r.error().message);

	if (pid_file) {
		std::ofstream pf(*pid_file, std::ios::trunc);
		pf << ::getpid() << '\n';
		if (!pf)
			die(kExitRuntime, "cannot write pid file " + *pid_file);
	}
	std::string where;
	for (const std::string &e : server.endpoints())
		where += (where.empty() ? "" : ", ") + e;
	log_notice("storctld " + std::string(kVersion) + " listening on " + where +
		   (sopts.tls_cert_pem.empty() ? " (HTTP" : " (HTTPS") +
		   (sopts.token ? ", bearer token required)" : ", no authentication: loopback only)"));
	sd_notifyf(0, "READY=1\nSTATUS=listening on %s\nMAINPID=%lu", where.c_str(),
		   static_cast<unsigned long>(::getpid()));
	if (ready_fd >= 0) {
		(void)!::write(ready_fd, "R", 1);
		::close(ready_fd);
	}

	for (;;) {
		int sig = 0;
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_notice("SIGHUP ignored: restart storctld to apply new settings");
			continue;
		}
		log_notice(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
			   ": stopping (finishing requests in flight)");
		break;
	}
	sd_notify(0, "STOPPING=1");
	server.quiesce();
	if (!server.wait_idle(kDrainTimeout))
		log_warning(std::to_string(server.in_flight()) + " request(s) still running after " +
			    std::to_string(kDrainTimeout.count()) + " s; stopping anyway");
	server.stop();
	if (cfg.stop_flush_timeout > 0) {
		sd_notifyf(0, "STATUS=writing back write-back caches (at most %u s)",
			   cfg.stop_flush_timeout);
		app.flush_write_back_caches(std::chrono::seconds(cfg.stop_flush_timeout));
	}
	if (pid_file)
		::unlink(pid_file->c_str());
	log_notice("stopped");
	return 0;
}
