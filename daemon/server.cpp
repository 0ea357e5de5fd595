// SPDX-License-Identifier: MIT
#include "server.hpp"

#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <thread>

#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.hpp"

namespace storctl::daemon {

namespace {

// A body over this many times the limit is not even read to the end.
constexpr std::size_t kDiscardFactor = 16;

void mhd_logger(void *, const char *fmt, va_list ap)
{
	char buf[512];
	std::vsnprintf(buf, sizeof(buf), fmt, ap);
	std::string msg(buf);
	while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
		msg.pop_back();
	log_info("libmicrohttpd: " + msg);
}

std::string header(MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	return v ? std::string(v) : std::string();
}

} // namespace

bool tls_supported()
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

// State of one request, from its headers to its completion.
struct Exchange {
	Request request;
	std::string route = "unmatched";
	std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
	int status = 0;
	bool responded = false;
	std::size_t received = 0;  // body bytes seen, kept or not
	bool too_large = false;
};

struct ServerCallbacks {
	static MHD_Result send(Server &s, MHD_Connection *c, Exchange &ex, Response r)
	{
		MHD_Response *resp = MHD_create_response_from_buffer(r.body.size(), r.body.data(),
								     MHD_RESPMEM_MUST_COPY);
		if (!resp)
			return MHD_NO;
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		for (const auto &[k, v] : r.headers)
			MHD_add_response_header(resp, k.c_str(), v.c_str());
		MHD_Result ret = MHD_queue_response(c, static_cast<unsigned>(r.status), resp);
		MHD_destroy_response(resp);
		ex.status = r.status;
		if (!r.route.empty())
			ex.route = r.route;
		ex.responded = true;
		record(s, ex);
		return ret;
	}

	// Metrics and the request log, when the response is queued (so a
	// client that has its answer also sees it counted).
	static void record(Server &s, const Exchange &ex)
	{
		const double secs = std::chrono::duration<double>(
			std::chrono::steady_clock::now() - ex.start).count();
		s.app_.metrics().observe(ex.request.method, ex.route, ex.status, secs);
		const LogLevel level = ex.status >= 500 ? LogLevel::warning : LogLevel::debug;
		if (log_enabled(level)) {
			char ms[32];
			std::snprintf(ms, sizeof(ms), "%.3f", secs * 1000);
			log(level, std::string(Metrics::method_label(ex.request.method)) + " " + ex.route +
			    " -> " + std::to_string(ex.status) + " (" + ms + " ms)");
		}
	}

	static MHD_Result first_call(Server &s, MHD_Connection *c, Exchange &ex)
	{
		const Request &req = ex.request;
		const Router::Match m = s.app_.router().match(req.method, req.path);
		ex.route = m.label();

		if (s.options_.token &&
		    !bearer_matches(header(c, MHD_HTTP_HEADER_AUTHORIZATION), *s.options_.token)) {
			const bool sent = !header(c, MHD_HTTP_HEADER_AUTHORIZATION).empty();
			Response r = error_response(unauthorized(
				sent ? "invalid bearer token" : "authentication required: send 'Authorization: Bearer <token>'"));
			r.headers.emplace_back(MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					       sent ? "Bearer realm=\"storctld\", error=\"invalid_token\""
						    : "Bearer realm=\"storctld\"");
			r.route = ex.route;
			return send(s, c, ex, std::move(r));
		}
		if (m.outcome != Router::Outcome::found)
			return send(s, c, ex, Router::error_for(m, req.method, req.path));

		const std::string cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (!cl.empty()) {
			std::uint64_t n = 0;
			auto [ptr, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), n);
			if (ec != std::errc() || ptr != cl.data() + cl.size() || n > s.options_.body_limit) {
				Response r = error_response(payload_too_large(s.options_.body_limit));
				r.route = ex.route;
				return send(s, c, ex, std::move(r));
			}
		}
		return MHD_YES;
	}

	static MHD_Result on_request(void *cls, MHD_Connection *c, const char *url,
				     const char *method, const char *, const char *upload_data,
				     std::size_t *upload_data_size, void **con_cls)
	{
		Server &s = *static_cast<Server *>(cls);
		try {
			auto *ex = static_cast<Exchange *>(*con_cls);
			if (!ex) {
				ex = new Exchange;
				*con_cls = ex;
				s.in_flight_++;
				s.app_.metrics().request_started();
				ex->request.method = method ? method : "";
				ex->request.path = url ? url : "";
				ex->request.content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
				MHD_get_connection_values(
					c, MHD_GET_ARGUMENT_KIND,
					[](void *cls, MHD_ValueKind, const char *k, const char *v) -> MHD_Result {
						static_cast<Request *>(cls)->query[k ? k : ""] = v ? v : "";
						return MHD_YES;
					},
					&ex->request);
				return first_call(s, c, *ex);
			}
			if (ex->responded) {
				*upload_data_size = 0;
				return MHD_YES;
			}
			if (*upload_data_size != 0) {
				const std::size_t n = *upload_data_size;
				*upload_data_size = 0;
				ex->received += n;
				if (ex->received > s.options_.body_limit) {
					ex->too_large = true;
					ex->request.body.clear();
					ex->request.body.shrink_to_fit();
					// Do not read an endless body just to answer it.
					if (ex->received > kDiscardFactor * s.options_.body_limit)
						return MHD_NO;
				} else {
					ex->request.body.append(upload_data, n);
				}
				return MHD_YES;
			}
			// The whole request is in: answer it.
			if (ex->too_large) {
				Response r = error_response(payload_too_large(s.options_.body_limit));
				r.route = ex->route;
				return send(s, c, *ex, std::move(r));
			}
			Response r;
			try {
				r = s.app_.handle(ex->request);
			} catch (const std::exception &e) {
				log_error("internal error handling " + ex->request.method + " " +
					  ex->request.path + ": " + e.what());
				r = error_response(ApiError{500, "internal", "internal error"});
				r.route = ex->route;
			}
			return send(s, c, *ex, std::move(r));
		} catch (...) {
			// Out of memory building a response: drop the connection.
			return MHD_NO;
		}
	}

