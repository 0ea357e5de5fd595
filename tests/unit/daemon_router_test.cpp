// SPDX-License-Identifier: MIT
//
// storctld routing: patterns and parameters, HEAD, 404 vs 405 (with
// Allow), and path validation (.., ., empty segments, too many segments,
// non-printable bytes, length limits).
#include <string>

#include <gtest/gtest.h>

#include "router.hpp"
#include "test_util.hpp"

using namespace storctl::daemon;
using storctl::test::quoted;

namespace {

Router make_router()
{
	Router r;
	auto reply = [](std::string what) {
		return [what](const Request &req) {
			Json j{{"handler", what}};
			for (const auto &[k, v] : req.params)
				j[k] = v;
			return Response::json(200, j);
		};
	};
	r.add("GET", "/v1/ramdisks", reply("list"));
	r.add("POST", "/v1/ramdisks", reply("create"));
	r.add("GET", "/v1/ramdisks/{name}", reply("get"));
	r.add("PATCH", "/v1/ramdisks/{name}", reply("patch"));
	r.add("DELETE", "/v1/ramdisks/{name}", reply("delete"));
	r.add("POST", "/v1/resizeRapidDisk/{name}/{size}", reply("resize"));
	r.add("GET", "/metrics", reply("metrics"));
	return r;
}

Response run(const Router &r, std::string method, std::string path)
{
	Request req;
	req.method = std::move(method);
	req.path = std::move(path);
	return r.dispatch(req);
}

Json body(const Response &r)
{
	return Json::parse(r.body);
}

std::string header(const Response &r, const std::string &name)
{
	for (const auto &[k, v] : r.headers)
		if (k == name)
			return v;
	return "<none>";
}

} // namespace

TEST(DaemonRouter, LiteralAndParameterRoutes)
{
	Router r = make_router();
	auto list = run(r, "GET", "/v1/ramdisks");
	EXPECT_EQ(list.status, 200);
	EXPECT_EQ(body(list)["handler"], "list");
	EXPECT_EQ(list.route, "/v1/ramdisks");

	auto get = run(r, "GET", "/v1/ramdisks/srd3");
	EXPECT_EQ(body(get)["handler"], "get");
	EXPECT_EQ(body(get)["name"], "srd3");
	EXPECT_EQ(get.route, "/v1/ramdisks/{name}");

	auto resize = run(r, "POST", "/v1/resizeRapidDisk/srd1/128");
	EXPECT_EQ(body(resize)["handler"], "resize");
	EXPECT_EQ(body(resize)["name"], "srd1");
	EXPECT_EQ(body(resize)["size"], "128");

	EXPECT_EQ(body(run(r, "DELETE", "/v1/ramdisks/srd0"))["handler"], "delete");
	EXPECT_EQ(body(run(r, "PATCH", "/v1/ramdisks/srd0"))["handler"], "patch");
	EXPECT_EQ(body(run(r, "POST", "/v1/ramdisks"))["handler"], "create");
}

TEST(DaemonRouter, HeadIsServedByGet)
{
	Router r = make_router();
	auto m = r.match("HEAD", "/v1/ramdisks/srd0");
	ASSERT_EQ(m.outcome, Router::Outcome::found);
	EXPECT_EQ(m.route->method, "GET");
}

TEST(DaemonRouter, UnknownPathIs404)
{
	Router r = make_router();
	for (const char *p : {"/", "/v1", "/v2/ramdisks", "/v1/ramdisk", "/v1/ramdisks/srd0/extra",
			      "/V1/ramdisks", "/metrics/x"}) {
		auto resp = run(r, "GET", p);
		EXPECT_EQ(resp.status, 404) << p;
		EXPECT_EQ(body(resp)["error"]["code"], "not_found") << p;
		EXPECT_EQ(resp.route, "unmatched") << p;
	}
}

