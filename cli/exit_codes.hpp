// SPDX-License-Identifier: MIT
//
// THE one place that decides storctl's exit codes.
//
//   code  meaning                                    Errc
//   0     success                                    -
//   1     kernel, I/O or internal failure            no_memory, no_space,
//                                                    kernel_failure, io_error,
//                                                    internal
//   2     bad usage or invalid value (CLI parse      invalid_argument
//         errors too)
//   3     not found (unknown disk)                   not_found
//   4     busy (open, mounted, held)                 busy
//   5     already exists                             exists
//   6     permission denied                          permission_denied
//   7     unsupported / module not loaded            unsupported
//
// With --url the daemon's answer is classified first (errc_from_http), by
// its error code when it names an Errc, else by the HTTP status:
//
//   400 bad request, 405, 413, 415, 422    invalid_argument  -> 2
//   401 unauthorized, 403                  permission_denied -> 6
//   404                                    not_found         -> 3
//   409                                    busy (code "exists": exists) -> 4 (5)
//   503                                    unsupported       -> 7
//   507                                    no_memory         -> 1
//   any other                              io_error          -> 1
#pragma once

#include <ostream>
#include <string_view>

#include <storctl/result.hpp>

namespace CLI {
class App;
class ParseError;
} // namespace CLI

namespace storctl::cli {

enum ExitCode : int {
	kExitOk = 0,
	kExitFailure = 1,
	kExitUsage = 2,
	kExitNotFound = 3,
	kExitBusy = 4,
	kExitExists = 5,
	kExitPermission = 6,
	kExitUnsupported = 7,
};

/// Exit code for an error class (table above).
int exit_code(Errc code) noexcept;

/// The error class of a failed storctld request: HTTP @status and the
/// error object's @code ("" if none).
Errc errc_from_http(int status, std::string_view code) noexcept;

/// Print "storctl: error: <message>" (one line) to @err and return the
/// exit code for @error.
int report_error(const Error &error, std::ostream &err);

/// Handle a CLI11 parse exception: --help / --version print to @out and
/// return 0; every real parse error prints "storctl: error: <CLI11's
/// message>" to @err and returns 2.
int report_parse_error(const CLI::App &app, const CLI::ParseError &e,
		       std::ostream &out, std::ostream &err);

} // namespace storctl::cli
