// SPDX-License-Identifier: MIT
//
// RapidDisk-compatible routes (RapidDisk's doc/API.txt), mapped onto our
// RAM disks so existing RapidDisk clients work unchanged.  Successes answer
// in RapidDisk's shapes; failures carry RapidDisk's {"status":"Failed"}
// *and* our error object, with the same HTTP status as the v1 API (never
// 200).  Device names are ours ("srd0"), as listRapidDiskVolumes reports
// them.  Caches: createRapidDiskCache/{ramdisk}/{source}/{mode} builds our
// cache (default name sc_<source>) with the RAM disk /dev/{ramdisk} in front
// of /dev/{source}; write-through/write-around/write-back are our wt/wa/wb.
// showRapidDiskCacheStats answers in RapidDisk's statistics shape, mapped
// from our counters (docs/api.md has the table).
#include <charconv>
#include <filesystem>

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

constexpr std::pair<std::string_view, CacheMode> kRapidModes[] = {
	{"write-through", CacheMode::wt},
	{"write-around", CacheMode::wa},
	{"write-back", CacheMode::wb},
};

std::string rapid_mode(CacheMode m)
{
	for (const auto &[name, mode] : kRapidModes)
		if (mode == m)
			return std::string(name);
	return "unknown";
}

std::string basename_of(const std::string &path)
{
	return std::filesystem::path(path).filename().string();
}

Json volumes_json(const std::vector<RamdiskInfo> &disks, const std::vector<CacheInfo> &caches)
{
	Json rd = Json::array();
	for (const RamdiskInfo &d : disks)
		rd.push_back(Json{{"device", d.name}, {"size", d.size_bytes}});
	Json rc = Json::array();
	for (const CacheInfo &c : caches)
		rc.push_back(Json{{"device", c.name}, {"cache", basename_of(c.cache)},
				  {"source", basename_of(c.origin)}, {"mode", rapid_mode(c.mode)}});
	return Json{{"volumes", Json::array({Json{{"rapiddisk", std::move(rd)}},
					     Json{{"rapiddisk_cache", std::move(rc)}}})}};
}

// A kernel block device name from the URL ("sdb", "srd0", "loop7").
ApiResult<std::string> device_path(std::string_view what, std::string_view name)
{
	bool ok = !name.empty() && name.size() <= 64 && name.front() != '.' && name.front() != '-';
	for (char c : name)
		ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '_' || c == '-' || c == '.');
	if (!ok)
		return invalid_value("invalid " + std::string(what) + " '" + std::string(name) +
				     "': expected a block device name such as sdb");
	return "/dev/" + std::string(name);
}

// RapidDisk's cache statistics from ours.
Json rapid_stats_json(const CacheStats &st)
{
	Json s{{"device", st.info.name}};
	if (st.stor_cache) {
		const StorCacheStatus &c = *st.stor_cache;
		const std::uint64_t rh = c.get("read_hits"), rm = c.get("read_misses");
		const std::uint64_t wh = c.get("write_hits"), wm = c.get("write_misses");
		const std::uint64_t inval = c.get("invalidations"), promo = c.get("promotions");
		s["reads"] = rh + rm;
		s["writes"] = wh + wm;
		s["cache_hits"] = rh;
		s["replacement"] = c.get("evictions");
		s["write_replacement"] = st.info.mode == CacheMode::wt ? wh : 0;
		s["read_invalidates"] = 0;
		s["write_invalidates"] = inval;
		s["uncached_reads"] = rm;
		s["uncached_writes"] = wm;
		s["disk_reads"] = rm;
		s["disk_writes"] = wh + wm;
		s["cache_reads"] = rh;
		s["cache_writes"] = promo + (st.info.mode == CacheMode::wt ? wh : 0);
		return Json{{"statistics", Json::array({Json{{"cache_stats", Json::array({s})}}})}};
	}
	const WritecacheStatus &w = *st.writecache;
	s["errors"] = w.error;
	s["num_blocks"] = w.total_blocks;
	s["num_free_blocks"] = w.free_blocks;
	s["num_wb_blocks"] = w.writeback_blocks;
	return Json{{"statistics", Json::array({Json{{"writeback_stats", Json::array({s})}}})}};
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
		// Without device-mapper support there are simply no caches.
		auto caches = app.list_caches();
		return Response::json(200, volumes_json(*disks, caches ? *caches : std::vector<CacheInfo>{}));
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
	router.add("POST", "/v1/createRapidDiskCache/{ramdisk}/{source}/{mode}", [&app](const Request &r) {
		auto idx = validate_ramdisk_name(r.param("ramdisk"));
		if (!idx)
			return failed(idx.error());
		auto source = device_path("source", r.param("source"));
		if (!source)
			return failed(source.error());
		std::optional<CacheMode> mode;
		for (const auto &[name, m] : kRapidModes)
			if (r.param("mode") == name)
				mode = m;
		if (!mode)
			return failed(invalid_value("invalid cache mode '" + r.param("mode") +
						    "': expected write-through, write-around or write-back"));
		CacheCreateOptions opts;
		opts.cache = "/dev/" + ramdisk_name(*idx);
		opts.origin = *source;
		opts.mode = *mode;
		auto info = app.create_cache(opts);
		if (!info)
			return failed(info.error());
		return success(Json{{"device", info->name}});
	});
	router.add("POST", "/v1/removeRapidDiskCache/{name}", [&app](const Request &r) {
		bool state_only = false;
		if (auto res = app.remove_cache(r.param("name"), CacheRemoveOptions{}, state_only); !res)
			return failed(res.error());
		return success();
	});
	router.add("GET", "/v1/showRapidDiskCacheStats/{name}", [&app](const Request &r) {
		auto st = app.cache_stats(r.param("name"));
		if (!st)
			return failed(st.error());
		return Response::json(200, rapid_stats_json(*st));
	});
}

} // namespace storctl::daemon
