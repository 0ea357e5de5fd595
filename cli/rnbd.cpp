// SPDX-License-Identifier: MIT
//
// `storctl rnbd ...`: RNBD remote block devices (docs/rnbd.md).
//
//   storctl rnbd export DEVICE [--session NAME] [--read-only]      (server)
//   storctl rnbd unexport DEVICE [--session NAME]                  (server)
//   storctl rnbd map --session NAME --path ip:ADDR[@ip:SRC] [--path ...]
//                    --device PATH [--access ro|rw|migration] [--port N]
//                    [--poll-queues N]                               (client)
//   storctl rnbd unmap DEVICE [--force]                            (client)
//   storctl rnbd list        exports (server) and mappings (client)
//   storctl rnbd sessions    sessions of the server and of the client
//
// The JSON objects are daemon/json_output.cpp's, the API's answers.  The
// text renderers have external linkage for the unit tests.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <storctl/rnbd.hpp>

#include "command.hpp"
#include "json_output.hpp"
#include "output.hpp"
#include "rnbd_service.hpp"

namespace storctl::cli {

using daemon::rnbd_export_json;
using daemon::rnbd_export_list_json;
using daemon::rnbd_mapping_json;
using daemon::rnbd_mapping_list_json;
using daemon::rnbd_sessions_json;

/// Text of `storctl rnbd list`: an EXPORTS table and a MAPPINGS table;
/// a null side (module not loaded) is left out.
std::string format_rnbd_list(const std::vector<rnbd::ExportInfo> *exports,
			     const std::vector<rnbd::Mapping> *mappings)
{
	std::string out;
	if (exports) {
		std::vector<std::vector<std::string>> rows = {{"EXPORT", "SESSION", "ACCESS"}};
		for (const auto &e : *exports)
			rows.push_back({e.device_path, e.session.empty() ? "*" : e.session,
					e.read_only ? "ro" : "rw"});
		out += format_columns(rows);
	}
	if (mappings) {
		if (!out.empty())
			out += "\n";
		std::vector<std::vector<std::string>> rows = {
			{"DEVICE", "SESSION", "SERVER DEVICE", "ACCESS", "STATE"}};
		for (const auto &m : *mappings)
			rows.push_back({m.path, m.session, m.device_path, m.access, m.state});
		out += format_columns(rows);
	}
	return out;
}

std::string format_rnbd_sessions(const std::vector<rnbd::ServerSession> *server,
				 const std::vector<rnbd::ClientSession> *client)
{
	std::string out;
	if (server) {
		std::vector<std::vector<std::string>> rows = {
			{"SERVER SESSION", "PATHS", "DEVICES", "CLIENT", "PATH STATE"}};
		for (const auto &s : *server) {
			const std::string name = s.name + (s.closing ? " (closing)" : "");
			if (s.paths.empty())
				rows.push_back({name, std::to_string(s.path_count),
						std::to_string(s.device_count), "-", "-"});
			for (std::size_t i = 0; i < s.paths.size(); i++)
				rows.push_back({i ? "" : name, i ? "" : std::to_string(s.path_count),
						i ? "" : std::to_string(s.device_count),
						s.paths[i].client_address, s.paths[i].state});
		}
		out += format_columns(rows);
	}
	if (client) {
		if (!out.empty())
			out += "\n";
		std::vector<std::vector<std::string>> rows = {
			{"CLIENT SESSION", "STATE", "PATH", "PATH STATE", "DEVICES"}};
		for (const auto &s : *client) {
			std::string devs;
			for (const auto &d : s.devices)
				devs += (devs.empty() ? "" : ",") + d;
			if (devs.empty())
				devs = "-";
			if (s.paths.empty())
				rows.push_back({s.name, s.state, "-", "-", devs});
			for (std::size_t i = 0; i < s.paths.size(); i++)
				rows.push_back({i ? "" : s.name, i ? "" : s.state, s.paths[i].address,
						s.paths[i].state, i ? "" : devs});
		}
		out += format_columns(rows);
	}
	return out;
}

namespace {

void emit(Context &cx, const Json &j, const std::string &text)
{
	if (cx.json)
		*cx.out << j.dump() << '\n';
	else
		*cx.out << text;
}

struct ExportArgs {
	std::string device;
	std::string session;
	bool read_only = false;
};

struct MapArgs {
	std::string session;
	std::vector<std::string> paths;
	std::string device;
	std::string access = "rw";
	std::optional<int> port;
	std::optional<int> poll_queues;
};

struct UnmapArgs {
	std::string device;
	bool force = false;
};

Result<rnbd::MapSpec> map_spec(const MapArgs &a)
{
	rnbd::MapSpec spec;
	spec.session = a.session;
	if (a.paths.empty())
		return make_error(Errc::invalid_argument, "give at least one --path ip:ADDR[@ip:SRC]");
	for (const auto &p : a.paths) {
		auto ps = rnbd::parse_path(p);
		if (!ps)
			return std::move(ps).error();
		spec.paths.push_back(*ps);
	}
	auto acc = rnbd::parse_access(a.access);
	if (!acc)
		return std::move(acc).error();
	spec.access = *acc;
	auto dev = rnbd::normalize_device_path(a.device);
	if (!dev)
		return std::move(dev).error();
	spec.device_path = *dev;
	if (a.port) {
		if (*a.port < 1 || *a.port > 65535)
			return make_error(Errc::invalid_argument,
					  "invalid port " + std::to_string(*a.port) + ": expected 1..65535");
		spec.port = static_cast<std::uint16_t>(*a.port);
	}
	if (a.poll_queues) {
		if (*a.poll_queues < 0)
			return make_error(Errc::invalid_argument,
					  "invalid number of poll queues " + std::to_string(*a.poll_queues));
		spec.poll_queues = static_cast<unsigned>(*a.poll_queues);
	}
	if (auto r = rnbd::validate(spec); !r)
		return std::move(r).error();
	return spec;
}

void add_export(CLI::App &grp, Context &ctx)
{
	auto a = std::make_shared<ExportArgs>();
	auto *c = grp.add_subcommand(
		"export", "Export a block device to RNBD clients (server side, stor_rnbd_server)");
	c->add_option("DEVICE", a->device, "Device path, or a name under /dev (srd0)")
		->required()
		->type_name("");
	c->add_option("--session", a->session, "Export only to this session (default: every session)")
		->type_name("NAME");
	c->add_flag("--read-only", a->read_only, "Allow only read-only mappings");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			rnbd::ExportSpec spec;
			auto dev = rnbd::normalize_device_path(a->device);
			if (!dev)
				return std::move(dev).error();
			spec.device_path = *dev;
			spec.session = a->session;
			spec.read_only = a->read_only;
			auto svc = rnbd_service(cx);
			if (!svc)
				return std::move(svc).error();
			auto r = (*svc)->export_device(spec);
			if (!r)
				return std::move(r).error();
			emit(cx, rnbd_export_json(*r),
			     "exported " + r->device_path + " to " +
			     (r->session.empty() ? "every session" : "session " + r->session) +
			     (r->read_only ? " (read-only)" : "") + "\n");
			return ok();
		};
	});
}

