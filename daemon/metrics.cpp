// SPDX-License-Identifier: MIT
#include "metrics.hpp"

#include <cstdio>

namespace storctl::daemon {

namespace {

std::string format_double(double v)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%.9g", v);
	return buf;
}

} // namespace

std::string prom_escape(std::string_view value)
{
	std::string out;
	out.reserve(value.size());
	for (char c : value) {
		if (c == '\\')
			out += "\\\\";
		else if (c == '"')
			out += "\\\"";
		else if (c == '\n')
			out += "\\n";
		else
			out += c;
	}
	return out;
}

std::string_view Metrics::method_label(std::string_view method)
{
	for (std::string_view m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
		if (method == m)
			return m;
	return "other";
}

void Metrics::observe(std::string_view method, std::string_view route, int code, double seconds)
{
	std::string m(method_label(method));
	std::lock_guard lock(mu_);
	requests_[{m, std::string(route), code}]++;
	Histogram &h = durations_[{m, std::string(route)}];
	h.count++;
	h.sum += seconds;
	for (std::size_t i = 0; i < kBuckets.size(); i++) {
		if (seconds <= kBuckets[i]) {
			h.buckets[i]++;
			break;
		}
	}
}

std::uint64_t Metrics::requests(std::string_view method, std::string_view route, int code) const
{
	std::lock_guard lock(mu_);
	auto it = requests_.find({std::string(method_label(method)), std::string(route), code});
	return it == requests_.end() ? 0 : it->second;
}

std::string Metrics::render() const
{
	std::string out;
	out += "# HELP storctl_http_requests_in_flight Requests received and not yet answered, "
	       "this one included.\n"
	       "# TYPE storctl_http_requests_in_flight gauge\n"
	       "storctl_http_requests_in_flight " + std::to_string(in_flight()) + "\n";
	std::lock_guard lock(mu_);
	out += "# HELP storctl_http_requests_total HTTP requests answered, by method, route and status code.\n"
	       "# TYPE storctl_http_requests_total counter\n";
	for (const auto &[key, n] : requests_) {
		const auto &[method, route, code] = key;
		out += "storctl_http_requests_total{method=\"" + prom_escape(method) + "\",route=\"" +
		       prom_escape(route) + "\",code=\"" + std::to_string(code) + "\"} " +
		       std::to_string(n) + "\n";
	}
	out += "# HELP storctl_http_request_duration_seconds Time from a request's headers to its "
	       "response being ready.\n"
	       "# TYPE storctl_http_request_duration_seconds histogram\n";
	for (const auto &[key, h] : durations_) {
		const auto &[method, route] = key;
		const std::string labels = "method=\"" + prom_escape(method) + "\",route=\"" + prom_escape(route) + "\"";
		std::uint64_t cumulative = 0;
		for (std::size_t i = 0; i < kBuckets.size(); i++) {
			cumulative += h.buckets[i];
			out += "storctl_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
			       format_double(kBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
		}
		out += "storctl_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
		       std::to_string(h.count) + "\n";
		out += "storctl_http_request_duration_seconds_sum{" + labels + "} " + format_double(h.sum) + "\n";
		out += "storctl_http_request_duration_seconds_count{" + labels + "} " +
		       std::to_string(h.count) + "\n";
	}
	return out;
}

} // namespace storctl::daemon
