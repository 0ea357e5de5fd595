// SPDX-License-Identifier: MIT
//
// storctld error mapping: every storctl::Errc has its HTTP status, error
// bodies have exactly {"error":{"code","message"}}, and no error is 2xx.
#include <map>

#include <gtest/gtest.h>

#include "errors.hpp"

using namespace storctl;
using namespace storctl::daemon;

TEST(DaemonErrors, EveryErrcHasItsStatus)
{
	const std::map<Errc, int> expected = {
		{Errc::invalid_argument, 422}, {Errc::not_found, 404},
		{Errc::busy, 409},             {Errc::exists, 409},
		{Errc::permission_denied, 403}, {Errc::unsupported, 503},
		{Errc::no_memory, 507},        {Errc::no_space, 507},
		{Errc::kernel_failure, 500},   {Errc::io_error, 500},
		{Errc::internal, 500},
	};
	ASSERT_EQ(expected.size(), std::size(kAllErrc)) << "a new Errc needs a status";
	for (Errc c : kAllErrc) {
		SCOPED_TRACE(std::string(to_string(c)));
		EXPECT_EQ(http_status(c), expected.at(c));
		EXPECT_GE(http_status(c), 400);
		ApiError e = api_error(make_error(c, "msg"));
		EXPECT_EQ(e.status, expected.at(c));
		EXPECT_EQ(e.code, to_string(c));
		EXPECT_EQ(e.message, "msg");
	}
}

TEST(DaemonErrors, KernelErrnoContractThroughTheMapping)
{
	// errno from the module -> Errc (lib) -> HTTP (here).
	EXPECT_EQ(http_status(errc_from_errno(EINVAL)), 422);
	EXPECT_EQ(http_status(errc_from_errno(E2BIG)), 422);
	EXPECT_EQ(http_status(errc_from_errno(ENODEV)), 404);
	EXPECT_EQ(http_status(errc_from_errno(EBUSY)), 409);
	EXPECT_EQ(http_status(errc_from_errno(EEXIST)), 409);
	EXPECT_EQ(http_status(errc_from_errno(EPERM)), 403);
	EXPECT_EQ(http_status(errc_from_errno(ENOMEM)), 507);
	EXPECT_EQ(http_status(errc_from_errno(ENOSPC)), 507);
	EXPECT_EQ(http_status(errc_from_errno(ENOTTY)), 503);
	EXPECT_EQ(http_status(errc_from_errno(EIO)), 500);
}

TEST(DaemonErrors, HttpLayerErrors)
{
	EXPECT_EQ(bad_request("x").status, 400);
	EXPECT_EQ(bad_request("x").code, "bad_request");
	EXPECT_EQ(invalid_value("x").status, 422);
	EXPECT_EQ(invalid_value("x").code, "invalid_argument");
	EXPECT_EQ(route_not_found("GET", "/x").status, 404);
	EXPECT_EQ(route_not_found("GET", "/x").code, "not_found");
	EXPECT_EQ(method_not_allowed("PUT", "/x").status, 405);
	EXPECT_EQ(unauthorized("x").status, 401);
	EXPECT_EQ(payload_too_large(10).status, 413);
	EXPECT_EQ(unsupported_media_type("text/plain").status, 415);
}

TEST(DaemonErrors, BodyShape)
{
	Response r = error_response(make_error(Errc::busy, "srd0 is busy"));
	EXPECT_EQ(r.status, 409);
	EXPECT_EQ(r.content_type, "application/json");
	Json j = Json::parse(r.body);
	EXPECT_EQ(j, Json::parse(R"({"error":{"code":"busy","message":"srd0 is busy"}})"));
	EXPECT_EQ(r.body.back(), '\n');
}

TEST(DaemonErrors, InvalidUtf8InMessagesDoesNotThrow)
{
	Response r = error_response(bad_request("bad \xff byte"));
	EXPECT_EQ(r.status, 400);
	Json j = Json::parse(r.body, nullptr, false);
	EXPECT_FALSE(j.is_discarded()) << r.body;
}
