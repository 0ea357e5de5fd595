// SPDX-License-Identifier: MIT
//
// `storctl rdma link ...`: soft-RoCE RDMA links through RDMA netlink
// (lib/src/rdma_netlink.cpp), what the RNBD and NVMe-oF RDMA transports
// run on when there is no RDMA hardware.
//
//   storctl rdma link add --netdev IF [--name NAME]
//   storctl rdma link delete NAME
//   storctl rdma link list
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <storctl/rdma.hpp>

#include "command.hpp"
#include "json_output.hpp"

namespace storctl::cli {

/// NAME PORT STATE PHYSICAL NETDEV
std::string format_rdma_link_table(const std::vector<rdma::Link> &links)
{
	std::vector<std::vector<std::string>> rows = {{"NAME", "PORT", "STATE", "PHYSICAL", "NETDEV"}};
	for (const auto &l : links)
		rows.push_back({l.name, l.port ? std::to_string(l.port) : "-",
				l.state.empty() ? "-" : l.state,
				l.physical_state.empty() ? "-" : l.physical_state,
				l.netdev.empty() ? "-" : l.netdev});
	std::vector<std::size_t> width(5, 0);
	for (const auto &r : rows)
		for (std::size_t i = 0; i < r.size(); i++)
			width[i] = std::max(width[i], r[i].size());
	std::string out;
	for (const auto &r : rows) {
		for (std::size_t i = 0; i < r.size(); i++)
			out += r[i] + (i + 1 < r.size() ? std::string(width[i] - r[i].size() + 2, ' ') : "");
		out += "\n";
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

struct LinkArgs {
	std::string name;
	std::string netdev;
};

void register_rdma(CLI::App &app, Context &ctx)
{
	auto *grp = app.add_subcommand("rdma", "RDMA devices (soft-RoCE links for RNBD and NVMe-oF RDMA)");
	auto *link = grp->add_subcommand("link", "Manage soft-RoCE (rxe) RDMA links on network interfaces");

	auto a = std::make_shared<LinkArgs>();
	auto *add = link->add_subcommand("add", "Create a soft-RoCE RDMA device on a network interface");
	add->add_option("--netdev", a->netdev, "Network interface to run RoCE on")
		->required()
		->type_name("IF");
	add->add_option("--name", a->name, "RDMA device name (default: the first free rxe<N>)")
		->type_name("NAME");
	add->callback([&ctx, a] {
		ctx.action = [a](Context &cx) -> Result<void> {
			auto l = rdma::add_link(a->name, a->netdev);
			if (!l)
				return std::move(l).error();
			emit(cx, daemon::rdma_link_json(*l),
			     "created RDMA link " + l->name + " on " + l->netdev + "\n");
			return ok();
		};
	});

	auto d = std::make_shared<LinkArgs>();
	auto *del = link->add_subcommand("delete", "Remove an RDMA link made with 'link add'");
	del->add_option("NAME", d->name, "RDMA device name, e.g. rxe0")->required()->type_name("");
	del->callback([&ctx, d] {
		ctx.action = [d](Context &cx) -> Result<void> {
			if (auto r = rdma::delete_link(d->name); !r)
				return r;
			emit(cx, Json{{"deleted", d->name}}, "deleted RDMA link " + d->name + "\n");
			return ok();
		};
	});

	auto *ls = link->add_subcommand("list", "List RDMA devices and their ports");
	ls->callback([&ctx] {
		ctx.action = [](Context &cx) -> Result<void> {
			auto links = rdma::list_links();
			if (!links)
				return std::move(links).error();
			emit(cx, daemon::rdma_link_list_json(*links), format_rdma_link_table(*links));
			return ok();
		};
	});
}

const CommandRegistrar registrar{"rdma", &register_rdma};

} // namespace

} // namespace storctl::cli