void add_unexport(CLI::App &grp, Context &ctx)
{
	auto a = std::make_shared<ExportArgs>();
	auto *c = grp.add_subcommand(
		"unexport", "Stop exporting a block device (existing mappings stay; new ones are refused)");
	c->add_option("DEVICE", a->device, "Device path as exported, or a name under /dev")
		->required()
		->type_name("");
	c->add_option("--session", a->session, "The session the export is for (default: every session)")
		->type_name("NAME");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto dev = rnbd::normalize_device_path(a->device);
			if (!dev)
				return std::move(dev).error();
			if (!a->session.empty())
				if (auto r = rnbd::validate_session_name(a->session); !r)
					return r;
			auto svc = rnbd_service(cx);
			if (!svc)
				return std::move(svc).error();
			if (auto r = (*svc)->unexport_device(*dev, a->session); !r)
				return r;
			rnbd::ExportInfo e{*dev, a->session, false};
			emit(cx, Json{{"unexported", rnbd::export_id(e)}, {"device_path", *dev},
				      {"session", a->session.empty() ? Json(nullptr) : Json(a->session)}},
			     "unexported " + *dev + "\n");
			return ok();
		};
	});
}

void add_map(CLI::App &grp, Context &ctx)
{
	auto a = std::make_shared<MapArgs>();
	auto *c = grp.add_subcommand(
		"map", "Map a device of an RNBD server as /dev/srnbd<N> (client side, stor_rnbd_client)");
	c->add_option("--session", a->session,
		      "Session name: 1-63 of [A-Za-z0-9._-], starting with a letter or digit")
		->required()
		->type_name("NAME");
	c->add_option("--path", a->paths,
		      "Server address, optionally with a source address; 1 to 6 times")
		->required()
		->type_name("ip:ADDR[@ip:SRC]");
	c->add_option("--device", a->device, "Device path on the server, or a name under /dev")
		->required()
		->type_name("PATH");
	c->add_option("--access", a->access, "ro, rw (default) or migration")->type_name("MODE");
	c->add_option("--port", a->port, "Server's RDMA CM port (default 1235)")->type_name("N");
	c->add_option("--poll-queues", a->poll_queues,
		      "Polled I/O queues of a new session (nr_poll_queues, default 0)")
		->type_name("N");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto spec = map_spec(*a);
			if (!spec)
				return std::move(spec).error();
			auto svc = rnbd_service(cx);
			if (!svc)
				return std::move(svc).error();
			auto m = (*svc)->map(*spec);
			if (!m)
				return std::move(m).error();
			emit(cx, rnbd_mapping_json(*m),
			     "mapped " + m->device_path + " of session " + m->session + " as " + m->path +
			     " (" + m->access + ")\n");
			return ok();
		};
	});
}

