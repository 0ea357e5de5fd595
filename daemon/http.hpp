// SPDX-License-Identifier: MIT
//
// The daemon's view of one HTTP exchange, independent of libmicrohttpd so
// routing and handlers can be unit-tested without sockets.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace storctl::daemon {

using Json = nlohmann::json;

struct Request {
	std::string method;        ///< as sent ("GET", "POST", ...)
	std::string path;          ///< URL-decoded path without the query string
	std::string body;          ///< at most the server's body limit
	std::string content_type;  ///< Content-Type header, "" if absent
	/// Path parameters captured by the router ("{name}" -> "srd0").
	std::map<std::string, std::string, std::less<>> params;
	/// Query arguments, URL-decoded ("?force=true" -> force: "true").
	std::map<std::string, std::string, std::less<>> query;

	/// A captured parameter ("" if the route has none of that name).
	const std::string &param(std::string_view name) const;
};

struct Response {
	int status = 200;
	std::string content_type = "application/json";
	std::string body;
	std::vector<std::pair<std::string, std::string>> headers;
	/// Route pattern that produced this response ("/v1/ramdisks/{name}",
	/// "unmatched"), for metrics; never sent.
	std::string route;

	/// @j serialised (one line, followed by a newline).
	static Response json(int status, const Json &j);
	static Response text(int status, std::string body, std::string content_type);
};

} // namespace storctl::daemon