	static void on_completed(void *cls, MHD_Connection *, void **con_cls,
				 enum MHD_RequestTerminationCode toe)
	{
		Server &s = *static_cast<Server *>(cls);
		auto *ex = static_cast<Exchange *>(*con_cls);
		if (!ex)
			return;
		*con_cls = nullptr;
		if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && log_enabled(LogLevel::debug)) {
			try {
				log_debug(std::string(Metrics::method_label(ex->request.method)) + " " +
					  ex->route + ": connection ended before the response was sent" +
					  (ex->status ? " (" + std::to_string(ex->status) + ")" : ""));
			} catch (...) {
			}
		}
		delete ex;
		s.app_.metrics().request_finished();
		s.in_flight_--;
	}
};

Server::Server(const App &app, ServerOptions options) : app_(app), options_(std::move(options)) {}

Server::~Server()
{
	stop();
}

Result<void> Server::bind()
{
	for (const ListenAddress &la : options_.listen) {
		const int family = la.ipv6 ? AF_INET6 : AF_INET;
		int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			int err = errno;
			if (la.ipv6 && options_.ipv6_optional && err == EAFNOSUPPORT) {
				log_warning("not listening on " + la.text + ": IPv6 is not available");
				continue;
			}
			return errno_error(err, "cannot create a socket for " + la.text);
		}
		int one = 1;
		::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (la.ipv6)
			::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (::bind(fd, reinterpret_cast<const sockaddr *>(&la.addr), la.addr_len) != 0 ||
		    ::listen(fd, 128) != 0) {
			int err = errno;
			::close(fd);
			if (la.ipv6 && options_.ipv6_optional && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT)) {
				log_warning("not listening on " + la.text + ": " + std::strerror(err));
				continue;
			}
			return errno_error(err, "cannot listen on " + la.text);
		}
		sockaddr_storage bound{};
		socklen_t len = sizeof(bound);
		std::uint16_t port = la.port;
		if (::getsockname(fd, reinterpret_cast<sockaddr *>(&bound), &len) == 0)
			port = ntohs(la.ipv6 ? reinterpret_cast<sockaddr_in6 *>(&bound)->sin6_port
					     : reinterpret_cast<sockaddr_in *>(&bound)->sin_port);
		std::string text = la.text.substr(0, la.text.rfind(':') + 1) + std::to_string(port);
		listeners_.push_back({la, fd, nullptr});
		endpoints_.push_back(text);
		ports_.push_back(port);
	}
	if (listeners_.empty())
		return make_error(Errc::invalid_argument, "no address to listen on");
	return ok();
}

Result<void> Server::start()
{
	const bool tls = !options_.tls_cert_pem.empty() || !options_.tls_key_pem.empty();
	if (tls && !tls_supported())
		return make_error(Errc::unsupported,
				  "TLS requested but this libmicrohttpd was built without TLS support");
	for (Listener &l : listeners_) {
		unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
		if (tls)
			flags |= MHD_USE_TLS;
		if (l.addr.ipv6)
			flags |= MHD_USE_IPv6;

		// The logger first, or MHD logs the options' problems itself.
		std::vector<MHD_OptionItem> opts = {
			{MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&mhd_logger), nullptr},
			{MHD_OPTION_LISTEN_SOCKET, l.fd, nullptr},
			{MHD_OPTION_CONNECTION_LIMIT, options_.connection_limit, nullptr},
			{MHD_OPTION_CONNECTION_TIMEOUT, options_.request_timeout, nullptr},
			{MHD_OPTION_NOTIFY_COMPLETED,
			 reinterpret_cast<intptr_t>(&ServerCallbacks::on_completed), this},
		};
		if (options_.threads > 1)
			opts.push_back({MHD_OPTION_THREAD_POOL_SIZE, options_.threads, nullptr});
		if (tls) {
			opts.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, options_.tls_cert_pem.data()});
			opts.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, options_.tls_key_pem.data()});
		}
		opts.push_back({MHD_OPTION_END, 0, nullptr});

		l.daemon = MHD_start_daemon(flags, 0, nullptr, nullptr, &ServerCallbacks::on_request, this,
					    MHD_OPTION_ARRAY, opts.data(), MHD_OPTION_END);
		if (!l.daemon)
			return make_error(Errc::internal,
					  "cannot start the HTTP server on " + l.addr.text +
					  (tls ? " (check the TLS certificate and key)" : ""));
		l.fd = -1;  // owned by the MHD daemon now
	}
	return ok();
}

void Server::quiesce()
{
	for (Listener &l : listeners_) {
		if (!l.daemon)
			continue;
		MHD_socket fd = MHD_quiesce_daemon(l.daemon);
		if (fd != MHD_INVALID_SOCKET)
			::close(fd);
	}
}

bool Server::wait_idle(std::chrono::milliseconds timeout) const
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	while (in_flight_.load() != 0) {
		if (std::chrono::steady_clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return true;
}

void Server::stop()
{
	for (Listener &l : listeners_) {
		if (l.daemon) {
			MHD_stop_daemon(l.daemon);
			l.daemon = nullptr;
		}
		if (l.fd >= 0) {
			::close(l.fd);
			l.fd = -1;
		}
	}
}

} // namespace storctl::daemon
