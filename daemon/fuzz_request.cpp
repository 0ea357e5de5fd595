// SPDX-License-Identifier: MIT
//
// libFuzzer target over request parsing and validation: the whole
// App::handle path (routing, path validation, content type, strict JSON
// bodies, handlers) with arbitrary method, path, content type and body, and
// the other parsers fed from outside (config file, listen address, bearer
// header, size strings).  The App is built over a control device that does
// not exist and a device-mapper / block-device layer that has nothing
// (every call fails), and an nvmet configfs root that does not exist (no
// module is loaded), so handlers fail at the kernel boundary without
// touching anything -- never the host's real devices; every answer must be a well-formed HTTP status with a JSON error
// body on failure.
//
// Build: cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSTORCTL_FUZZ=ON
//        cmake --build build-fuzz --target storctld_fuzz
// Run:   build-fuzz/bin/storctld_fuzz -max_total_time=60
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api_rnbd.hpp"
#include "app.hpp"
#include "config.hpp"
#include "json_input.hpp"
#include "log.hpp"
#include "security.hpp"

using namespace storctl::daemon;

namespace {

// Device-mapper with no devices and no targets; no block devices at all.
class NoDm final : public storctl::dm::Client {
	static storctl::Error none() { return storctl::make_error(storctl::Errc::unsupported, "no dm"); }

public:
	storctl::Result<std::vector<std::string>> list_names() override { return std::vector<std::string>{}; }
	storctl::Result<std::optional<storctl::dm::DeviceInfo>> info(const std::string &) override
	{
		return std::optional<storctl::dm::DeviceInfo>();
	}
	storctl::Result<std::vector<storctl::dm::Target>> table(const std::string &) override { return none(); }
	storctl::Result<std::vector<storctl::dm::Target>> status(const std::string &) override { return none(); }
	storctl::Result<std::vector<storctl::dm::TargetType>> target_types() override { return none(); }
	storctl::Result<void> create(const std::string &) override { return none(); }
	storctl::Result<void> load(const std::string &, const std::vector<storctl::dm::Target> &) override
	{
		return none();
	}
	storctl::Result<void> clear_inactive(const std::string &) override { return none(); }
	storctl::Result<void> suspend(const std::string &) override { return none(); }
	storctl::Result<void> resume(const std::string &) override { return none(); }
	storctl::Result<void> remove(const std::string &, bool) override { return none(); }
	storctl::Result<std::string> message(const std::string &, const std::string &) override { return none(); }
};

class NoDevices final : public storctl::CacheSystem {
public:
	storctl::Result<storctl::BlockDevice> probe(const std::string &p) override
	{
		return storctl::make_error(storctl::Errc::not_found, p + " does not exist");
	}
	storctl::Result<void> wipe(const storctl::BlockDevice &, std::size_t) override
	{
		return storctl::make_error(storctl::Errc::unsupported, "no wipe");
	}
	std::string device_path(storctl::DevNo d) override { return d.str(); }
	std::optional<std::string> mount_point(storctl::DevNo) override { return std::nullopt; }
	storctl::Result<void> load_module(const std::string &) override
	{
		return storctl::make_error(storctl::Errc::unsupported, "no modules");
	}
	std::chrono::steady_clock::time_point now() override { return {}; }
	void sleep(std::chrono::milliseconds) override {}
};

const App &app()
{
	static App *a = [] {
		set_log_level(LogLevel::error);
		AppOptions o;
		o.control_path = "/nonexistent/storctl-fuzz/srd-control";
		o.sysfs_root = "/nonexistent/storctl-fuzz/sys";
		o.proc_root = "/nonexistent/storctl-fuzz/proc";
		o.state_file = "/nonexistent/storctl-fuzz/state.json";
		o.make_cache_manager = [] {
			return std::make_unique<storctl::CacheManager>(std::make_unique<NoDm>(),
								       std::make_unique<NoDevices>());
		};
		// An nvmet tree that does not exist, no module loading: every
		// configfs change fails.
		o.make_nvmet_manager = [] {
			return std::make_unique<storctl::nvmet::Manager>(
				storctl::nvmet::make_configfs("/nonexistent/storctl-fuzz/nvmet"),
				storctl::nvmet::make_system(), false);
		};
		return new App(o);
	}();
	return *a;
}

// Next '\n'-terminated field of @in (the rest if there is no '\n').
std::string_view field(std::string_view &in)
{
	std::size_t nl = in.find('\n');
	std::string_view f = in.substr(0, nl);
	in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
	return f;
}

[[noreturn]] void bad(const char *what, const Response &r)
{
	std::fprintf(stderr, "%s: status %d body %s\n", what, r.status, r.body.c_str());
	std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::string_view in(reinterpret_cast<const char *>(data), size);

	Request req;
	req.method = std::string(field(in));
	req.path = std::string(field(in));
	req.content_type = std::string(field(in));
	req.body = std::string(in);
	Response r = app().handle(req);
	if (r.status < 200 || r.status > 599)
		bad("status out of range", r);
	if (r.status >= 400 && (r.content_type != "application/json" ||
				r.body.find("{\"error\":{\"code\":\"") != 0))
		bad("failure without an error object", r);
	if (r.route.empty())
		bad("no route label", r);

	const std::string_view all(reinterpret_cast<const char *>(data), size);
	(void)parse_ramdisk_create(all);
	(void)parse_ramdisk_patch(all);
	(void)parse_cache_create(all);
	(void)parse_cache_remove(all);
	(void)parse_nvmet_port_create(all);
	(void)parse_nvmet_export_create(all);
	(void)parse_nvmet_export_patch(all);
	(void)parse_rnbd_export_create(all);
	(void)parse_rnbd_map_create(all);
	(void)parse_config(all, "fuzz");
	(void)storctl::daemon::parse_listen_address(all);
	(void)bearer_matches(all, "0123456789abcdef0123");
	return 0;
}
