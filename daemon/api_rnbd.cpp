// SPDX-License-Identifier: MIT
//
// RNBD remote block devices (docs/rnbd.md), through rnbd::Manager:
//   /v1/rnbd/exports: GET (list), POST (export a device; server side);
//   /v1/rnbd/exports/{id}: DELETE (rnbd::export_id: "srd0", "srd0@web");
//   /v1/rnbd/mappings: GET (list), POST (map; client side);
//   /v1/rnbd/mappings/{name}: DELETE (srnbd<N>; ?force=true or
//   {"force": true} unmaps an open device);
//   /v1/rnbd/sessions: GET, {"server": [...], "client": [...]} (null for a
//   module that is not loaded).
// The objects are those of `storctl --json rnbd ...` (json_output.hpp).
// Exports and mappings made here are kept in the state file and restored
// at start (exports first: restore_rnbd in state.cpp).
#include "api_rnbd.hpp"

#include "app.hpp"
#include "json_output.hpp"
#include "log.hpp"

namespace storctl::daemon {

namespace {

Error rnbd_state_error(const std::string &what, const Error &w)
{
	return make_error(Errc::io_error, what + " but the state file could not be written (" + w.message +
			  "); it is written with the next successful change");
}

ApiResult<bool> opt_bool(const Json &o, std::string_view key)
{
	auto it = o.find(key);
	if (it == o.end() || it->is_null())
		return false;
	if (!it->is_boolean())
		return bad_request("'" + std::string(key) + "' must be true or false");
	return it->get<bool>();
}

ApiResult<std::string> opt_string(const Json &o, std::string_view key)
{
	auto it = o.find(key);
	if (it == o.end() || it->is_null())
		return std::string();
	if (!it->is_string())
		return bad_request("'" + std::string(key) + "' must be a string");
	return it->get<std::string>();
}

} // namespace

ApiResult<rnbd::ExportSpec> parse_rnbd_export_create(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;
	auto dev = opt_string(o, "device_path");
	if (!dev)
		return dev.error();
	auto sess = opt_string(o, "session");
	if (!sess)
		return sess.error();
	auto ro = opt_bool(o, "read_only");
	if (!ro)
		return ro.error();
	if (auto e = check_keys(o, {"device_path", "session", "read_only"}))
		return *e;
	if (dev->empty())
		return invalid_value("'device_path' is required");
	auto path = rnbd::normalize_device_path(*dev);
	if (!path)
		return api_error(path.error());
	rnbd::ExportSpec spec{*path, *sess, *ro};
	if (auto r = rnbd::validate(spec); !r)
		return api_error(r.error());
	return spec;
}

ApiResult<rnbd::MapSpec> parse_rnbd_map_create(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;
	auto sess = opt_string(o, "session");
	if (!sess)
		return sess.error();
	auto dev = opt_string(o, "device_path");
	if (!dev)
		return dev.error();
	auto access = opt_string(o, "access");
	if (!access)
		return access.error();
	std::vector<std::string> paths;
	if (auto it = o.find("paths"); it != o.end() && !it->is_null()) {
		if (!it->is_array())
			return bad_request("'paths' must be an array of strings");
		for (const Json &p : *it) {
			if (!p.is_string())
				return bad_request("'paths' must be an array of strings");
			paths.push_back(p.get<std::string>());
		}
	}
	std::optional<std::uint16_t> port;
	if (auto it = o.find("port"); it != o.end() && !it->is_null()) {
		if (!it->is_number_integer())
			return bad_request("'port' must be an integer");
		if (it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 65535)
			return invalid_value("'port' must be 1..65535");
		port = static_cast<std::uint16_t>(it->get<std::int64_t>());
	}
	std::optional<unsigned> poll_queues;
	if (auto it = o.find("poll_queues"); it != o.end() && !it->is_null()) {
		if (!it->is_number_integer())
			return bad_request("'poll_queues' must be an integer");
		if (it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > rnbd::kMaxPollQueues)
			return invalid_value("'poll_queues' must be 0.." + std::to_string(rnbd::kMaxPollQueues));
		poll_queues = static_cast<unsigned>(it->get<std::int64_t>());
	}
	if (auto e = check_keys(o, {"session", "paths", "device_path", "access", "port", "poll_queues"}))
		return *e;
	if (sess->empty() || dev->empty() || paths.empty())
		return invalid_value("'session', 'paths' and 'device_path' are required");
	rnbd::MapSpec spec;
	spec.session = *sess;
	for (const std::string &p : paths) {
		auto ps = rnbd::parse_path(p);
		if (!ps)
			return api_error(ps.error());
		spec.paths.push_back(*ps);
	}
	auto path = rnbd::normalize_device_path(*dev);
	if (!path)
		return api_error(path.error());
	spec.device_path = *path;
	if (!access->empty()) {
		auto a = rnbd::parse_access(*access);
		if (!a)
			return api_error(a.error());
		spec.access = *a;
	}
	spec.port = port;
	spec.poll_queues = poll_queues;
	if (auto r = rnbd::validate(spec); !r)
		return api_error(r.error());
	return spec;
}

ApiResult<bool> parse_rnbd_unmap(const Request &req)
{
	bool force = false;
	if (auto it = req.query.find("force"); it != req.query.end()) {
		if (it->second == "true" || it->second == "1")
			force = true;
		else if (it->second != "false" && it->second != "0")
			return invalid_value("'force' must be true or false, not '" + it->second + "'");
	}
	for (const auto &[k, v] : req.query)
		if (k != "force")
			return invalid_value("unknown query argument '" + k + "' (allowed: force)");
	if (!req.body.empty()) {
		auto j = parse_json_object(req.body);
		if (!j)
			return j.error();
		auto f = opt_bool(*j, "force");
		if (!f)
			return f.error();
		if (auto e = check_keys(*j, {"force"}))
			return *e;
		force = force || *f;
	}
	return force;
}

// --- App: RNBD ---------------------------------------------------------------------

Result<std::vector<rnbd::ExportInfo>> App::rnbd_exports() const
{
	return rnbd_.exports();
}

Result<rnbd::ExportInfo> App::rnbd_export(const rnbd::ExportSpec &spec) const
{
	std::lock_guard lock(mutate_mu_);
	std::lock_guard rlock(rnbd_mu_);
	auto r = rnbd_.export_device(spec);
	if (!r)
		return r;
	const RnbdExportSpec saved{r->device_path, r->session, r->read_only};
	if (auto w = commit([&](State &s) { s.put_rnbd_export(saved); }, false); !w) {
		log_error("cannot save the state after exporting " + r->device_path + ": " + w.error().message);
		auto undo = rnbd_.unexport_device(r->device_path, r->session);
		return rnbd_state_error("the export of " + r->device_path + " was made" +
						(undo ? " and undone" : ""),
					w.error());
	}
	log_info("rnbd: exported " + r->device_path + " to " +
		 (r->session.empty() ? "every session" : "session " + r->session));
	return r;
}

Result<rnbd::ExportInfo> App::rnbd_unexport(std::string_view id, bool &state_only) const
{
	state_only = false;
	auto e = rnbd::parse_export_id(id);
	if (!e)
		return e;
	std::lock_guard lock(mutate_mu_);
	std::lock_guard rlock(rnbd_mu_);
	const bool managed = state().find_rnbd_export(e->device_path, e->session) != nullptr;
	if (auto have = rnbd_.exports(); have)
		for (const auto &x : *have)
			if (x.device_path == e->device_path && x.session == e->session)
				e->read_only = x.read_only;
	auto r = rnbd_.unexport_device(e->device_path, e->session);
	if (!r) {
		if (r.error().code != Errc::not_found || !managed)
			return std::move(r).error();
		state_only = true;
	}
	if (managed)
		if (auto w = commit([&](State &s) { s.erase_rnbd_export(e->device_path, e->session); }, true);
		    !w)
			return rnbd_state_error("the export " + std::string(id) + " was removed", w.error());
	log_info("rnbd: unexported " + e->device_path);
	return e;
}

Result<std::vector<rnbd::Mapping>> App::rnbd_mappings() const
{
	return rnbd_.mappings();
}

Result<rnbd::Mapping> App::rnbd_map(const rnbd::MapSpec &spec) const
{
	std::lock_guard lock(mutate_mu_);
	std::lock_guard rlock(rnbd_mu_);
	auto m = rnbd_.map(spec);
	if (!m)
		return m;
	if (auto w = commit([&](State &s) { s.put_rnbd_mapping(rnbd_mapping_spec(spec)); }, false); !w) {
		log_error("cannot save the state after mapping " + m->path + ": " + w.error().message);
		auto undo = rnbd_.unmap(m->name, false);
		return rnbd_state_error(m->path + " was mapped" + (undo ? " and unmapped again" : ""),
					w.error());
	}
	log_info("rnbd: mapped " + m->device_path + " of session " + m->session + " as " + m->path);
	return m;
}

Result<rnbd::Mapping> App::rnbd_unmap(std::string_view name, bool force) const
{
	auto n = rnbd::validate_mapping_name(name);
	if (!n)
		return std::move(n).error();
	std::lock_guard lock(mutate_mu_);
	std::lock_guard rlock(rnbd_mu_);
	auto all = rnbd_.mappings();
	if (!all)
		return std::move(all).error();
	auto it = std::find_if(all->begin(), all->end(), [&](const rnbd::Mapping &m) { return m.name == *n; });
	if (it == all->end())
		return Error{Errc::not_found, ENOENT, "no RNBD device " + *n};
	const rnbd::Mapping m = *it;
	if (auto r = rnbd_.unmap(*n, force); !r)
		return std::move(r).error();
	if (state().find_rnbd_mapping(m.session, m.device_path))
		if (auto w = commit([&](State &s) { s.erase_rnbd_mapping(m.session, m.device_path); }, true);
		    !w)
			return rnbd_state_error(m.path + " was unmapped", w.error());
	log_info("rnbd: unmapped " + m.path + (force ? " (forced)" : ""));
	return m;
}

namespace {

Response list_exports(const App &app)
{
	auto e = app.rnbd_exports();
	if (!e)
		return error_response(e.error());
	return Response::json(200, rnbd_export_list_json(*e));
}

Response create_export(const App &app, const Request &req)
{
	auto spec = parse_rnbd_export_create(req.body);
	if (!spec)
		return error_response(spec.error());
	auto r = app.rnbd_export(*spec);
	if (!r)
		return error_response(r.error());
	Response resp = Response::json(201, rnbd_export_json(*r));
	resp.headers.emplace_back("Location", "/v1/rnbd/exports/" + rnbd::export_id(*r));
	return resp;
}

Response remove_export(const App &app, const Request &req)
{
	if (!req.body.empty())
		return error_response(invalid_value("DELETE of an export takes no body"));
	bool state_only = false;
	auto r = app.rnbd_unexport(req.param("id"), state_only);
	if (!r)
		return error_response(r.error());
	Json j = rnbd_export_json(*r);
	j["unexported"] = true;
	if (state_only)
		j["note"] = "the export did not exist (it could not be restored); it was removed from the "
			    "desired state";
	return Response::json(200, j);
}

Response list_mappings(const App &app)
{
	auto m = app.rnbd_mappings();
	if (!m)
		return error_response(m.error());
	return Response::json(200, rnbd_mapping_list_json(*m));
}

Response create_mapping(const App &app, const Request &req)
{
	auto spec = parse_rnbd_map_create(req.body);
	if (!spec)
		return error_response(spec.error());
	auto m = app.rnbd_map(*spec);
	if (!m)
		return error_response(m.error());
	Response resp = Response::json(201, rnbd_mapping_json(*m));
	resp.headers.emplace_back("Location", "/v1/rnbd/mappings/" + m->name);
	return resp;
}

Response remove_mapping(const App &app, const Request &req)
{
	auto name = rnbd::validate_mapping_name(req.param("name"));
	if (!name)
		return error_response(name.error());
	auto force = parse_rnbd_unmap(req);
	if (!force)
		return error_response(force.error());
	auto m = app.rnbd_unmap(*name, *force);
	if (!m)
		return error_response(m.error());
	Json j = rnbd_mapping_json(*m);
	j["unmapped"] = true;
	j["force"] = *force;
	return Response::json(200, j);
}

Response list_sessions(const App &app)
{
	const rnbd::Manager &r = app.rnbd();
	if (!r.server_loaded() && !r.client_loaded())
		return error_response(api_error(make_error(
			Errc::unsupported, "neither stor_rnbd_server nor stor_rnbd_client is loaded")));
	std::optional<std::vector<rnbd::ServerSession>> server;
	std::optional<std::vector<rnbd::ClientSession>> client;
	if (r.server_loaded()) {
		auto s = r.server_sessions();
		if (!s)
			return error_response(s.error());
		server = std::move(*s);
	}
	if (r.client_loaded()) {
		auto c = r.client_sessions();
		if (!c)
			return error_response(c.error());
		client = std::move(*c);
	}
	return Response::json(200, rnbd_sessions_json(server ? &*server : nullptr, client ? &*client : nullptr));
}

} // namespace

void add_rnbd_routes(Router &router, const App &app)
{
	router.add("GET", "/v1/rnbd/exports", [&app](const Request &) { return list_exports(app); });
	router.add("POST", "/v1/rnbd/exports", [&app](const Request &r) { return create_export(app, r); });
	router.add("DELETE", "/v1/rnbd/exports/{id}", [&app](const Request &r) { return remove_export(app, r); });
	router.add("GET", "/v1/rnbd/mappings", [&app](const Request &) { return list_mappings(app); });
	router.add("POST", "/v1/rnbd/mappings", [&app](const Request &r) { return create_mapping(app, r); });
	router.add("DELETE", "/v1/rnbd/mappings/{name}",
		   [&app](const Request &r) { return remove_mapping(app, r); });
	router.add("GET", "/v1/rnbd/sessions", [&app](const Request &) { return list_sessions(app); });
}

} // namespace storctl::daemon