TEST(DaemonRouter, WrongMethodIs405WithAllow)
{
	Router r = make_router();
	auto put = run(r, "PUT", "/v1/ramdisks");
	EXPECT_EQ(put.status, 405);
	EXPECT_EQ(body(put)["error"]["code"], "method_not_allowed");
	EXPECT_EQ(header(put, "Allow"), "GET, HEAD, POST");

	auto post = run(r, "POST", "/v1/ramdisks/srd0");
	EXPECT_EQ(post.status, 405);
	EXPECT_EQ(header(post, "Allow"), "DELETE, GET, HEAD, PATCH");

	// Made-up methods are just another wrong method.
	auto foo = run(r, "FOO", "/metrics");
	EXPECT_EQ(foo.status, 405);
	EXPECT_EQ(header(foo, "Allow"), "GET, HEAD");
	// ... or a 404 where no route exists.
	EXPECT_EQ(run(r, "FOO", "/nothing").status, 404);
}

TEST(DaemonRouter, BadPathsAre400WhateverTheMethod)
{
	Router r = make_router();
	const std::string many(33, 'x');
	std::string segs33, segs200;
	for (int i = 0; i < 33; i++)
		segs33 += "/a";
	for (int i = 0; i < 200; i++)
		segs200 += "/v1";
	const std::string bad[] = {
		"",
		"v1/ramdisks",
		"/v1/ramdisks/..",
		"/v1/../etc/passwd",
		"/v1/ramdisks/.",
		"/./v1/ramdisks",
		"/v1//ramdisks",
		"/v1/ramdisks/",
		"//",
		segs33,
		segs200,
		"/v1/ramdisks/srd 0",
		"/v1/ramdisks/srd\t0",
		std::string("/v1/ramdisks/srd\0" "0", 18),
		"/v1/ramdisks/srd\x7f",
		"/v1/ramdisks/\xc3\xa9",
		"/v1/ramdisks/" + std::string(256, 'a'),
		"/" + std::string(Router::kMaxPathLength, 'a'),
	};
	for (const std::string &p : bad) {
		for (const char *method : {"GET", "DELETE", "FOO"}) {
			auto resp = run(r, method, p);
			EXPECT_EQ(resp.status, 400) << method << " " << quoted(p);
			EXPECT_EQ(body(resp)["error"]["code"], "bad_request") << quoted(p);
		}
	}
}

TEST(DaemonRouter, SegmentLimitsAreInclusive)
{
	std::vector<std::string_view> segs;
	std::string why;
	std::string p32;
	for (int i = 0; i < 32; i++)
		p32 += "/a";
	EXPECT_TRUE(Router::split_path(p32, segs, why)) << why;
	EXPECT_EQ(segs.size(), 32u);
	EXPECT_FALSE(Router::split_path(p32 + "/a", segs, why));
	EXPECT_NE(why.find("more than 32"), std::string::npos) << why;

	EXPECT_TRUE(Router::split_path("/" + std::string(255, 'a'), segs, why)) << why;
	EXPECT_FALSE(Router::split_path("/" + std::string(256, 'a'), segs, why));

	EXPECT_TRUE(Router::split_path("/", segs, why));
	EXPECT_TRUE(segs.empty());
	// Dots inside a segment are fine.
	EXPECT_TRUE(Router::split_path("/a/..b/c.d/...", segs, why)) << why;
	EXPECT_EQ(segs.size(), 4u);
}

TEST(DaemonRouter, ErrorMessagesEscapeTheRequest)
{
	Router r = make_router();
	auto resp = run(r, "GET", "/v1/\x01\xff");
	EXPECT_EQ(resp.status, 400);
	const std::string msg = body(resp)["error"]["message"];
	EXPECT_NE(msg.find("\\x01\\xff"), std::string::npos) << msg;
}

TEST(DaemonRouter, FirstMatchingRouteWins)
{
	Router r;
	r.add("GET", "/v1/things/special", [](const Request &) { return Response::json(200, "special"); });
	r.add("GET", "/v1/things/{name}", [](const Request &) { return Response::json(200, "param"); });
	EXPECT_EQ(body(run(r, "GET", "/v1/things/special")), "special");
	EXPECT_EQ(body(run(r, "GET", "/v1/things/other")), "param");
}
