// SPDX-License-Identifier: MIT
#include "router.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace storctl::daemon {

namespace {

bool is_param(std::string_view seg)
{
	return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

std::string printable(std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	std::string out;
	for (char ch : s.substr(0, 200)) {
		auto c = static_cast<unsigned char>(ch);
		if (c >= 0x20 && c < 0x7f) {
			out += ch;
		} else {
			out += "\\x";
			out += hex[c >> 4];
			out += hex[c & 15];
		}
	}
	if (s.size() > 200)
		out += "...";
	return out;
}

} // namespace

bool Router::split_path(std::string_view path, std::vector<std::string_view> &segments,
			std::string &why)
{
	segments.clear();
	if (path.size() > kMaxPathLength) {
		why = "path longer than " + std::to_string(kMaxPathLength) + " bytes";
		return false;
	}
	if (path.empty() || path.front() != '/') {
		why = "path must start with '/'";
		return false;
	}
	if (path == "/")
		return true;
	std::string_view rest = path.substr(1);
	for (;;) {
		std::size_t slash = rest.find('/');
		std::string_view seg = rest.substr(0, slash);
		if (seg.empty()) {
			why = "empty path segment";
			return false;
		}
		if (seg == "." || seg == "..") {
			why = "path segment '" + std::string(seg) + "' is not allowed";
			return false;
		}
		if (seg.size() > kMaxSegmentLength) {
			why = "path segment longer than " + std::to_string(kMaxSegmentLength) + " bytes";
			return false;
		}
		for (char ch : seg) {
			auto c = static_cast<unsigned char>(ch);
			if (c < 0x21 || c > 0x7e) {
				why = "path contains a space, a control character or a non-ASCII byte";
				return false;
			}
		}
		if (segments.size() == kMaxSegments) {
			why = "more than " + std::to_string(kMaxSegments) + " path segments";
			return false;
		}
		segments.push_back(seg);
		if (slash == std::string_view::npos)
			return true;
		rest = rest.substr(slash + 1);
	}
}

void Router::add(std::string method, std::string pattern, Handler handler)
{
	std::vector<std::string_view> segs;
	std::string why;
	if (!split_path(pattern, segs, why)) {
		std::fprintf(stderr, "storctld: bad route pattern '%s': %s\n", pattern.c_str(), why.c_str());
		std::abort();
	}
	Route r;
	r.method = std::move(method);
	r.pattern = std::move(pattern);
	for (std::string_view s : segs)
		r.segments.emplace_back(s);
	r.handler = std::move(handler);
	routes_.push_back(std::move(r));
}

Router::Match Router::match(std::string_view method, std::string_view path) const
{
	Match m;
	std::vector<std::string_view> segs;
	if (!split_path(path, segs, m.error)) {
		m.outcome = Outcome::bad_path;
		return m;
	}
	const std::string_view want = method == "HEAD" ? std::string_view("GET") : method;
	std::set<std::string> allowed;
	for (const Route &r : routes_) {
		if (r.segments.size() != segs.size())
			continue;
		bool same = true;
		for (std::size_t i = 0; i < segs.size() && same; i++)
			same = is_param(r.segments[i]) || r.segments[i] == segs[i];
		if (!same)
			continue;
		if (r.method != want) {
			allowed.insert(r.method);
			if (r.method == "GET")
				allowed.insert("HEAD");
			continue;
		}
		m.outcome = Outcome::found;
		m.route = &r;
		for (std::size_t i = 0; i < segs.size(); i++) {
			const std::string &p = r.segments[i];
			if (is_param(p))
				m.params.emplace(p.substr(1, p.size() - 2), std::string(segs[i]));
		}
		return m;
	}
	if (!allowed.empty()) {
		m.outcome = Outcome::method_not_allowed;
		for (const std::string &a : allowed)
			m.allow += (m.allow.empty() ? "" : ", ") + a;
	} else {
		m.outcome = Outcome::not_found;
	}
	return m;
}

Response Router::error_for(const Match &match, std::string_view method, std::string_view path)
{
	Response r;
	switch (match.outcome) {
	case Outcome::bad_path:
		r = error_response(bad_request("invalid path '" + printable(path) + "': " + match.error));
		break;
	case Outcome::method_not_allowed:
		r = error_response(method_not_allowed(printable(method), printable(path)));
		r.headers.emplace_back("Allow", match.allow);
		break;
	case Outcome::not_found:
	case Outcome::found:
		r = error_response(route_not_found(printable(method), printable(path)));
		break;
	}
	r.route = match.label();
	return r;
}

Response Router::dispatch(Request &request) const
{
	Match m = match(request.method, request.path);
	if (m.outcome != Outcome::found)
		return error_for(m, request.method, request.path);
	request.params = std::move(m.params);
	Response r = m.route->handler(request);
	r.route = m.route->pattern;
	return r;
}

} // namespace storctl::daemon
