// SPDX-License-Identifier: MIT
//
// /v1/caches: GET (list), POST (create); /v1/caches/{name}: GET, DELETE;
// /v1/caches/{name}/stats: GET; /v1/caches/{name}/actions/clear-stats: POST.
// The objects are those of `storctl --json cache ...` (json_output.hpp).
#include "app.hpp"
#include "json_input.hpp"
#include "json_output.hpp"

namespace storctl::daemon {

namespace {

Response list(const App &app)
{
	auto caches = app.list_caches();
	if (!caches)
		return error_response(caches.error());
	return Response::json(200, cache_list_json(*caches));
}

Response create(const App &app, const Request &req)
{
	auto opts = parse_cache_create(req.body);
	if (!opts)
		return error_response(opts.error());
	auto info = app.create_cache(*opts);
	if (!info)
		return error_response(info.error());
	Response r = Response::json(201, cache_json(*info));
	r.headers.emplace_back("Location", "/v1/caches/" + info->name);
	return r;
}

Response get(const App &app, const Request &req)
{
	auto info = app.cache_info(req.param("name"));
	if (!info)
		return error_response(info.error());
	return Response::json(200, cache_json(*info));
}

Response stats(const App &app, const Request &req)
{
	auto st = app.cache_stats(req.param("name"));
	if (!st)
		return error_response(st.error());
	return Response::json(200, cache_stats_json(*st));
}

Response clear_stats(const App &app, const Request &req)
{
	// The name first, then the (optional, empty) body.
	if (auto n = validate_cache_name(req.param("name")); !n)
		return error_response(n.error());
	if (!req.body.empty()) {
		auto j = parse_json_object(req.body);
		if (!j)
			return error_response(j.error());
		if (!j->empty())
			return error_response(invalid_value("clear-stats takes no parameters (the body "
							    "must be empty or {})"));
	}
	auto st = app.clear_cache_stats(req.param("name"));
	if (!st)
		return error_response(st.error());
	return Response::json(200, cache_stats_json(*st));
}

Response remove(const App &app, const Request &req)
{
	if (auto n = validate_cache_name(req.param("name")); !n)
		return error_response(n.error());
	auto opts = parse_cache_remove(req.body);
	if (!opts)
		return error_response(opts.error());
	bool state_only = false;
	auto r = app.remove_cache(req.param("name"), *opts, state_only);
	if (!r)
		return error_response(r.error());
	Json body = cache_removal_json(*r);
	if (state_only)
		body["note"] = r->name + " did not exist (it could not be restored); it was removed from "
				"the desired state";
	return Response::json(200, body);
}

} // namespace

void add_cache_routes(Router &router, const App &app)
{
	router.add("GET", "/v1/caches", [&app](const Request &) { return list(app); });
	router.add("POST", "/v1/caches", [&app](const Request &r) { return create(app, r); });
	router.add("GET", "/v1/caches/{name}", [&app](const Request &r) { return get(app, r); });
	router.add("DELETE", "/v1/caches/{name}", [&app](const Request &r) { return remove(app, r); });
	router.add("GET", "/v1/caches/{name}/stats", [&app](const Request &r) { return stats(app, r); });
	router.add("POST", "/v1/caches/{name}/actions/clear-stats",
		   [&app](const Request &r) { return clear_stats(app, r); });
}

} // namespace storctl::daemon
