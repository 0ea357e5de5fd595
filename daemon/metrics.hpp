// SPDX-License-Identifier: MIT
//
// Request metrics and the Prometheus text exposition (format 0.0.4).
//
//   storctl_http_requests_total{method,route,code}          counter
//   storctl_http_request_duration_seconds{method,route}     histogram
//   storctl_http_requests_in_flight                         gauge
//
// route is the route pattern ("/v1/ramdisks/{name}") or "unmatched", and
// method one of the HTTP methods the API knows or "other", so label values
// are bounded whatever clients send.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace storctl::daemon {

/// Prometheus label value escaping (\\, \", \n).
std::string prom_escape(std::string_view value);

class Metrics {
public:
	static constexpr std::array<double, 14> kBuckets = {
		0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
		0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

	void observe(std::string_view method, std::string_view route, int code, double seconds);

	/// A request's headers arrived / its connection ended.
	void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
	void request_finished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
	std::int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

	/// The request metrics in exposition format.
	std::string render() const;

	/// Requests recorded so far for (method, route, code); for tests.
	std::uint64_t requests(std::string_view method, std::string_view route, int code) const;

	/// "GET" etc. for known methods, "other" for anything else.
	static std::string_view method_label(std::string_view method);

private:
	struct Histogram {
		std::array<std::uint64_t, kBuckets.size()> buckets{};  // non-cumulative
		std::uint64_t count = 0;
		double sum = 0;
	};
	using RouteKey = std::tuple<std::string, std::string>;  // method, route

	std::atomic<std::int64_t> in_flight_{0};
	mutable std::mutex mu_;
	std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
	std::map<RouteKey, Histogram> durations_;
};

} // namespace storctl::daemon
