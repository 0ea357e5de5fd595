// SPDX-License-Identifier: MIT
//
// /v1/ramdisks: GET (list), POST (create); /v1/ramdisks/{name}: GET, PATCH
// (resize), DELETE.
#include "app.hpp"
#include "json_input.hpp"
#include "json_output.hpp"

namespace storctl::daemon {

namespace {

Response list(const App &app)
{
	auto disks = app.ramdisks().list();
	if (!disks)
		return error_response(disks.error());
	return Response::json(200, ramdisk_list_json(*disks));
}

Response create(const App &app, const Request &req)
{
	auto opts = parse_ramdisk_create(req.body);
	if (!opts)
		return error_response(opts.error());
	auto info = app.create_ramdisk(*opts);
	if (!info)
		return error_response(info.error());
	Response r = Response::json(201, ramdisk_json(*info));
	r.headers.emplace_back("Location", "/v1/ramdisks/" + info->name);
	return r;
}

Response get(const App &app, const Request &req)
{
	auto info = app.ramdisks().info(std::string_view(req.param("name")));
	if (!info)
		return error_response(info.error());
	return Response::json(200, ramdisk_json(*info));
}

Response patch(const App &app, const Request &req)
{
	// The name first: PATCH on a bad name is about the name.
	if (auto idx = validate_ramdisk_name(req.param("name")); !idx)
		return error_response(idx.error());
	auto size = parse_ramdisk_patch(req.body);
	if (!size)
		return error_response(size.error());
	auto info = app.resize_ramdisk(req.param("name"), *size);
	if (!info)
		return error_response(info.error());
	return Response::json(200, ramdisk_json(*info));
}

Response remove(const App &app, const Request &req)
{
	bool state_only = false;
	auto r = app.remove_ramdisk(req.param("name"), state_only);
	if (!r)
		return error_response(r.error());
	const std::string name = ramdisk_name(*validate_ramdisk_name(req.param("name")));
	Json body{{"removed", name}};
	if (state_only)
		body["note"] = name + " did not exist (it could not be restored); it was removed from "
			       "the desired state";
	return Response::json(200, body);
}

} // namespace

void add_ramdisk_routes(Router &router, const App &app)
{
	router.add("GET", "/v1/ramdisks", [&app](const Request &) { return list(app); });
	router.add("POST", "/v1/ramdisks", [&app](const Request &r) { return create(app, r); });
	router.add("GET", "/v1/ramdisks/{name}", [&app](const Request &r) { return get(app, r); });
	router.add("PATCH", "/v1/ramdisks/{name}", [&app](const Request &r) { return patch(app, r); });
	router.add("DELETE", "/v1/ramdisks/{name}", [&app](const Request &r) { return remove(app, r); });
}

} // namespace storctl::daemon
