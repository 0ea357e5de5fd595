// SPDX-License-Identifier: MIT
//
// storctl: command-line front end of libstorctl.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include <storctl/version.hpp>

#include "command.hpp"
#include "exit_codes.hpp"
#include "remote.hpp"

namespace {

constexpr const char *kFooter =
	"SIZE: a positive integer of bytes with an optional case-insensitive suffix:\n"
	"  K, M, G, T or KiB, MiB, GiB, TiB (1024-based); KB, MB, GB, TB (1000-based);\n"
	"  B. RAM disk sizes must be a multiple of 4096 bytes. E.g. 64M, 1GiB, 500MB.\n"
	"NAME: srd<N> or /dev/srd<N> for ramdisk verbs; a cache's device-mapper name\n"
	"  or /dev/mapper/NAME for cache verbs.\n"
	"Exit codes: 0 ok, 1 kernel/I/O/internal failure, 2 bad usage or value,\n"
	"3 not found, 4 busy, 5 already exists, 6 permission denied,\n"
	"7 unsupported or module not loaded.\n"
	"Environment: STORCTL_SRD_CONTROL overrides the RAM disk control device\n"
	"(/dev/srd-control); STORCTL_SYSFS overrides the sysfs root (/sys);\n"
	"STORCTL_NVMET_ROOT overrides the nvmet configfs root\n"
	"(/sys/kernel/config/nvmet; then no module is loaded).\n"
	"Remote use: --url URL (or STORCTL_URL) sends ramdisk, cache, nvmet and rnbd\n"
	"commands to storctld (same output, same exit codes; device paths are the\n"
	"daemon host's); STORCTL_TOKEN_FILE names a file holding its bearer token,\n"
	"STORCTL_CACERT a CA certificate file for https.";

// No leaf command was given ("storctl", "storctl ramdisk"): name the
// choices at the deepest level reached.
int report_missing_command(const CLI::App &app, std::ostream &err)
{
	const CLI::App *level = &app;
	std::string path = "storctl";
	for (;;) {
		auto selected = level->get_subcommands();
		if (selected.empty())
			break;
		level = selected.front();
		path += " " + level->get_name();
	}
	std::string choices;
	for (const CLI::App *sub : level->get_subcommands({}))
		choices += (choices.empty() ? "" : ", ") + sub->get_name();
	return storctl::cli::report_error(
		storctl::make_error(storctl::Errc::invalid_argument,
				    "'" + path + "' needs a command: " + choices +
				    " (see '" + path + " --help')"), err);
}

} // namespace

int main(int argc, char **argv)
{
	using namespace storctl::cli;

	Context ctx;
	ctx.out = &std::cout;

	CLI::App app{"storctl: manage storctl storage devices", "storctl"};
	app.footer(kFooter);
	app.set_version_flag("--version", "storctl " + std::string(storctl::kVersion),
			     "Print the version and exit");
	app.add_flag("--json", ctx.json,
		     "Print JSON instead of text (also accepted after the command)");
	app.add_option("--url", ctx.url,
		       "Run the command through storctld at URL (http://HOST:PORT or https://...)")
		->envname(kEnvUrl)
		->type_name("URL");
	// Options a subcommand does not know (--json) are passed up to us;
	// subcommands created below inherit this.
	app.fallthrough();

	for (const CommandGroup &group : command_groups())
		group.add(app, ctx);

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return report_parse_error(app, e, std::cout, std::cerr);
	}

	if (!ctx.action)
		return report_missing_command(app, std::cerr);
	if (!ctx.url.empty()) {
		const std::string group = app.get_subcommands().front()->get_name();
		for (const CommandGroup &g : command_groups())
			if (g.name == group && !g.remote)
				return report_error(storctl::make_error(
					storctl::Errc::unsupported,
					"'storctl " + group + "' does not work through storctld (--url or " +
					kEnvUrl + "); run it on the daemon's host without them"), std::cerr);
	}
	storctl::Result<void> r = ctx.action(ctx);
	std::cout.flush();
	if (!r)
		return report_error(r.error(), std::cerr);
	if (!std::cout) {
		return report_error(storctl::make_error(storctl::Errc::io_error,
							"cannot write to standard output"), std::cerr);
	}
	return kExitOk;
}
