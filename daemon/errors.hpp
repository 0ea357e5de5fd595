// SPDX-License-Identifier: MIT
//
// The ONE place that decides HTTP status codes for failures.
//
// Library errors (storctl::Errc) map as follows:
//
//   invalid_argument   422 Unprocessable Content   "invalid_argument"
//   not_found          404 Not Found               "not_found"
//   busy               409 Conflict                "busy"
//   exists             409 Conflict                "exists"
//   permission_denied  403 Forbidden               "permission_denied"
//   unsupported        503 Service Unavailable     "unsupported"
//   no_memory          507 Insufficient Storage    "no_memory"
//   no_space           507 Insufficient Storage    "no_space"
//   kernel_failure     500 Internal Server Error   "kernel_failure"
//   io_error           500 Internal Server Error   "io_error"
//   internal           500 Internal Server Error   "internal"
//
// Errors of the HTTP layer itself:
//
//   400 "bad_request"          malformed JSON, wrong JSON types, bad path
//   401 "unauthorized"         missing or wrong bearer token
//   404 "not_found"            no such route
//   405 "method_not_allowed"   route exists, method does not (Allow header)
//   413 "payload_too_large"    body over the limit
//   415 "unsupported_media_type"  body that is not application/json
//
// Every error response has the body {"error":{"code":..,"message":..}}.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <storctl/result.hpp>

#include "http.hpp"

namespace storctl::daemon {

struct ApiError {
	int status = 500;
	std::string code;     ///< stable machine-readable code
	std::string message;  ///< for humans
};

/// HTTP status for a library error class.
int http_status(Errc code) noexcept;

/// A library error as an API error (status from http_status, code =
/// to_string(errc), message as is).
ApiError api_error(const Error &error);

ApiError bad_request(std::string message);
ApiError invalid_value(std::string message);  ///< 422 "invalid_argument"
ApiError route_not_found(std::string_view method, std::string_view path);
ApiError method_not_allowed(std::string_view method, std::string_view path);
ApiError unauthorized(std::string message);
ApiError payload_too_large(std::size_t limit);
ApiError unsupported_media_type(std::string_view content_type);

/// {"error":{"code":..,"message":..}}.
Json error_json(const ApiError &error);
Response error_response(const ApiError &error);
inline Response error_response(const Error &error) { return error_response(api_error(error)); }

/// A T or an ApiError (request parsing and validation results).
template <typename T>
class ApiResult {
public:
	ApiResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}
	ApiResult(ApiError error) : v_(std::in_place_index<1>, std::move(error)) {}

	bool ok() const noexcept { return v_.index() == 0; }
	explicit operator bool() const noexcept { return ok(); }
	T &value() { return std::get<0>(v_); }
	const T &value() const { return std::get<0>(v_); }
	T &operator*() { return value(); }
	const T &operator*() const { return value(); }
	T *operator->() { return &value(); }
	const ApiError &error() const { return std::get<1>(v_); }

private:
	std::variant<T, ApiError> v_;
};

} // namespace storctl::daemon