void add_unmap(CLI::App &grp, Context &ctx)
{
	auto a = std::make_shared<UnmapArgs>();
	auto *c = grp.add_subcommand("unmap", "Unmap /dev/srnbd<N> (refused while it is open, unless --force)");
	c->add_option("DEVICE", a->device, "srnbd<N> or /dev/srnbd<N>")->required()->type_name("");
	c->add_flag("--force", a->force,
		    "Unmap even while the device is open (its I/O then fails)");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto name = rnbd::validate_mapping_name(a->device);
			if (!name)
				return std::move(name).error();
			auto svc = rnbd_service(cx);
			if (!svc)
				return std::move(svc).error();
			if (auto r = (*svc)->unmap(*name, a->force); !r)
				return r;
			emit(cx, Json{{"unmapped", *name}, {"force", a->force}}, "unmapped /dev/" + *name + "\n");
			return ok();
		};
	});
}

void add_list(CLI::App &grp, Context &ctx)
{
	auto *c = grp.add_subcommand(
		"list", "List exports (server) and mappings (client); JSON: {\"exports\", \"mappings\"}");
	c->callback([&ctx] {
		ctx.action = [](Context &cx) -> Result<void> {
			auto svc = rnbd_service(cx);
			if (!svc)
				return std::move(svc).error();
			auto l = (*svc)->list();
			if (!l)
				return std::move(l).error();
			const auto *ex = l->exports ? &*l->exports : nullptr;
			const auto *mp = l->mappings ? &*l->mappings : nullptr;
			emit(cx, Json{{"exports", ex ? rnbd_export_list_json(*ex) : Json(nullptr)},
				      {"mappings", mp ? rnbd_mapping_list_json(*mp) : Json(nullptr)}},
			     format_rnbd_list(ex, mp));
			return ok();
		};
	});
}

void add_sessions(CLI::App &grp, Context &ctx)
{
	auto *c = grp.add_subcommand(
		"sessions", "List the server's and the client's sessions and their paths");
	c->callback([&ctx] {
		ctx.action = [](Context &cx) -> Result<void> {
			auto svc = rnbd_service(cx);
			if (!svc)
				return std::move(svc).error();
			auto s = (*svc)->sessions();
			if (!s)
				return std::move(s).error();
			const auto *sv = s->server ? &*s->server : nullptr;
			const auto *cl = s->client ? &*s->client : nullptr;
			emit(cx, rnbd_sessions_json(sv, cl), format_rnbd_sessions(sv, cl));
			return ok();
		};
	});
}

void register_rnbd(CLI::App &app, Context &ctx)
{
	auto *grp = app.add_subcommand(
		"rnbd", "RNBD remote block devices over RDMA (stor_rnbd_server, stor_rnbd_client)");
	add_export(*grp, ctx);
	add_unexport(*grp, ctx);
	add_map(*grp, ctx);
	add_unmap(*grp, ctx);
	add_list(*grp, ctx);
	add_sessions(*grp, ctx);
}

const CommandRegistrar registrar{"rnbd", &register_rnbd, true};

} // namespace

} // namespace storctl::cli
