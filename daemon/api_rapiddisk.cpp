// SPDX-License-Identifier: MIT
//
// RapidDisk-compatible routes (RapidDisk's doc/API.txt), mapped onto our
// RAM disks so existing RapidDisk clients work unchanged.  Successes answer
// in RapidDisk's shapes; failures carry RapidDisk's {"status":"Failed"}
// *and* our error object, with the same HTTP status as the v1 API (never
// 200).  Device names are ours ("srd0"), as listRapidDiskVolumes reports
// them.  The cache routes arrive with the cache API.
#include <charconv>

#include <storctl/version.hpp>

#include "app.hpp"
#include "sysinfo.hpp"

namespace storctl::daemon {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

Response failed(const ApiError &e)
{
	Json j = error_json(e);
	j["status"] = "Failed";
	return Response::json(e.status, j);
}

Response failed(const Error &e)
{
	return failed(api_error(e));
}

Response success(Json extra = Json::object())
{
	extra["status"] = "Success";
	return Response::json(200, extra);
}

// RapidDisk sizes are whole MiB in the URL.
ApiResult<std::uint64_t> parse_mib(std::string_view s)
{
	std::uint64_t n = 0;
	auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
	std::uint64_t bytes = 0;
	if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || n == 0 ||
	    __builtin_mul_overflow(n, kMiB, &bytes))
		return invalid_value("invalid size '" + std::string(s) +
				     "': expected a positive whole number of MiB");
	return bytes;
}

Json volumes_json(const std::vector<RamdiskInfo> &disks)
{
	Json rd = Json::array();
	for (const RamdiskInfo &d : disks)
		rd.push_back(Json{{"device", d.name}, {"size", d.size_bytes}});
	return Json{{"volumes", Json::array({Json{{"rapiddisk", std::move(rd)}},
					     Json{{"rapiddisk_cache", Json::array()}}})}};
}

Json all_resources_json(const App &app)
{
	auto mem = read_meminfo(app.options().proc_root).value_or(MemInfo{});
	Json vols = Json::array();
	for (const BlockDevice &d : block_devices(app.options().sysfs_root))
		vols.push_back(Json{{"device", d.name}, {"size", d.size_bytes},
				    {"vendor", d.vendor}, {"model", d.model}});
	return Json{{"resources", Json::array({
		Json{{"memory", Json::array({Json{{"mem_total", mem.total_bytes},
						  {"mem_free", mem.free_bytes}}})}},
		Json{{"volumes", std::move(vols)}},
	})}};
}

} // namespace

void add_rapiddisk_routes(Router &router, const App &app)
{
	router.add("GET", "/v1/checkServiceStatus", [](const Request &) {
		return Response::json(200, Json{{"status", "OK"}, {"version", std::string(kVersion)}});
	});
	router.add("GET", "/v1/listAllResources", [&app](const Request &) {
		return Response::json(200, all_resources_json(app));
	});
	router.add("GET", "/v1/listRapidDiskVolumes", [&app](const Request &) {
		auto disks = app.ramdisks().list();
		if (!disks)
			return failed(disks.error());
		return Response::json(200, volumes_json(*disks));
	});
	router.add("POST", "/v1/createRapidDisk/{size}", [&app](const Request &r) {
		auto bytes = parse_mib(r.param("size"));
		if (!bytes)
			return failed(bytes.error());
		RamdiskCreateOptions opts;
		opts.size_bytes = *bytes;
		auto info = app.create_ramdisk(opts);
		if (!info)
			return failed(info.error());
		return success(Json{{"device", info->name}});
	});
	router.add("POST", "/v1/removeRapidDisk/{name}", [&app](const Request &r) {
		bool state_only = false;
		if (auto res = app.remove_ramdisk(r.param("name"), state_only); !res)
			return failed(res.error());
		return success();
	});
	router.add("POST", "/v1/resizeRapidDisk/{name}/{size}", [&app](const Request &r) {
		if (auto idx = validate_ramdisk_name(r.param("name")); !idx)
			return failed(idx.error());
		auto bytes = parse_mib(r.param("size"));
		if (!bytes)
			return failed(bytes.error());
		auto info = app.resize_ramdisk(r.param("name"), *bytes);
		if (!info)
			return failed(info.error());
		return success();
	});
}

} // namespace storctl::daemon
