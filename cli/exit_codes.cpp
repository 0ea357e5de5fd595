// SPDX-License-Identifier: MIT
#include "exit_codes.hpp"

#include <string>

#include <CLI/CLI.hpp>

namespace storctl::cli {

namespace {

// One line, whatever the message contains.
std::string one_line(std::string s)
{
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	for (char &c : s)
		if (c == '\n' || c == '\r')
			c = ' ';
	return s;
}

} // namespace

int exit_code(Errc code) noexcept
{
	switch (code) {
	case Errc::invalid_argument:	return kExitUsage;
	case Errc::not_found:		return kExitNotFound;
	case Errc::busy:		return kExitBusy;
	case Errc::exists:		return kExitExists;
	case Errc::permission_denied:	return kExitPermission;
	case Errc::unsupported:		return kExitUnsupported;
	case Errc::no_memory:
	case Errc::no_space:
	case Errc::kernel_failure:
	case Errc::io_error:
	case Errc::internal:
		return kExitFailure;
	}
	return kExitFailure;
}

Errc errc_from_http(int status, std::string_view code) noexcept
{
	// The daemon's code is to_string(Errc) for library errors.
	constexpr Errc all[] = {Errc::invalid_argument, Errc::not_found, Errc::busy, Errc::exists,
				Errc::permission_denied, Errc::unsupported, Errc::no_memory,
				Errc::no_space, Errc::kernel_failure, Errc::io_error, Errc::internal};
	for (Errc e : all)
		if (code == to_string(e))
			return e;
	switch (status) {
	case 400: case 405: case 413: case 415: case 422:
		return Errc::invalid_argument;
	case 401: case 403:
		return Errc::permission_denied;
	case 404:
		return Errc::not_found;
	case 409:
		return Errc::busy;
	case 503:
		return Errc::unsupported;
	case 507:
		return Errc::no_memory;
	default:
		return Errc::io_error;
	}
}

int report_error(const Error &error, std::ostream &err)
{
	err << "storctl: error: " << one_line(error.message) << '\n';
	err.flush();
	return exit_code(error.code);
}

int report_parse_error(const CLI::App &app, const CLI::ParseError &e,
		       std::ostream &out, std::ostream &err)
{
	if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
		// --help, --help-all, --version: CLI11 prints them.
		app.exit(e, out, err);
		return kExitOk;
	}
	err << "storctl: error: " << one_line(e.what()) << '\n';
	err.flush();
	return kExitUsage;
}

} // namespace storctl::cli
