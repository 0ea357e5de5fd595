// SPDX-License-Identifier: MIT
#include "errors.hpp"

namespace storctl::daemon {

int http_status(Errc code) noexcept
{
	switch (code) {
	case Errc::invalid_argument:	return 422;
	case Errc::not_found:		return 404;
	case Errc::busy:		return 409;
	case Errc::exists:		return 409;
	case Errc::permission_denied:	return 403;
	case Errc::unsupported:		return 503;
	case Errc::no_memory:		return 507;
	case Errc::no_space:		return 507;
	case Errc::kernel_failure:	return 500;
	case Errc::io_error:		return 500;
	case Errc::internal:		return 500;
	}
	return 500;
}

ApiError api_error(const Error &error)
{
	return {http_status(error.code), std::string(to_string(error.code)), error.message};
}

ApiError bad_request(std::string message)
{
	return {400, "bad_request", std::move(message)};
}

ApiError invalid_value(std::string message)
{
	return api_error(make_error(Errc::invalid_argument, std::move(message)));
}

ApiError route_not_found(std::string_view method, std::string_view path)
{
	return {404, "not_found",
		"no such resource: " + std::string(method) + " " + std::string(path)};
}

ApiError method_not_allowed(std::string_view method, std::string_view path)
{
	return {405, "method_not_allowed",
		"method " + std::string(method) + " is not allowed on " + std::string(path)};
}

ApiError unauthorized(std::string message)
{
	return {401, "unauthorized", std::move(message)};
}

ApiError payload_too_large(std::size_t limit)
{
	return {413, "payload_too_large",
		"request body larger than the limit of " + std::to_string(limit) + " bytes"};
}

ApiError unsupported_media_type(std::string_view content_type)
{
	return {415, "unsupported_media_type",
		"request body must be application/json, not '" + std::string(content_type) + "'"};
}

Json error_json(const ApiError &error)
{
	return Json{{"error", Json{{"code", error.code}, {"message", error.message}}}};
}

Response error_response(const ApiError &error)
{
	return Response::json(error.status, error_json(error));
}

} // namespace storctl::daemon
