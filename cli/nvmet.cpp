// SPDX-License-Identifier: MIT
//
// `storctl nvmet ...`: NVMe-oF ports and exports (docs/nvmet.md).
//
//   storctl nvmet port add [--transport tcp|rdma|loop] [--address ADDR | --interface IF]
//                          [--service N] [--id N]
//   storctl nvmet port remove ID
//   storctl nvmet port list
//   storctl nvmet export VOLUME [--port ID]... [--host NQN]... [--allow-any-host] [--nqn NQN]
//   storctl nvmet unexport VOLUME [--host NQN]... [--port ID]... [--allow-any-host]
//   storctl nvmet list
//
// The rendering functions at the top have external linkage so the unit
// tests can check the output shapes (tests/unit/nvmet_output_test.cpp
// declares them); the registration below is file-local like every verb
// group's.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <storctl/nvmet.hpp>

#include "command.hpp"
#include "json_output.hpp"
#include "output.hpp"

namespace storctl::cli {

// --- rendering ----------------------------------------------------------------

namespace {

std::string port_address_text(const nvmet::PortInfo &p)
{
	if (p.address.empty())
		return "-";
	return p.family == "ipv6" ? "[" + p.address + "]" : p.address;
}

std::string port_text(const nvmet::PortInfo &p)
{
	std::string s = p.transport.empty() ? "?" : p.transport;
	if (!p.address.empty()) {
		s += " " + port_address_text(p);
		if (!p.service.empty())
			s += ":" + p.service;
	}
	return s;
}

std::string join(const std::vector<std::string> &v, const char *sep = ", ")
{
	std::string s;
	for (std::size_t i = 0; i < v.size(); i++)
		s += (i ? sep : "") + v[i];
	return s;
}

std::string join_ids(const std::vector<std::uint16_t> &v, const char *sep = ", ")
{
	std::vector<std::string> s;
	for (auto id : v)
		s.push_back(std::to_string(id));
	return join(s, sep);
}

std::string access_text(const nvmet::ExportInfo &e)
{
	if (e.allow_any_host)
		return "any host";
	if (e.hosts.empty())
		return "no host";
	return join(e.hosts, ",");
}

} // namespace

// The JSON objects are daemon/json_output.cpp's: the API answers with the
// same ones.
using daemon::nvmet_export_json;
using daemon::nvmet_export_list_json;
using daemon::nvmet_port_json;
using daemon::nvmet_port_list_json;
using daemon::nvmet_unexport_json;

std::string format_nvmet_port_added(const nvmet::PortAddResult &r)
{
	if (r.created)
		return "created port " + std::to_string(r.port.id) + " (" + port_text(r.port) + ")\n";
	return "port " + std::to_string(r.port.id) + " (" + port_text(r.port) +
	       ") already exists: reusing it\n";
}

/// ID TRANSPORT ADDRESS SERVICE EXPORTS
std::string format_nvmet_port_table(const std::vector<nvmet::PortInfo> &ports)
{
	std::vector<std::vector<std::string>> rows = {{"ID", "TRANSPORT", "ADDRESS", "SERVICE", "EXPORTS"}};
	for (const auto &p : ports)
		rows.push_back({std::to_string(p.id), p.transport.empty() ? "-" : p.transport,
				port_address_text(p), p.service.empty() ? "-" : p.service,
				p.subsystems.empty() ? "-" : join(p.subsystems, ",")});
	return format_columns(rows);
}

std::string format_nvmet_exported(const nvmet::ExportResult &r)
{
	const auto &e = r.info;
	std::string ports = e.ports.empty() ? "no port" : (e.ports.size() == 1 ? "port " : "ports ") +
								 join_ids(e.ports);
	std::string access = e.allow_any_host ? "any host"
				: e.hosts.empty() ? "no host" : "hosts " + join(e.hosts);
	return std::string(r.created ? "exported " : "updated the export of ") + e.volume + " as " +
	       e.nqn + " (" + ports + "; " + access + ")\n";
}

std::string format_nvmet_unexported(const nvmet::UnexportResult &r)
{
	if (r.removed)
		return "unexported " + r.volume + " (" + r.nqn + ")\n";
	std::string out;
	for (auto id : r.ports_removed)
		out += "removed " + r.nqn + " from port " + std::to_string(id) + "\n";
	for (const auto &h : r.hosts_removed)
		out += "removed host " + h + " from " + r.nqn + "\n";
	if (r.any_host_revoked)
		out += r.nqn + " no longer allows any host\n";
	return out;
}

/// NQN VOLUME PORTS ACCESS
std::string format_nvmet_export_table(const std::vector<nvmet::ExportInfo> &exports)
{
	std::vector<std::vector<std::string>> rows = {{"NQN", "VOLUME", "PORTS", "ACCESS"}};
	for (const auto &e : exports)
		rows.push_back({e.nqn, e.volume.empty() ? "-" : e.volume,
				e.ports.empty() ? "-" : join_ids(e.ports, ","), access_text(e)});
	return format_columns(rows);
}

// --- commands -------------------------------------------------------------------

namespace {

void emit(Context &cx, const Json &j, const std::string &text)
{
	if (cx.json)
		*cx.out << j.dump() << '\n';
	else
		*cx.out << text;
}

Result<std::vector<std::uint16_t>> port_ids(const std::vector<std::string> &texts)
{
	std::vector<std::uint16_t> ids;
	for (const auto &t : texts) {
		auto id = nvmet::parse_port_id(t);
		if (!id)
			return std::move(id).error();
		ids.push_back(*id);
	}
	return ids;
}

struct PortAddArgs {
	std::string transport = "tcp";
	std::optional<std::string> address;
	std::optional<std::string> interface;
	std::optional<std::string> service;
	std::optional<std::string> id;
};

struct PortIdArgs {
	std::string id;
};

struct ExportArgs {
	std::string volume;
	std::vector<std::string> ports;
	std::vector<std::string> hosts;
	bool allow_any_host = false;
	std::optional<std::string> nqn;
};

void add_port_group(CLI::App &grp, Context &ctx)
{
	auto *port = grp.add_subcommand("port", "Manage NVMe-oF ports (listeners)");

	auto a = std::make_shared<PortAddArgs>();
	auto *add = port->add_subcommand(
		"add", "Create a port, or reuse the one with the same transport, address and service");
	add->add_option("--transport", a->transport, "tcp (default), rdma or loop")
		->type_name("T");
	auto *addr = add->add_option("--address", a->address, "IPv4 or IPv6 address to listen on")
			     ->type_name("ADDR");
	add->add_option("--interface", a->interface,
			"Listen on the first address of this network interface")
		->type_name("IF")
		->excludes(addr);
	add->add_option("--service", a->service, "TCP/RDMA port number (default 4420)")
		->type_name("N");
	add->add_option("--id", a->id, "Port id, 1-65534 (default: the lowest free one)")
		->type_name("N");
	add->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			nvmet::PortSpec spec;
			auto t = nvmet::parse_transport(a->transport);
			if (!t)
				return std::move(t).error();
			spec.transport = *t;
			spec.address = a->address;
			spec.interface = a->interface;
			if (a->service) {
				auto s = nvmet::parse_service(*a->service);
				if (!s)
					return std::move(s).error();
				spec.service = *s;
			}
			if (a->id) {
				auto id = nvmet::parse_port_id(*a->id);
				if (!id)
					return std::move(id).error();
				spec.id = *id;
			}
			auto svc = cx.nvmet();
			if (!svc)
				return std::move(svc).error();
			auto r = (*svc)->add_port(spec);
			if (!r)
				return std::move(r).error();
			Json j = nvmet_port_json(r->port);
			j["created"] = r->created;
			emit(cx, j, format_nvmet_port_added(*r));
			return ok();
		};
	});

	auto ra = std::make_shared<PortIdArgs>();
	auto *rm = port->add_subcommand("remove", "Remove a port (no export may use it)");
	rm->add_option("ID", ra->id, "Port id")->required()->type_name("");
	rm->callback([&ctx, ra] {
		ctx.action = [ra](Context &cx) -> Result<void> {
			auto id = nvmet::parse_port_id(ra->id);
			if (!id)
				return std::move(id).error();
			auto svc = cx.nvmet();
			if (!svc)
				return std::move(svc).error();
			if (auto r = (*svc)->remove_port(*id); !r)
				return r;
			emit(cx, Json{{"removed_port", *id}}, "removed port " + std::to_string(*id) + "\n");
			return ok();
		};
	});

	auto *ls = port->add_subcommand("list", "List ports (table, or a JSON array with --json)");
	ls->callback([&ctx] {
		ctx.action = [](Context &cx) -> Result<void> {
			auto svc = cx.nvmet();
			if (!svc)
				return std::move(svc).error();
			auto ports = (*svc)->ports();
			if (!ports)
				return std::move(ports).error();
			emit(cx, nvmet_port_list_json(*ports), format_nvmet_port_table(*ports));
			return ok();
		};
	});
}

