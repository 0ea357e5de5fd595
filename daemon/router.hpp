// SPDX-License-Identifier: MIT
//
// Method + path pattern -> handler.
//
// Patterns are absolute paths whose segments are literals or "{param}"
// placeholders ("/v1/ramdisks/{name}").  A request path is validated before
// matching: it must start with '/', have at most kMaxSegments segments of
// at most kMaxSegmentLength bytes each, no empty segment (no "//", no
// trailing '/'), no "." or "..", and only visible ASCII (0x21..0x7e).
// Anything else is a 400, whatever the method.
//
// HEAD is served by the GET handler (the server drops the body).  A path
// that matches some route but not with this method gives 405 and the Allow
// list; a path matching no route gives 404.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "http.hpp"

namespace storctl::daemon {

using Handler = std::function<Response(const Request &)>;

class Router {
public:
	static constexpr std::size_t kMaxSegments = 32;
	static constexpr std::size_t kMaxSegmentLength = 255;
	static constexpr std::size_t kMaxPathLength = 2048;

	struct Route {
		std::string method;
		std::string pattern;
		std::vector<std::string> segments;
		Handler handler;
	};

	enum class Outcome { found, bad_path, not_found, method_not_allowed };

	struct Match {
		Outcome outcome = Outcome::not_found;
		const Route *route = nullptr;
		std::map<std::string, std::string, std::less<>> params;
		std::string allow;  ///< for method_not_allowed: "GET, HEAD, POST"
		std::string error;  ///< for bad_path: why

		/// Route label for metrics: the pattern, or "unmatched".
		std::string label() const { return route ? route->pattern : "unmatched"; }
	};

	/// Add a route.  Aborts on a malformed pattern (a programming error).
	void add(std::string method, std::string pattern, Handler handler);

	Match match(std::string_view method, std::string_view path) const;

	/// Match and run: the handler's response, or the 400/404/405 error.
	/// Response::route is set.
	Response dispatch(Request &request) const;

	/// The error response for a failed match (400, 404, 405 with Allow).
	static Response error_for(const Match &match, std::string_view method, std::string_view path);

	/// Split a request path into segments, validating it as described
	/// above.  On failure returns false and sets @why.
	static bool split_path(std::string_view path, std::vector<std::string_view> &segments,
			       std::string &why);

	const std::vector<Route> &routes() const { return routes_; }

private:
	std::vector<Route> routes_;
};

} // namespace storctl::daemon
