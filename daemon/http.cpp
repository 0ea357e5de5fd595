// SPDX-License-Identifier: MIT
#include "http.hpp"

namespace storctl::daemon {

const std::string &Request::param(std::string_view name) const
{
	static const std::string empty;
	auto it = params.find(name);
	return it == params.end() ? empty : it->second;
}

Response Response::json(int status, const Json &j)
{
	Response r;
	r.status = status;
	// Invalid UTF-8 in strings (e.g. echoed from a request) is replaced
	// rather than throwing.
	r.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
	r.body += '\n';
	return r;
}

Response Response::text(int status, std::string body, std::string content_type)
{
	Response r;
	r.status = status;
	r.body = std::move(body);
	r.content_type = std::move(content_type);
	return r;
}

} // namespace storctl::daemon