void add_export(CLI::App &grp, Context &ctx)
{
	auto a = std::make_shared<ExportArgs>();
	auto *c = grp.add_subcommand(
		"export", "Export a volume as namespace 1 of its own subsystem, or add hosts/ports "
			  "to its export");
	c->add_option("VOLUME", a->volume,
		      "Block device: /dev/srdN, /dev/mapper/NAME, /dev/sdX... (or srdN, a dm name)")
		->required()
		->type_name("");
	c->add_option("--port", a->ports, "Port id to export on (repeatable; default: the only port)")
		->type_name("ID");
	auto *host = c->add_option("--host", a->hosts, "Allow this host NQN (repeatable)")
			     ->type_name("NQN");
	c->add_flag("--allow-any-host", a->allow_any_host, "Let any host connect (no access list)")
		->excludes(host);
	c->add_option("--nqn", a->nqn,
		      "Subsystem NQN (default nqn.2014-08.org.storctl:<hostname>:<volume>)")
		->type_name("NQN");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			nvmet::ExportSpec spec;
			spec.volume = a->volume;
			auto ids = port_ids(a->ports);
			if (!ids)
				return std::move(ids).error();
			spec.ports = *ids;
			spec.hosts = a->hosts;
			spec.allow_any_host = a->allow_any_host;
			spec.nqn = a->nqn;
			auto svc = cx.nvmet();
			if (!svc)
				return std::move(svc).error();
			auto r = (*svc)->export_volume(spec);
			if (!r)
				return std::move(r).error();
			Json j = nvmet_export_json(r->info);
			j["created"] = r->created;
			emit(cx, j, format_nvmet_exported(*r));
			return ok();
		};
	});
}

