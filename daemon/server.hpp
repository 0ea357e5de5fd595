// SPDX-License-Identifier: MIT
//
// HTTP server: libmicrohttpd, one MHD daemon per listen address, each with
// its own epoll polling thread pool (MHD_USE_EPOLL_INTERNAL_THREAD +
// MHD_OPTION_THREAD_POOL_SIZE): reads never wait behind a slow mutation on
// another thread.
//
// Per request, in this order, before the body is read:
//   1. bearer token (when one is configured): 401 + WWW-Authenticate
//   2. path validation and routing: 400 / 404 / 405 (+ Allow)
//   3. Content-Length over the body limit: 413
// then the body is collected (a chunked body over the limit is discarded
// and answered with 413; one over 16x the limit closes the connection) and
// the App answers.  Handlers never see more than the body limit, and an
// exception from a handler becomes a 500, never a dead daemon.
//
// Limits: body size, connections per listener (MHD_OPTION_CONNECTION_LIMIT),
// idle time per connection (MHD_OPTION_CONNECTION_TIMEOUT), and
// libmicrohttpd's per-connection memory limit (32 KiB) for the request line
// and headers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <storctl/result.hpp>

#include "app.hpp"
#include "security.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace storctl::daemon {

struct ServerOptions {
	std::vector<ListenAddress> listen;
	/// Skip IPv6 listeners whose address is unavailable (no IPv6 on this
	/// host) with a warning instead of failing: for the default listeners.
	bool ipv6_optional = false;
	std::optional<std::string> token;  ///< bearer token; nullopt: no auth
	std::string tls_cert_pem;          ///< both set: HTTPS
	std::string tls_key_pem;
	unsigned threads = 4;
	unsigned connection_limit = 256;
	unsigned request_timeout = 30;     ///< seconds
	std::size_t body_limit = 64 * 1024;
};

/// Does the linked libmicrohttpd support TLS?
bool tls_supported();

class Server {
public:
	Server(const App &app, ServerOptions options);
	~Server();
	Server(const Server &) = delete;
	Server &operator=(const Server &) = delete;

	/// Create, bind and listen on the sockets (no threads yet, so this
	/// can happen before a fork()).
	Result<void> bind();
	/// Start serving on the bound sockets.
	Result<void> start();

	/// "127.0.0.1:9118" etc. with the real port (after bind()).
	const std::vector<std::string> &endpoints() const { return endpoints_; }
	/// Port of the first listener (after bind()); tests listen on port 0.
	std::uint16_t port() const { return ports_.empty() ? 0 : ports_.front(); }

	/// Stop accepting connections; requests already received go on.
	void quiesce();
	/// Wait until no request is being processed; false on timeout.
	bool wait_idle(std::chrono::milliseconds timeout) const;
	/// Stop everything (closes remaining connections).
	void stop();

	unsigned in_flight() const { return in_flight_.load(); }

private:
	struct Listener {
		ListenAddress addr;
		int fd = -1;
		MHD_Daemon *daemon = nullptr;
	};

	friend struct ServerCallbacks;

	const App &app_;
	ServerOptions options_;
	std::vector<Listener> listeners_;
	std::vector<std::string> endpoints_;
	std::vector<std::uint16_t> ports_;
	std::atomic<unsigned> in_flight_{0};
};

} // namespace storctl::daemon
