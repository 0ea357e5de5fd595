// SPDX-License-Identifier: MIT
//
// NVMe-oF (docs/nvmet.md), through nvmet::Manager:
//   /v1/nvmet/ports: GET (list), POST (create or reuse);
//   /v1/nvmet/ports/{id}: DELETE;
//   /v1/nvmet/exports: GET (list), POST (export, or add hosts/ports);
//   /v1/nvmet/exports/{volume}: GET, PATCH (hosts, ports, allow_any_host),
//   DELETE (the whole export);
//   /v1/nvmet/actions/unexport: POST (what `storctl nvmet unexport` does:
//   the whole export, or only some hosts, ports or allow_any_host).
// {volume} is what `storctl nvmet` takes without a path: srdN, a
// device-mapper name (sc_srd1), a name under /dev (sdb), or the NQN.
// The objects are those of `storctl --json nvmet ...` (json_output.hpp).
// RapidDisk-compatible listings: GET /v1/listAllNVMeTargets and
// /v1/listAllNVMePorts (docs/api.md has their shapes).
#include "app.hpp"
#include "json_input.hpp"
#include "json_output.hpp"

namespace storctl::daemon {

namespace {

Response list_ports(const App &app)
{
	auto ports = app.nvmet_ports();
	if (!ports)
		return error_response(ports.error());
	return Response::json(200, nvmet_port_list_json(*ports));
}

Response add_port(const App &app, const Request &req)
{
	auto spec = parse_nvmet_port_create(req.body);
	if (!spec)
		return error_response(spec.error());
	auto r = app.add_nvmet_port(*spec);
	if (!r)
		return error_response(r.error());
	Json j = nvmet_port_json(r->port);
	j["created"] = r->created;
	Response resp = Response::json(r->created ? 201 : 200, j);
	resp.headers.emplace_back("Location", "/v1/nvmet/ports/" + std::to_string(r->port.id));
	return resp;
}

Response remove_port(const App &app, const Request &req)
{
	auto id = nvmet::parse_port_id(req.param("id"));
	if (!id)
		return error_response(id.error());
	if (!req.body.empty())
		return error_response(invalid_value("DELETE of a port takes no body"));
	bool state_only = false;
	if (auto r = app.remove_nvmet_port(*id, state_only); !r)
		return error_response(r.error());
	Json j{{"removed_port", *id}};
	if (state_only)
		j["note"] = "port " + std::to_string(*id) + " did not exist (it could not be restored); it "
			    "was removed from the desired state";
	return Response::json(200, j);
}

Response list_exports(const App &app)
{
	auto exports = app.nvmet_exports();
	if (!exports)
		return error_response(exports.error());
	return Response::json(200, nvmet_export_list_json(*exports));
}

// The {volume} path segment: never a path.
std::optional<ApiError> check_volume_param(std::string_view v)
{
	if (v.empty() || v.find('/') != std::string_view::npos || v == "." || v == "..")
		return invalid_value("invalid volume '" + std::string(v) +
				     "': expected srdN, a device-mapper name or the export's NQN");
	return std::nullopt;
}

Response create_export(const App &app, const Request &req)
{
	auto spec = parse_nvmet_export_create(req.body);
	if (!spec)
		return error_response(spec.error());
	auto r = app.export_volume(*spec);
	if (!r)
		return error_response(r.error());
	Json j = nvmet_export_json(r->info);
	j["created"] = r->created;
	Response resp = Response::json(r->created ? 201 : 200, j);
	resp.headers.emplace_back("Location", "/v1/nvmet/exports/" + nvmet::volume_label(r->info.volume));
	return resp;
}

Response get_export(const App &app, const Request &req)
{
	if (auto e = check_volume_param(req.param("volume")))
		return error_response(*e);
	auto info = app.nvmet_export(req.param("volume"));
	if (!info)
		return error_response(info.error());
	return Response::json(200, nvmet_export_json(*info));
}

Response patch_export(const App &app, const Request &req)
{
	if (auto e = check_volume_param(req.param("volume")))
		return error_response(*e);
	auto change = parse_nvmet_export_patch(req.body);
	if (!change)
		return error_response(change.error());
	auto info = app.change_export(req.param("volume"), *change);
	if (!info)
		return error_response(info.error());
	return Response::json(200, nvmet_export_json(*info));
}

Response remove_export(const App &app, const Request &req)
{
	if (auto e = check_volume_param(req.param("volume")))
		return error_response(*e);
	if (!req.body.empty())
		return error_response(invalid_value("DELETE of an export takes no body (PATCH removes "
						    "single hosts or ports)"));
	bool state_only = false;
	auto r = app.unexport_volume(req.param("volume"), state_only);
	if (!r)
		return error_response(r.error());
	Json j = nvmet_unexport_json(*r);
	if (state_only)
		j["note"] = r->nqn + " did not exist (it could not be restored); it was removed from the "
				     "desired state";
	return Response::json(200, j);
}

// `storctl nvmet unexport` through the API: the whole export, or only
// some hosts, ports or allow_any_host; its answer either way.
Response unexport_action(const App &app, const Request &req)
{
	auto spec = parse_nvmet_unexport(req.body);
	if (!spec)
		return error_response(spec.error());
	bool state_only = false;
	auto r = app.unexport(*spec, state_only);
	if (!r)
		return error_response(r.error());
	Json j = nvmet_unexport_json(*r);
	if (state_only)
		j["note"] = r->nqn + " did not exist (it could not be restored); it was removed from the "
				     "desired state";
	return Response::json(200, j);
}

// --- RapidDisk-compatible listings ------------------------------------------------

Response rapid_failed(const Error &e)
{
	Json j = error_json(api_error(e));
	j["status"] = "Failed";
	return Response::json(http_status(e.code), j);
}

Response rapid_targets(const App &app)
{
	auto exports = app.nvmet_exports();
	if (!exports)
		return rapid_failed(exports.error());
	Json targets = Json::array();
	for (const nvmet::ExportInfo &e : *exports) {
		Json ns = Json::array();
		for (const nvmet::NamespaceInfo &n : e.namespaces)
			ns.push_back(Json{{"nsid", n.nsid}, {"device", n.device_path}, {"enabled", n.enabled}});
		targets.push_back(Json{{"nqn", e.nqn},
				       {"namespaces", std::move(ns)},
				       {"allowed_hosts", e.hosts},
				       {"allow_any_host", e.allow_any_host},
				       {"assigned_ports", e.ports}});
	}
	return Response::json(200, Json{{"status", "Success"}, {"targets", std::move(targets)}});
}

Response rapid_ports(const App &app)
{
	auto ports = app.nvmet_ports();
	if (!ports)
		return rapid_failed(ports.error());
	Json out = Json::array();
	for (const nvmet::PortInfo &p : *ports) {
		Json service = nullptr;
		if (!p.service.empty() && p.service.size() <= 5 &&
		    p.service.find_first_not_of("0123456789") == std::string::npos)
			service = std::stoul(p.service);
		out.push_back(Json{{"port", p.id},
				   {"protocol", p.transport},
				   {"address", p.address.empty() ? Json(nullptr) : Json(p.address)},
				   {"address_family", p.family.empty() ? Json(nullptr) : Json(p.family)},
				   {"port_num", service},
				   {"targets", p.subsystems}});
	}
	return Response::json(200, Json{{"status", "Success"}, {"ports", std::move(out)}});
}

} // namespace

void add_nvmet_routes(Router &router, const App &app)
{
	router.add("GET", "/v1/nvmet/ports", [&app](const Request &) { return list_ports(app); });
	router.add("POST", "/v1/nvmet/ports", [&app](const Request &r) { return add_port(app, r); });
	router.add("DELETE", "/v1/nvmet/ports/{id}", [&app](const Request &r) { return remove_port(app, r); });
	router.add("GET", "/v1/nvmet/exports", [&app](const Request &) { return list_exports(app); });
	router.add("POST", "/v1/nvmet/exports", [&app](const Request &r) { return create_export(app, r); });
	router.add("GET", "/v1/nvmet/exports/{volume}", [&app](const Request &r) { return get_export(app, r); });
	router.add("PATCH", "/v1/nvmet/exports/{volume}",
		   [&app](const Request &r) { return patch_export(app, r); });
	router.add("DELETE", "/v1/nvmet/exports/{volume}",
		   [&app](const Request &r) { return remove_export(app, r); });
	router.add("POST", "/v1/nvmet/actions/unexport",
		   [&app](const Request &r) { return unexport_action(app, r); });
	router.add("GET", "/v1/listAllNVMeTargets", [&app](const Request &) { return rapid_targets(app); });
	router.add("GET", "/v1/listAllNVMePorts", [&app](const Request &) { return rapid_ports(app); });
}

} // namespace storctl::daemon