void add_unexport(CLI::App &grp, Context &ctx)
{
	auto a = std::make_shared<ExportArgs>();
	auto *c = grp.add_subcommand(
		"unexport", "Remove an export, or only some of its hosts, ports or allow-any-host");
	c->add_option("VOLUME", a->volume, "The exported volume, or the NQN of the export")
		->required()
		->type_name("");
	c->add_option("--host", a->hosts, "Only remove this allowed host (repeatable)")
		->type_name("NQN");
	c->add_option("--port", a->ports, "Only stop exporting on this port (repeatable)")
		->type_name("ID");
	c->add_flag("--allow-any-host", a->allow_any_host,
		    "Only withdraw allow-any-host (the export then admits no host until one is added)");
	c->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			nvmet::UnexportSpec spec;
			spec.volume = a->volume;
			auto ids = port_ids(a->ports);
			if (!ids)
				return std::move(ids).error();
			spec.ports = *ids;
			spec.hosts = a->hosts;
			spec.allow_any_host = a->allow_any_host;
			auto svc = cx.nvmet();
			if (!svc)
				return std::move(svc).error();
			auto r = (*svc)->unexport(spec);
			if (!r)
				return std::move(r).error();
			emit(cx, nvmet_unexport_json(*r), format_nvmet_unexported(*r));
			return ok();
		};
	});
}

void add_list(CLI::App &grp, Context &ctx)
{
	auto *c = grp.add_subcommand("list", "List exports (table, or a JSON array with --json)");
	c->callback([&ctx] {
		ctx.action = [](Context &cx) -> Result<void> {
			auto svc = cx.nvmet();
			if (!svc)
				return std::move(svc).error();
			auto exports = (*svc)->exports();
			if (!exports)
				return std::move(exports).error();
			emit(cx, nvmet_export_list_json(*exports), format_nvmet_export_table(*exports));
			return ok();
		};
	});
}

void register_nvmet(CLI::App &app, Context &ctx)
{
	auto *grp = app.add_subcommand("nvmet", "Export volumes over NVMe-oF (kernel NVMe target)");
	add_port_group(*grp, ctx);
	add_export(*grp, ctx);
	add_unexport(*grp, ctx);
	add_list(*grp, ctx);
}

const CommandRegistrar registrar{"nvmet", &register_nvmet, true};

} // namespace

} // namespace storctl::cli
