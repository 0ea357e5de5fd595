// SPDX-License-Identifier: MIT
//
// storctld end to end on the host: the real server (libmicrohttpd) on a
// random loopback port, in-process, over the fake control device
// (fake_srd.hpp) and a fake sysfs/proc tree; requests go through a tiny
// raw-socket HTTP client so malformed input can be sent as is.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <storctl/ramdisk.h>
#include <storctl/version.hpp>

#include "app.hpp"
#include "daemon_fake_cache.hpp"
#include "daemon_fake_nvmet.hpp"
#include "fake_srd.hpp"
#include "server.hpp"
#include "test_util.hpp"

using namespace storctl;
using namespace storctl::daemon;
using storctl::test::fake_srd;
using storctl::test::FakeKernel;
using storctl::test::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t MiB = 1ULL << 20;
const std::string kToken = "test-token-0123456789abcdef";

struct HttpResult {
	int status = -1;
	std::map<std::string, std::string> headers;  // lower-case names
	std::string body;
	std::string raw;

	Json json() const
	{
		Json j = Json::parse(body, nullptr, false);
		EXPECT_FALSE(j.is_discarded()) << "not JSON: " << body;
		return j;
	}
	std::string header(const std::string &name) const
	{
		auto it = headers.find(name);
		return it == headers.end() ? "<none>" : it->second;
	}
};

int connect_to(std::uint16_t port)
{
	int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	timeval tv{10, 0};
	::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	sockaddr_in sin{};
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (::connect(fd, reinterpret_cast<sockaddr *>(&sin), sizeof(sin)) != 0) {
		::close(fd);
		return -1;
	}
	return fd;
}

// Send @request as is, read until the server closes.
HttpResult http_raw(std::uint16_t port, const std::string &request)
{
	HttpResult r;
	int fd = connect_to(port);
	if (fd < 0)
		return r;
	std::string_view out = request;
	while (!out.empty()) {
		ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
		if (n <= 0)
			break;  // the server may answer (413) and close early
		out.remove_prefix(static_cast<std::size_t>(n));
	}
	char buf[65536];
	for (;;) {
		ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		r.raw.append(buf, static_cast<std::size_t>(n));
	}
	::close(fd);

	std::size_t end = r.raw.find("\r\n\r\n");
	if (r.raw.size() < 12 || end == std::string::npos)
		return r;
	r.status = std::stoi(r.raw.substr(9, 3));
	std::istringstream hs(r.raw.substr(0, end));
	std::string line;
	std::getline(hs, line);
	while (std::getline(hs, line)) {
		if (!line.empty() && line.back() == '\r')
			line.pop_back();
		std::size_t colon = line.find(':');
		if (colon == std::string::npos)
			continue;
		std::string name = line.substr(0, colon);
		for (char &c : name)
			c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
		std::string value = line.substr(colon + 1);
		while (!value.empty() && value.front() == ' ')
			value.erase(0, 1);
		r.headers[name] = value;
	}
	r.body = r.raw.substr(end + 4);
	return r;
}

std::string build_request(const std::string &method, const std::string &path, const std::string &body,
			  const std::vector<std::string> &headers)
{
	std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
	bool has_ct = false;
	for (const std::string &h : headers) {
		req += h + "\r\n";
		has_ct = has_ct || h.starts_with("Content-Type:");
	}
	if (!body.empty() || method == "POST" || method == "PATCH") {
		if (!has_ct)
			req += "Content-Type: application/json\r\n";
		req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
	}
	return req + "\r\n" + body;
}

class DaemonHttp : public ::testing::Test {
protected:
	TempDir tmp;
	std::string control = tmp.write("srd-control", "").string();
	std::string sysfs = tmp.mkdir("sys").string();
	std::string proc = tmp.mkdir("proc").string();
	std::string state_file = tmp.str() + "/state/state.json";
	std::unique_ptr<App> app;
	std::unique_ptr<Server> server;
	std::uint16_t port = 0;
	/// Device-mapper and block devices for caches: /dev/srd0 (32 MiB)
	/// and /dev/srd1 (16 MiB) exist as block devices.
	std::shared_ptr<FakeKernel> kernel = std::make_shared<FakeKernel>();
	/// The nvmet configfs tree (in memory; kept across restarts).
	std::shared_ptr<nvmet::MemoryConfigFs> nvfs = storctl::test::fake_nvmet_tree();

	void SetUp() override
	{
		fake_srd().detach();
		fake_srd().attach(control);
		tmp.write("proc/meminfo", "MemTotal:       2048000 kB\nMemFree:         1024000 kB\n"
					  "MemAvailable:    1536000 kB\nBuffers: 1 kB\n");
		tmp.mkdir("sys/module/stor_ramdisk");
		tmp.write("sys/block/sda/size", "2048\n");
		tmp.write("sys/block/sda/ro", "0\n");
		tmp.write("sys/block/sda/removable", "0\n");
		tmp.write("sys/block/sda/device/vendor", "ATA     \n");
		tmp.write("sys/block/sda/device/model", "DISK\n");
		kernel->add_device("/dev/srd0", DevNo{252, 0}, 32 * MiB);
		kernel->add_device("/dev/srd1", DevNo{252, 1}, 16 * MiB);
	}

	void TearDown() override
	{
		server.reset();
		app.reset();
		fake_srd().detach();
	}

	void start(ServerOptions opts = {}, std::string control_path = "")
	{
		AppOptions ao;
		ao.control_path = control_path.empty() ? control : control_path;
		ao.sysfs_root = sysfs;
		ao.proc_root = proc;
		ao.state_file = state_file;
		ao.make_cache_manager = [k = kernel] { return storctl::test::fake_cache_manager(k); };
		ao.make_nvmet_manager = [f = nvfs] { return storctl::test::fake_nvmet_manager(f); };
		app = std::make_unique<App>(ao);
		app->restore();
		opts.listen = {*parse_listen_address("127.0.0.1:0")};
		opts.threads = 2;
		server = std::make_unique<Server>(*app, opts);
		ASSERT_TRUE(server->bind());
		ASSERT_TRUE(server->start());
		port = server->port();
		ASSERT_NE(port, 0);
	}

	// The fake kernel's disks as sysfs entries (the lib lists
	// <sysfs>/block/srd*).
	void sync_sysfs()
	{
		for (const auto &e : fs::directory_iterator(fs::path(sysfs) / "block"))
			if (e.path().filename().string().starts_with("srd"))
				fs::remove_all(e.path());
		for (const auto &[idx, d] : fake_srd().disks)
			tmp.write("sys/block/srd" + std::to_string(idx) + "/size",
				  std::to_string(d.size_bytes / 512) + "\n");
	}

	HttpResult http(const std::string &method, const std::string &path, const std::string &body = "",
			const std::vector<std::string> &headers = {})
	{
		sync_sysfs();
		return http_raw(port, build_request(method, path, body, headers));
	}

	Json saved_state()
	{
		std::ifstream in(state_file);
		std::ostringstream ss;
		ss << in.rdbuf();
		return Json::parse(ss.str(), nullptr, false);
	}
};

void expect_error(const HttpResult &r, int status, const std::string &code, const std::string &what)
{
	EXPECT_EQ(r.status, status) << what << ": " << r.raw;
	Json j = r.json();
	ASSERT_TRUE(j.is_object()) << what;
	ASSERT_TRUE(j.contains("error")) << what << ": " << r.body;
	EXPECT_EQ(j["error"]["code"], code) << what;
	EXPECT_TRUE(j["error"]["message"].is_string()) << what;
	EXPECT_EQ(r.header("content-type"), "application/json") << what;
}

} // namespace

TEST_F(DaemonHttp, RamdiskLifecycle)
{
	start();
	auto empty = http("GET", "/v1/ramdisks");
	EXPECT_EQ(empty.status, 200);
	EXPECT_EQ(empty.body, "[]\n");

	auto made = http("POST", "/v1/ramdisks", R"({"size":"64M"})");
	ASSERT_EQ(made.status, 201) << made.raw;
	EXPECT_EQ(made.header("location"), "/v1/ramdisks/srd0");
	EXPECT_EQ(made.json(), Json::parse(R"({"alloc_failures":0,"index":0,"logical_block_size":512,
		"name":"srd0","numa_node":null,"open_count":0,"overcommit":false,"path":"/dev/srd0",
		"prealloc":false,"read_only":false,"size_bytes":67108864,"used_bytes":0})"));
	EXPECT_EQ(saved_state(), Json::parse(R"({"version":1,"caches":[],"nvmet_ports":[],"nvmet_exports":[],
		"rnbd_exports":[],"rnbd_mappings":[],"ramdisks":[{"index":0,"size_bytes":67108864,
		"logical_block_size":512,"numa_node":null,"prealloc":false,"read_only":false,"overcommit":false}]})"));

	auto full = http("POST", "/v1/ramdisks", R"({"size":8388608,"logical_block_size":4096,"prealloc":true,
		"read_only":true,"overcommit":true,"index":5})");
	ASSERT_EQ(full.status, 201) << full.raw;
	EXPECT_EQ(full.json()["name"], "srd5");
	EXPECT_EQ(full.json()["logical_block_size"], 4096);
	EXPECT_EQ(full.json()["prealloc"], true);
	EXPECT_EQ(fake_srd().disks.at(5).flags, SRD_FLAG_PREALLOC | SRD_FLAG_READ_ONLY | SRD_FLAG_OVERCOMMIT);

	auto list = http("GET", "/v1/ramdisks");
	ASSERT_EQ(list.status, 200);
	ASSERT_EQ(list.json().size(), 2u);
	EXPECT_EQ(list.json()[0]["name"], "srd0");
	EXPECT_EQ(list.json()[1]["name"], "srd5");

	auto one = http("GET", "/v1/ramdisks/srd5");
	EXPECT_EQ(one.status, 200);
	EXPECT_EQ(one.json(), full.json());
	EXPECT_EQ(http("HEAD", "/v1/ramdisks/srd5").status, 200);

	auto grown = http("PATCH", "/v1/ramdisks/srd0", R"({"size":"128M"})");
	ASSERT_EQ(grown.status, 200) << grown.raw;
	EXPECT_EQ(grown.json()["size_bytes"], 128 * MiB);
	EXPECT_EQ(saved_state()["ramdisks"][0]["size_bytes"], 128 * MiB);

	auto gone = http("DELETE", "/v1/ramdisks/srd0");
	ASSERT_EQ(gone.status, 200) << gone.raw;
	EXPECT_EQ(gone.json(), Json::parse(R"({"removed":"srd0"})"));
	EXPECT_EQ(saved_state()["ramdisks"].size(), 1u);
	EXPECT_EQ(saved_state()["ramdisks"][0]["index"], 5);
	expect_error(http("DELETE", "/v1/ramdisks/srd0"), 404, "not_found", "second delete");
	expect_error(http("GET", "/v1/ramdisks/srd0"), 404, "not_found", "get after delete");
}

TEST_F(DaemonHttp, RamdiskFailuresHaveTheirCodes)
{
	start();
	ASSERT_EQ(http("POST", "/v1/ramdisks", R"({"size":"4M","index":1})").status, 201);
	const Json before = saved_state();

	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M","index":1})"), 409, "exists", "same index");
	expect_error(http("POST", "/v1/ramdisks", "{"), 400, "bad_request", "malformed");
	expect_error(http("POST", "/v1/ramdisks", ""), 400, "bad_request", "empty body");
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M","prealloc":"yes"})"), 400, "bad_request", "type");
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M","zzz":1})"), 422, "invalid_argument", "key");
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"1000"})"), 422, "invalid_argument", "size");
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M"})", {"Content-Type: text/plain"}), 415,
		     "unsupported_media_type", "content type");
	EXPECT_EQ(http("POST", "/v1/ramdisks", R"({"size":"4M"})", {"Content-Type: Application/JSON; charset=utf-8"}).status,
		  201);

	expect_error(http("GET", "/v1/ramdisks/sda"), 422, "invalid_argument", "bad name");
	expect_error(http("GET", "/v1/ramdisks/srd01"), 422, "invalid_argument", "leading zero");
	expect_error(http("GET", "/v1/ramdisks/srd99"), 404, "not_found", "unknown disk");
	expect_error(http("PATCH", "/v1/ramdisks/srd1", R"({"size":1.5})"), 400, "bad_request", "patch type");
	expect_error(http("PATCH", "/v1/ramdisks/srd1", R"({"size":"8M","prealloc":true})"), 422,
		     "invalid_argument", "patch key");
	expect_error(http("PATCH", "/v1/ramdisks/srd99", R"({"size":"8M"})"), 404, "not_found", "patch unknown");
	expect_error(http("PATCH", "/v1/ramdisks/xyz", R"({"size":"8M"})"), 422, "invalid_argument", "patch name");
	expect_error(http("DELETE", "/v1/ramdisks/..."), 422, "invalid_argument", "delete name");

	// Kernel errno contract.
	fake_srd().max_disks = 2;  // srd0 and srd1 exist
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M"})"), 507, "no_space", "ENOSPC");
	fake_srd().max_disks = 64;
	fake_srd().fail_request = SRD_IOC_ADD;
	fake_srd().fail_errno = ENOMEM;
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M","prealloc":true})"), 507, "no_memory", "ENOMEM");
	fake_srd().fail_request = SRD_IOC_ADD;
	fake_srd().fail_errno = EPERM;
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M"})"), 403, "permission_denied", "EPERM");
	fake_srd().fail_request = SRD_IOC_ADD;
	fake_srd().fail_errno = E2BIG;
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4T"})"), 422, "invalid_argument", "E2BIG");
	fake_srd().fail_request = SRD_IOC_INFO;
	fake_srd().fail_errno = EIO;
	expect_error(http("GET", "/v1/ramdisks/srd1"), 500, "io_error", "EIO");

	// Busy (the library retries EBUSY for a moment first).
	fake_srd().disks.at(1).open_count = 1;
	expect_error(http("DELETE", "/v1/ramdisks/srd1"), 409, "busy", "EBUSY");
	expect_error(http("PATCH", "/v1/ramdisks/srd1", R"({"size":"4K"})"), 409, "busy", "shrink busy");
	fake_srd().disks.at(1).open_count = 0;

	// Failed requests changed nothing on disk.
	Json after = saved_state();
	EXPECT_EQ(after["ramdisks"].size(), 2u) << after.dump();
	EXPECT_EQ(after["ramdisks"][1], before["ramdisks"][0]);
}

TEST_F(DaemonHttp, StateWriteFailures)
{
	start();
	ASSERT_EQ(http("POST", "/v1/ramdisks", R"({"size":"4M"})").status, 201);
	// Make the state directory unusable (a file where it was; root
	// ignores permission bits, so chmod would not do).
	const fs::path dir = fs::path(state_file).parent_path();
	fs::rename(dir, tmp.path() / "state.moved");
	tmp.write("state", "not a directory");

	// A create that cannot be recorded is undone.
	auto made = http("POST", "/v1/ramdisks", R"({"size":"8M"})");
	expect_error(made, 500, "io_error", "create without state");
	EXPECT_NE(made.json()["error"]["message"].get<std::string>().find("was not created"), std::string::npos);
	EXPECT_EQ(fake_srd().disks.size(), 1u);

	// A resize cannot be undone: it is reported, kept in memory and
	// written with the next successful change.
	auto grown = http("PATCH", "/v1/ramdisks/srd0", R"({"size":"16M"})");
	expect_error(grown, 500, "io_error", "resize without state");
	EXPECT_EQ(fake_srd().disks.at(0).size_bytes, 16 * MiB);

	fs::remove(dir);
	fs::rename(tmp.path() / "state.moved", dir);
	EXPECT_EQ(saved_state()["ramdisks"][0]["size_bytes"], 4 * MiB);
	ASSERT_EQ(http("POST", "/v1/ramdisks", R"({"size":"4M","index":7})").status, 201);
	Json st = saved_state();
	ASSERT_EQ(st["ramdisks"].size(), 2u) << st.dump();
	EXPECT_EQ(st["ramdisks"][0]["size_bytes"], 16 * MiB);
	EXPECT_EQ(st["ramdisks"][1]["index"], 7);
}

TEST_F(DaemonHttp, ModuleNotLoadedIs503)
{
	start({}, tmp.str() + "/no-such-control");
	expect_error(http("GET", "/v1/ramdisks"), 503, "unsupported", "list");
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M"})"), 503, "unsupported", "create");
	auto st = http("GET", "/v1/status");
	EXPECT_EQ(st.status, 200);
	EXPECT_TRUE(st.json()["ramdisk_abi_version"].is_null());
	auto vols = http("GET", "/v1/listRapidDiskVolumes");
	EXPECT_EQ(vols.status, 503);
	EXPECT_EQ(vols.json()["status"], "Failed");
}

TEST_F(DaemonHttp, StatusAndResources)
{
	start();
	auto st = http("GET", "/v1/status");
	ASSERT_EQ(st.status, 200);
	Json j = st.json();
	EXPECT_EQ(j["version"], std::string(kVersion));
	EXPECT_TRUE(j["kernel"]["release"].is_string());
	EXPECT_EQ(j["modules"], Json::parse(R"({"stor_ramdisk":true,"dm_stor_cache":false})"));
	EXPECT_EQ(j["ramdisk_abi_version"], SRD_ABI_VERSION);
	EXPECT_EQ(j["state_file"], state_file);
	EXPECT_EQ(j["restore_report"]["contents_preserved"], false);
	EXPECT_EQ(j["restore_report"]["state_file_existed"], false);

	auto res = http("GET", "/v1/resources");
	ASSERT_EQ(res.status, 200);
	Json r = res.json();
	EXPECT_EQ(r["memory"], Json::parse(R"({"total_bytes":2097152000,"free_bytes":1048576000,
		"available_bytes":1572864000})"));
	ASSERT_EQ(r["block_devices"].size(), 1u);
	EXPECT_EQ(r["block_devices"][0], Json::parse(R"({"name":"sda","path":"/dev/sda","size_bytes":1048576,
		"read_only":false,"removable":false,"vendor":"ATA","model":"DISK"})"));
}

TEST_F(DaemonHttp, RestoreAtStartIsReported)
{
	tmp.write("state/state.json", R"({"version":1,"ramdisks":[
		{"index":0,"size_bytes":4194304},{"index":3,"size_bytes":8388608,"read_only":true},
		{"index":7,"size_bytes":123}]})");
	fake_srd().add_disk(0, 4 * MiB);
	start();
	EXPECT_EQ(fake_srd().disks.size(), 2u);
	EXPECT_EQ(fake_srd().disks.at(3).flags, SRD_FLAG_READ_ONLY);
	Json rep = http("GET", "/v1/status").json()["restore_report"];
	EXPECT_EQ(rep["state_file_existed"], true);
	EXPECT_EQ(rep["summary"], Json::parse(R"({"adopted":1,"recreated":1,"failed":0})"));
	ASSERT_EQ(rep["problems"].size(), 1u);  // the 123-byte entry
	EXPECT_EQ(rep["ramdisks"][1]["name"], "srd3");
	EXPECT_EQ(rep["ramdisks"][1]["result"], "recreated");
	EXPECT_EQ(http("GET", "/v1/status").json()["managed"]["ramdisks"], 2);

	// A saved disk that could not be restored can still be dropped.
	fake_srd().disks.erase(3);
	auto del = http("DELETE", "/v1/ramdisks/srd3");
	ASSERT_EQ(del.status, 200) << del.raw;
	EXPECT_TRUE(del.json().contains("note"));
	EXPECT_EQ(saved_state()["ramdisks"].size(), 1u);
}

TEST_F(DaemonHttp, RapidDiskCompatibleRoutes)
{
	start();
	auto svc = http("GET", "/v1/checkServiceStatus");
	EXPECT_EQ(svc.status, 200);
	EXPECT_EQ(svc.json(), (Json{{"status", "OK"}, {"version", std::string(kVersion)}}));

	auto made = http("POST", "/v1/createRapidDisk/64");
	ASSERT_EQ(made.status, 200) << made.raw;
	EXPECT_EQ(made.json(), Json::parse(R"({"status":"Success","device":"srd0"})"));
	EXPECT_EQ(fake_srd().disks.at(0).size_bytes, 64 * MiB);

	auto vols = http("GET", "/v1/listRapidDiskVolumes");
	ASSERT_EQ(vols.status, 200);
	EXPECT_EQ(vols.json(), Json::parse(R"({"volumes":[{"rapiddisk":[{"device":"srd0","size":67108864}]},
		{"rapiddisk_cache":[]}]})"));

	auto resized = http("POST", "/v1/resizeRapidDisk/srd0/128");
	ASSERT_EQ(resized.status, 200) << resized.raw;
	EXPECT_EQ(resized.json(), Json::parse(R"({"status":"Success"})"));
	EXPECT_EQ(fake_srd().disks.at(0).size_bytes, 128 * MiB);
	EXPECT_EQ(saved_state()["ramdisks"][0]["size_bytes"], 128 * MiB);

	auto res = http("GET", "/v1/listAllResources");
	ASSERT_EQ(res.status, 200);
	EXPECT_EQ(res.json()["resources"][0], Json::parse(R"({"memory":[{"mem_total":2097152000,
		"mem_free":1048576000}]})"));
	EXPECT_EQ(res.json()["resources"][1]["volumes"][0]["device"], "sda");

	auto removed = http("POST", "/v1/removeRapidDisk/srd0");
	ASSERT_EQ(removed.status, 200);
	EXPECT_EQ(removed.json(), Json::parse(R"({"status":"Success"})"));
	EXPECT_TRUE(fake_srd().disks.empty());

	// Failures: RapidDisk's "Failed" plus our error, never 200.
	struct Case {
		const char *method, *path;
		int status;
		const char *code;
	} cases[] = {
		{"POST", "/v1/removeRapidDisk/srd0", 404, "not_found"},
		{"POST", "/v1/removeRapidDisk/rd0", 422, "invalid_argument"},
		{"POST", "/v1/resizeRapidDisk/srd0/64", 404, "not_found"},
		{"POST", "/v1/resizeRapidDisk/srd0/x", 422, "invalid_argument"},
		{"POST", "/v1/createRapidDisk/0", 422, "invalid_argument"},
		{"POST", "/v1/createRapidDisk/-1", 422, "invalid_argument"},
		{"POST", "/v1/createRapidDisk/1.5", 422, "invalid_argument"},
		{"POST", "/v1/createRapidDisk/99999999999999999999", 422, "invalid_argument"},
		{"POST", "/v1/createRapidDisk/17592186044416", 422, "invalid_argument"},
	};
	for (const Case &c : cases) {
		auto r = http(c.method, c.path);
		EXPECT_EQ(r.status, c.status) << c.path << ": " << r.body;
		EXPECT_EQ(r.json()["status"], "Failed") << c.path;
		EXPECT_EQ(r.json()["error"]["code"], c.code) << c.path;
	}
	expect_error(http("GET", "/v1/createRapidDisk/64"), 405, "method_not_allowed", "GET create");
}

// --- caches ---------------------------------------------------------------

constexpr const char *kWtBody = R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt"})";

TEST_F(DaemonHttp, CacheLifecycle)
{
	start();
	EXPECT_EQ(http("GET", "/v1/caches").body, "[]\n");

	auto made = http("POST", "/v1/caches", kWtBody);
	ASSERT_EQ(made.status, 201) << made.raw;
	EXPECT_EQ(made.header("location"), "/v1/caches/sc_srd0");
	EXPECT_EQ(made.json(), Json::parse(R"({"name":"sc_srd0","path":"/dev/mapper/sc_srd0",
		"target":"stor-cache","mode":"wt","cache":"/dev/srd1","origin":"/dev/srd0",
		"cache_devno":"252:1","origin_devno":"252:0","block_size":65536,"size_bytes":33554432,
		"policy":"s3fifo","options":{},"open_count":0})"));
	EXPECT_EQ(http("GET", "/v1/status").json()["managed"], Json::parse(R"({"ramdisks":0,"caches":1})"));
	EXPECT_EQ(saved_state()["caches"], Json::parse(R"([{"name":"sc_srd0","mode":"wt",
		"cache":"/dev/srd1","origin":"/dev/srd0","block_size":65536,"policy":null,
		"tunables":{},"wb":{}}])"));

	auto list = http("GET", "/v1/caches");
	ASSERT_EQ(list.status, 200);
	EXPECT_EQ(list.json(), Json::array({made.json()}));
	auto one = http("GET", "/v1/caches/sc_srd0");
	ASSERT_EQ(one.status, 200);
	EXPECT_EQ(one.json(), made.json());

	kernel->dm.at("sc_srd0").counters = {5, 7, 1, 2, 7, 0, 1, 0, 0, 7, 256, 0, 0, 0};
	auto st = http("GET", "/v1/caches/sc_srd0/stats");
	ASSERT_EQ(st.status, 200) << st.raw;
	EXPECT_EQ(st.json()["read_hits"], 5);
	EXPECT_EQ(st.json()["read_misses"], 7);
	EXPECT_EQ(st.json()["cached_blocks"], 7);
	EXPECT_DOUBLE_EQ(st.json()["read_hit_ratio"].get<double>(), 5.0 / 12);

	auto cleared = http("POST", "/v1/caches/sc_srd0/actions/clear-stats");
	ASSERT_EQ(cleared.status, 200) << cleared.raw;
	EXPECT_EQ(cleared.json()["read_hits"], 0);
	EXPECT_EQ(cleared.json()["read_misses"], 0);
	EXPECT_EQ(cleared.json()["cached_blocks"], 7);  // not a statistic
	EXPECT_EQ(kernel->calls.back(), "message sc_srd0 clear_stats");

	auto del = http("DELETE", "/v1/caches/sc_srd0");
	ASSERT_EQ(del.status, 200) << del.raw;
	EXPECT_EQ(del.json(), Json::parse(R"({"removed":"sc_srd0","written_back_blocks":0,"deferred":false})"));
	EXPECT_TRUE(kernel->dm.empty());
	EXPECT_EQ(saved_state()["caches"], Json::array());
	expect_error(http("DELETE", "/v1/caches/sc_srd0"), 404, "not_found", "second DELETE");
}

TEST_F(DaemonHttp, StopFlushesManagedWriteBackCachesOnly)
{
	start();
	auto wb = http("POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wb",
		"name":"fast"})");
	ASSERT_EQ(wb.status, 201) << wb.raw;
	kernel->calls.clear();
	auto f = app->flush_write_back_caches(std::chrono::seconds(5));
	ASSERT_EQ(f.size(), 1u);
	EXPECT_EQ(f[0].name, "fast");
	EXPECT_TRUE(f[0].ok) << f[0].message;
	EXPECT_EQ(f[0].message,
		  "stop: write-back cache fast: 0 dirty blocks written back to the origin /dev/srd0");
	EXPECT_NE(std::find(kernel->calls.begin(), kernel->calls.end(), "message fast flush"),
		  kernel->calls.end());
	EXPECT_TRUE(kernel->dm.count("fast"));  // the cache stays
	EXPECT_TRUE(kernel->removals().empty());
	ASSERT_EQ(http("DELETE", "/v1/caches/fast").status, 200);

	// A wt cache has nothing to write back: no flush message.
	auto wt = http("POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt"})");
	ASSERT_EQ(wt.status, 201) << wt.raw;
	kernel->calls.clear();
	EXPECT_TRUE(app->flush_write_back_caches(std::chrono::seconds(5)).empty());
	EXPECT_TRUE(kernel->calls.empty());
}

TEST_F(DaemonHttp, CacheCreateOptionsReachTheTable)
{
	start();
	auto wb = http("POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wb",
		"name":"fast","block_size":"4K","high_watermark":60,"low_watermark":20})");
	ASSERT_EQ(wb.status, 201) << wb.raw;
	EXPECT_EQ(kernel->dm.at("fast").live.at(0).params,
		  "s 252:0 252:1 4096 4 high_watermark 60 low_watermark 20");
	EXPECT_EQ(kernel->wiped, std::vector<std::string>{"/dev/srd1 4096"});
	EXPECT_EQ(saved_state()["caches"][0]["wb"], Json::parse(R"({"high_watermark":60,"low_watermark":20})"));
	auto st = http("GET", "/v1/caches/fast/stats");
	ASSERT_EQ(st.status, 200);
	EXPECT_EQ(st.json()["total_blocks"], 4096);
	EXPECT_EQ(st.json()["reads"], 10);
	auto del = http("DELETE", "/v1/caches/fast", R"({"force":false,"timeout_seconds":5})");
	ASSERT_EQ(del.status, 200) << del.raw;

	auto wt = http("POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wa",
		"policy":"lru","tunables":{"small_pct":10},"block_size":131072})");
	ASSERT_EQ(wt.status, 201) << wt.raw;
	EXPECT_EQ(kernel->dm.at("sc_srd0").live.at(0).params,
		  "252:0 252:1 256 wa 4 policy lru small_pct 10");
	EXPECT_EQ(saved_state()["caches"][0]["tunables"], Json::parse(R"({"small_pct":10})"));
	EXPECT_EQ(saved_state()["caches"][0]["policy"], "lru");
}

TEST_F(DaemonHttp, CacheFailuresHaveTheirCodes)
{
	start();
	ASSERT_EQ(http("POST", "/v1/caches", kWtBody).status, 201);
	const Json state_before = saved_state();
	const auto calls_before = kernel->calls.size();
	struct Case {
		const char *method, *path, *body;
		int status;
		const char *code;
	} cases[] = {
		{"GET", "/v1/caches/nope", "", 404, "not_found"},
		{"GET", "/v1/caches/nope/stats", "", 404, "not_found"},
		{"POST", "/v1/caches/nope/actions/clear-stats", "", 404, "not_found"},
		{"DELETE", "/v1/caches/nope", "", 404, "not_found"},
		{"GET", "/v1/caches/-bad", "", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wx"})", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0"})", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt","x":1})", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt","high_watermark":5})", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wb","policy":"lru"})", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt","block_size":"3K"})", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt","policy":"mru"})", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt","tunables":{"policy":1}})", 422, "invalid_argument"},
		{"POST", "/v1/caches", R"({"cache":1,"origin":"/dev/srd0","mode":"wt"})", 400, "bad_request"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wt","tunables":[1]})", 400, "bad_request"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wb","low_watermark":"1"})", 400, "bad_request"},
		{"POST", "/v1/caches", "{", 400, "bad_request"},
		{"POST", "/v1/caches", R"({"cache":"/dev/srd1","origin":"/dev/srd0","mode":"wa","name":"x"})", 409, "busy"},
		{"POST", "/v1/caches", R"({"cache":"/dev/nope","origin":"/dev/nope2","mode":"wa"})", 404, "not_found"},
		{"DELETE", "/v1/caches/sc_srd0", R"({"force":"yes"})", 400, "bad_request"},
		{"DELETE", "/v1/caches/sc_srd0", R"({"timeout_seconds":0})", 422, "invalid_argument"},
		{"DELETE", "/v1/caches/sc_srd0", R"({"colour":0})", 422, "invalid_argument"},
		{"POST", "/v1/caches/sc_srd0/actions/clear-stats", R"({"x":1})", 422, "invalid_argument"},
		{"PUT", "/v1/caches/sc_srd0", "", 405, "method_not_allowed"},
	};
	for (const Case &c : cases)
		expect_error(http(c.method, c.path, c.body), c.status, c.code,
			     std::string(c.method) + " " + c.path + " " + c.body);
	kernel->dm.at("sc_srd0").info.open_count = 1;
	expect_error(http("DELETE", "/v1/caches/sc_srd0"), 409, "busy", "DELETE while open");
	kernel->dm.at("sc_srd0").info.open_count = 0;
	// Nothing changed: no device made or removed, state as before.
	for (std::size_t i = calls_before; i < kernel->calls.size(); i++)
		EXPECT_TRUE(kernel->calls[i].rfind("create", 0) != 0 && kernel->calls[i].rfind("load", 0) != 0)
			<< kernel->calls[i];
	EXPECT_EQ(kernel->dm.size(), 1u);
	EXPECT_EQ(saved_state(), state_before);
}

TEST_F(DaemonHttp, CacheNotRecordedIsNotMade)
{
	start();
	// A file where the state directory should be (works as root too).
	tmp.write("state", "not a directory");
	expect_error(http("POST", "/v1/caches", kWtBody), 500, "io_error", "state not writable");
	EXPECT_TRUE(kernel->dm.empty()) << "the cache was left behind";
	EXPECT_EQ(kernel->removals(), std::vector<std::string>{"remove sc_srd0"});
}

TEST_F(DaemonHttp, CacheRestoreAtStart)
{
	// sc_a exists (adopted), sc_b is missing (recreated cold), sc_wb is a
	// missing write-back cache whose cache device was not recreated by
	// this restore (not recreated: it may hold unwritten data).
	kernel->add_device("/dev/srd2", DevNo{252, 2}, 32 * MiB);
	kernel->add_device("/dev/srd3", DevNo{252, 3}, 16 * MiB);
	kernel->add_device("/dev/srd4", DevNo{252, 4}, 32 * MiB);
	kernel->add_device("/dev/srd5", DevNo{252, 5}, 16 * MiB);
	{
		auto mgr = storctl::test::fake_cache_manager(kernel);
		CacheCreateOptions o;
		o.cache = "/dev/srd1";
		o.origin = "/dev/srd0";
		o.name = "sc_a";
		ASSERT_TRUE(mgr->create(o));
	}
	tmp.write("state/state.json", R"({"version":1,"ramdisks":[],"caches":[
		{"name":"sc_a","mode":"wa","cache":"/dev/srd1","origin":"/dev/srd0","block_size":65536},
		{"name":"sc_b","mode":"wt","cache":"/dev/srd3","origin":"/dev/srd2","block_size":65536,
		 "policy":"lru"},
		{"name":"sc_wb","mode":"wb","cache":"/dev/srd5","origin":"/dev/srd4","block_size":4096},
		{"name":"bad","mode":"wz","cache":"/dev/srd5","origin":"/dev/srd4"}]})");
	start();
	Json rep = http("GET", "/v1/status").json()["restore_report"];
	EXPECT_EQ(rep["summary"], Json::parse(R"({"adopted":1,"recreated":1,"failed":1})")) << rep.dump();
	ASSERT_EQ(rep["caches"].size(), 3u);
	EXPECT_EQ(rep["caches"][0]["result"], "adopted");
	EXPECT_NE(rep["caches"][0]["message"].get<std::string>().find("mode wt (saved: wa)"), std::string::npos)
		<< rep["caches"][0];
	EXPECT_EQ(rep["caches"][1]["result"], "recreated");
	EXPECT_EQ(rep["caches"][2]["result"], "failed");
	EXPECT_NE(rep["caches"][2]["message"].get<std::string>().find("may hold written data"), std::string::npos);
	ASSERT_EQ(rep["problems"].size(), 1u);
	EXPECT_NE(rep["problems"][0].get<std::string>().find("caches[3]"), std::string::npos);
	EXPECT_EQ(kernel->dm.at("sc_b").live.at(0).params, "252:2 252:3 128 wt 2 policy lru");
	EXPECT_EQ(kernel->dm.count("sc_wb"), 0u);
	EXPECT_TRUE(kernel->wiped.empty());
	EXPECT_TRUE(kernel->removals().empty()) << "a restore removed something";

	// The unrestorable write-back cache can be dropped from the state.
	auto del = http("DELETE", "/v1/caches/sc_wb");
	ASSERT_EQ(del.status, 200) << del.raw;
	EXPECT_TRUE(del.json().contains("note"));
	Json caches = saved_state()["caches"];
	ASSERT_EQ(caches.size(), 2u);
	EXPECT_EQ(caches[0]["name"], "sc_a");
	EXPECT_EQ(caches[1]["name"], "sc_b");
}

TEST_F(DaemonHttp, WriteBackCacheRecreatedOverARecreatedRamDisk)
{
	// srd1 (the wb cache device) is in the state but gone: it is recreated
	// empty, and then the wb cache over it.
	tmp.write("state/state.json", R"({"version":1,"ramdisks":[{"index":1,"size_bytes":16777216}],
		"caches":[{"name":"w","mode":"wb","cache":"/dev/srd1","origin":"/dev/srd0","block_size":4096}]})");
	start();
	Json rep = http("GET", "/v1/status").json()["restore_report"];
	EXPECT_EQ(rep["summary"], Json::parse(R"({"adopted":0,"recreated":2,"failed":0})")) << rep.dump();
	EXPECT_NE(rep["caches"][0]["message"].get<std::string>().find("write-back blocks"), std::string::npos);
	EXPECT_EQ(kernel->wiped, std::vector<std::string>{"/dev/srd1 4096"});
}

TEST_F(DaemonHttp, RapidDiskCacheRoutes)
{
	start();
	auto made = http("POST", "/v1/createRapidDiskCache/srd1/srd0/write-through");
	ASSERT_EQ(made.status, 200) << made.raw;
	EXPECT_EQ(made.json(), Json::parse(R"({"status":"Success","device":"sc_srd0"})"));
	EXPECT_EQ(saved_state()["caches"][0]["cache"], "/dev/srd1");

	auto vols = http("GET", "/v1/listRapidDiskVolumes");
	ASSERT_EQ(vols.status, 200);
	EXPECT_EQ(vols.json()["volumes"][1], Json::parse(R"({"rapiddisk_cache":[{"device":"sc_srd0",
		"cache":"srd1","source":"srd0","mode":"write-through"}]})"));

	kernel->dm.at("sc_srd0").counters = {5, 7, 1, 2, 7, 3, 1, 0, 0, 7, 256, 0, 0, 0};
	auto st = http("GET", "/v1/showRapidDiskCacheStats/sc_srd0");
	ASSERT_EQ(st.status, 200);
	EXPECT_EQ(st.json(), Json::parse(R"({"statistics":[{"cache_stats":[{"device":"sc_srd0",
		"reads":12,"writes":3,"cache_hits":5,"replacement":3,"write_replacement":1,
		"read_invalidates":0,"write_invalidates":1,"uncached_reads":7,"uncached_writes":2,
		"disk_reads":7,"disk_writes":3,"cache_reads":5,"cache_writes":8}]}]})"));

	auto removed = http("POST", "/v1/removeRapidDiskCache/sc_srd0");
	ASSERT_EQ(removed.status, 200) << removed.raw;
	EXPECT_EQ(removed.json(), Json::parse(R"({"status":"Success"})"));
	EXPECT_TRUE(kernel->dm.empty());

	auto wb = http("POST", "/v1/createRapidDiskCache/srd1/srd0/write-back");
	ASSERT_EQ(wb.status, 200) << wb.raw;
	auto wbst = http("GET", "/v1/showRapidDiskCacheStats/sc_srd0");
	EXPECT_EQ(wbst.json(), Json::parse(R"({"statistics":[{"writeback_stats":[{"device":"sc_srd0",
		"errors":0,"num_blocks":4096,"num_free_blocks":4096,"num_wb_blocks":0}]}]})"));

	struct Case {
		const char *method, *path;
		int status;
		const char *code;
	} cases[] = {
		{"POST", "/v1/createRapidDiskCache/srd1/srd0/write-sideways", 422, "invalid_argument"},
		{"POST", "/v1/createRapidDiskCache/sdb/srd0/write-through", 422, "invalid_argument"},
		{"POST", "/v1/createRapidDiskCache/srd1/-x/write-through", 422, "invalid_argument"},
		{"POST", "/v1/createRapidDiskCache/srd1/srd0/write-through", 409, "busy"},
		{"POST", "/v1/createRapidDiskCache/srd7/sdz/write-through", 404, "not_found"},
		{"POST", "/v1/removeRapidDiskCache/nope", 404, "not_found"},
		{"GET", "/v1/showRapidDiskCacheStats/nope", 404, "not_found"},
	};
	for (const Case &c : cases) {
		auto r = http(c.method, c.path);
		EXPECT_EQ(r.status, c.status) << c.path << ": " << r.body;
		EXPECT_EQ(r.json()["status"], "Failed") << c.path;
		EXPECT_EQ(r.json()["error"]["code"], c.code) << c.path;
	}
}

TEST_F(DaemonHttp, CacheMetrics)
{
	start();
	ASSERT_EQ(http("POST", "/v1/caches", kWtBody).status, 201);
	kernel->dm.at("sc_srd0").counters = {5, 7, 1, 2, 7, 3, 1, 0, 0, 7, 256, 0, 0, 0};
	std::string m = http("GET", "/metrics").body;
	for (const char *line : {
		     "storctl_cache_info{name=\"sc_srd0\",mode=\"wt\",target=\"stor-cache\","
		     "cache=\"/dev/srd1\",origin=\"/dev/srd0\"} 1\n",
		     "storctl_cache_size_bytes{name=\"sc_srd0\"} 33554432\n",
		     "# TYPE storctl_stor_cache_read_hits_total counter\n",
		     "storctl_stor_cache_read_hits_total{name=\"sc_srd0\"} 5\n",
		     "storctl_stor_cache_read_misses_total{name=\"sc_srd0\"} 7\n",
		     "# TYPE storctl_stor_cache_cached_blocks gauge\n",
		     "storctl_stor_cache_cached_blocks{name=\"sc_srd0\"} 7\n",
		     "storctl_stor_cache_total_blocks{name=\"sc_srd0\"} 256\n",
		     "storctl_stor_cache_fills_in_flight{name=\"sc_srd0\"} 0\n",
		     "# TYPE storctl_writecache_reads_total counter\n",
	     })
		EXPECT_NE(m.find(line), std::string::npos) << line << "\n" << m;
	for (std::string_view c : kStorCacheCounters)
		EXPECT_NE(m.find("storctl_stor_cache_" + std::string(c)), std::string::npos) << c;
}

TEST_F(DaemonHttp, TokenRequiredWhenConfigured)
{
	ServerOptions o;
	o.token = kToken;
	start(o);
	auto none = http("GET", "/v1/ramdisks");
	expect_error(none, 401, "unauthorized", "no token");
	EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"storctld\"");

	auto wrong = http("GET", "/v1/ramdisks", "", {"Authorization: Bearer " + kToken + "x"});
	expect_error(wrong, 401, "unauthorized", "wrong token");
	EXPECT_NE(wrong.header("www-authenticate").find("invalid_token"), std::string::npos);
	expect_error(http("GET", "/v1/ramdisks", "", {"Authorization: Basic " + kToken}), 401,
		     "unauthorized", "basic");

	// Before routing: no route information leaks out unauthenticated,
	// and nothing is created.
	expect_error(http("GET", "/nope"), 401, "unauthorized", "unknown route");
	expect_error(http("POST", "/v1/ramdisks", R"({"size":"4M"})"), 401, "unauthorized", "create");
	expect_error(http("GET", "/metrics"), 401, "unauthorized", "metrics");
	EXPECT_TRUE(fake_srd().disks.empty());

	const std::string auth = "Authorization: Bearer " + kToken;
	EXPECT_EQ(http("GET", "/v1/ramdisks", "", {auth}).status, 200);
	EXPECT_EQ(http("POST", "/v1/ramdisks", R"({"size":"4M"})", {auth}).status, 201);
	EXPECT_EQ(http("GET", "/nope", "", {auth}).status, 404);
}

TEST_F(DaemonHttp, BodyLimitAndMalformedRequests)
{
	ServerOptions o;
	o.body_limit = 1024;
	start(o);

	const std::string big = "{\"size\":\"4M\",\"pad\":\"" + std::string(2000, 'x') + "\"}";
	expect_error(http("POST", "/v1/ramdisks", big), 413, "payload_too_large", "content-length");

	// Chunked, no Content-Length: read, discarded, answered with 413.
	std::string chunked = "POST /v1/ramdisks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
	for (int i = 0; i < 4; i++)
		chunked += "200\r\n" + std::string(512, ' ') + "\r\n";
	chunked += "0\r\n\r\n";
	expect_error(http_raw(port, chunked), 413, "payload_too_large", "chunked");

	// An endless body is cut off without reading it all.
	std::string endless = "POST /v1/ramdisks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
	for (int i = 0; i < 40; i++)
		endless += "400\r\n" + std::string(1024, ' ') + "\r\n";
	auto cut = http_raw(port, endless);
	EXPECT_TRUE(cut.status == -1 || cut.status == 413) << cut.raw.substr(0, 200);

	// Paths: "..", 200 segments, control characters (percent-decoded
	// by the server before routing).
	std::string many;
	for (int i = 0; i < 200; i++)
		many += "/v1";
	expect_error(http("GET", "/v1/ramdisks/.."), 400, "bad_request", "..");
	expect_error(http("GET", "/v1/ramdisks/%2e%2e"), 400, "bad_request", "%2e%2e");
	expect_error(http("GET", many), 400, "bad_request", "200 segments");
	expect_error(http("GET", "/v1/ramdisks/srd%01"), 400, "bad_request", "%01");
	expect_error(http("DELETE", "/v1//ramdisks"), 400, "bad_request", "//");
	expect_error(http("BREW", "/v1/ramdisks"), 405, "method_not_allowed", "unknown method");
	expect_error(http("GET", "/v1/teapot"), 404, "not_found", "unknown path");

	// Garbage that is not HTTP at all.
	auto junk = http_raw(port, "\x01\x02garbage\r\n\r\n");
	EXPECT_TRUE(junk.status == -1 || (junk.status >= 400 && junk.status < 500)) << junk.raw;

	// Still serving, and nothing was created by any of it.
	EXPECT_EQ(http("GET", "/v1/ramdisks").status, 200);
	EXPECT_TRUE(fake_srd().disks.empty());
	EXPECT_EQ(http("POST", "/v1/ramdisks", R"({"size":"4M"})").status, 201);
}

TEST_F(DaemonHttp, Metrics)
{
	start();
	ASSERT_EQ(http("POST", "/v1/ramdisks", R"({"size":"4M"})").status, 201);
	http("GET", "/v1/ramdisks/srd0");
	http("GET", "/v1/ramdisks/srd0");
	http("GET", "/v1/ramdisks/srd9");
	http("GET", "/nope");
	auto m = http("GET", "/metrics");
	ASSERT_EQ(m.status, 200);
	EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
	const std::string &t = m.body;
	auto has = [&t](const std::string &line) {
		EXPECT_NE(t.find(line + "\n"), std::string::npos) << "missing: " << line << "\n" << t;
	};
	has("storctl_build_info{version=\"" + std::string(kVersion) + "\"} 1");
	has("storctl_module_loaded{module=\"stor_ramdisk\"} 1");
	has("storctl_ramdisk_size_bytes{name=\"srd0\"} 4194304");
	has("storctl_ramdisk_used_bytes{name=\"srd0\"} 0");
	has("# TYPE storctl_http_requests_total counter");
	has("storctl_http_requests_total{method=\"POST\",route=\"/v1/ramdisks\",code=\"201\"} 1");
	has("storctl_http_requests_total{method=\"GET\",route=\"/v1/ramdisks/{name}\",code=\"200\"} 2");
	has("storctl_http_requests_total{method=\"GET\",route=\"/v1/ramdisks/{name}\",code=\"404\"} 1");
	has("storctl_http_requests_total{method=\"GET\",route=\"unmatched\",code=\"404\"} 1");
	has("# TYPE storctl_http_request_duration_seconds histogram");
	// Only the /metrics request itself is being served.
	has("storctl_http_requests_in_flight 1");
	has("storctl_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/ramdisks/{name}\",le=\"+Inf\"} 3");
	has("storctl_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/ramdisks/{name}\"} 3");

	// Every sample line is "name{labels} value" or "name value".
	std::istringstream in(t);
	std::string line;
	while (std::getline(in, line)) {
		if (line.empty() || line[0] == '#')
			continue;
		EXPECT_TRUE(line.starts_with("storctl_")) << line;
		EXPECT_NE(line.rfind(' '), std::string::npos) << line;
	}
	// Made-up methods do not create new label values.
	http("XYZZY", "/v1/ramdisks");
	EXPECT_EQ(app->metrics().requests("other", "unmatched", 405), 1u);
}

TEST_F(DaemonHttp, QuiesceStopsAcceptingAndDrains)
{
	start();
	EXPECT_EQ(http("GET", "/v1/ramdisks").status, 200);
	server->quiesce();
	int fd = connect_to(port);
	EXPECT_LT(fd, 0) << "still accepting after quiesce";
	if (fd >= 0)
		::close(fd);
	EXPECT_TRUE(server->wait_idle(std::chrono::seconds(5)));
	EXPECT_EQ(server->in_flight(), 0u);
	server->stop();
}

// --- NVMe-oF -------------------------------------------------------------------------

namespace {

const std::string kHostA = "nqn.2014-08.org.example:host-a";
const std::string kHostB = "nqn.2014-08.org.example:host-b";
const std::string kNqnSrd0 = "nqn.2014-08.org.storctl:testhost:srd0";

} // namespace

TEST_F(DaemonHttp, NvmetPortsAndExports)
{
	start();
	const std::string empty = nvfs->snapshot();
	auto r = http("GET", "/v1/nvmet/ports");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json(), Json::array());

	// Bad input changes nothing.
	expect_error(http("POST", "/v1/nvmet/ports", R"({"address":"127.0.0.1","id":70000})"), 422,
		     "invalid_argument", "port id out of range");
	expect_error(http("POST", "/v1/nvmet/ports", R"({"address":"127.0.0.1","id":"1"})"), 400,
		     "bad_request", "port id of the wrong type");
	expect_error(http("POST", "/v1/nvmet/ports", R"({"transport":"udp","address":"127.0.0.1"})"), 422,
		     "invalid_argument", "unknown transport");
	expect_error(http("POST", "/v1/nvmet/ports", R"({"address":"127.0.0.1",)"), 400, "bad_request",
		     "malformed JSON");
	expect_error(http("POST", "/v1/nvmet/ports", R"({"address":"127.0.0.1","colour":1})"), 422,
		     "invalid_argument", "unknown key");
	EXPECT_EQ(nvfs->snapshot(), empty);

	r = http("POST", "/v1/nvmet/ports", R"({"transport":"tcp","address":"127.0.0.1"})");
	ASSERT_EQ(r.status, 201) << r.raw;
	EXPECT_EQ(r.json(), Json::parse(R"({"id":1,"transport":"tcp","family":"ipv4","address":"127.0.0.1",
		"service":4420,"exports":[],"created":true})"));
	EXPECT_EQ(r.header("location"), "/v1/nvmet/ports/1");
	r = http("POST", "/v1/nvmet/ports", R"({"address":"127.0.0.1","service":4420})");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json()["created"], false);
	EXPECT_EQ(r.json()["id"], 1);

	// Exports: deny by default, NQN syntax, unknown volumes.
	const std::string ports_only = nvfs->snapshot();
	expect_error(http("POST", "/v1/nvmet/exports", R"({"volume":"srd0"})"), 422, "invalid_argument",
		     "no host and no allow_any_host");
	expect_error(http("POST", "/v1/nvmet/exports", R"({"volume":"srd0","hosts":["host-a"]})"), 422,
		     "invalid_argument", "bad host NQN");
	expect_error(http("POST", "/v1/nvmet/exports", R"({"volume":"srd0","hosts":[")" + kHostA +
							   R"("],"nqn":"nqn.bad"})"),
		     422, "invalid_argument", "bad subsystem NQN");
	expect_error(http("POST", "/v1/nvmet/exports", R"({"volume":"srd9","hosts":[")" + kHostA + R"("]})"),
		     404, "not_found", "unknown volume");
	expect_error(http("POST", "/v1/nvmet/exports", R"({"volume":"srd0","hosts":")" + kHostA + R"("})"),
		     400, "bad_request", "hosts not an array");
	expect_error(http("POST", "/v1/nvmet/exports", R"({"volume":"srd0","ports":[0],"hosts":[")" + kHostA +
							   R"("]})"),
		     422, "invalid_argument", "port id 0");
	EXPECT_EQ(nvfs->snapshot(), ports_only);

	r = http("POST", "/v1/nvmet/exports", R"({"volume":"srd0","hosts":[")" + kHostA + R"("]})");
	ASSERT_EQ(r.status, 201) << r.raw;
	Json e = r.json();
	EXPECT_EQ(e["nqn"], kNqnSrd0);
	EXPECT_EQ(e["volume"], "/dev/srd0");
	EXPECT_EQ(e["hosts"], Json::array({kHostA}));
	EXPECT_EQ(e["ports"], Json::array({1}));
	EXPECT_EQ(e["allow_any_host"], false);
	EXPECT_EQ(e["managed"], true);
	EXPECT_EQ(e["created"], true);
	EXPECT_EQ(r.header("location"), "/v1/nvmet/exports/srd0");
	EXPECT_TRUE(nvfs->exists("subsystems/" + kNqnSrd0 + "/allowed_hosts/" + kHostA));
	EXPECT_TRUE(nvfs->exists("ports/1/subsystems/" + kNqnSrd0));

	// GET by volume name and by NQN; unknown ones are 404.
	r = http("GET", "/v1/nvmet/exports/srd0");
	ASSERT_EQ(r.status, 200) << r.raw;
	e.erase("created");
	EXPECT_EQ(r.json(), e);
	EXPECT_EQ(http("GET", "/v1/nvmet/exports/" + kNqnSrd0).json(), e);
	expect_error(http("GET", "/v1/nvmet/exports/srd1"), 404, "not_found", "not exported");
	expect_error(http("GET", "/v1/nvmet/exports/nqn.2014-08.org.storctl:x:none"), 404, "not_found",
		     "no such NQN");
	r = http("GET", "/v1/nvmet/exports");
	ASSERT_EQ(r.status, 200);
	EXPECT_EQ(r.json(), Json::array({e}));
	EXPECT_EQ(http("GET", "/v1/nvmet/ports").json()[0]["exports"], Json::array({kNqnSrd0}));

	// PATCH: add a host; bad input and failures change nothing.
	r = http("PATCH", "/v1/nvmet/exports/srd0", R"({"add_hosts":[")" + kHostB + R"("]})");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json()["hosts"], Json::array({kHostA, kHostB}));
	const std::string two_hosts = nvfs->snapshot();
	expect_error(http("PATCH", "/v1/nvmet/exports/srd0", R"({"add_ports":[70000]})"), 422,
		     "invalid_argument", "PATCH port id out of range");
	expect_error(http("PATCH", "/v1/nvmet/exports/srd0", R"({"add_hosts":["nope"]})"), 422,
		     "invalid_argument", "PATCH bad NQN");
	expect_error(http("PATCH", "/v1/nvmet/exports/srd0", R"({"add_hosts":[)"), 400, "bad_request",
		     "PATCH malformed JSON");
	expect_error(http("PATCH", "/v1/nvmet/exports/srd0", R"({"allow_any_host":true,"add_hosts":[")" +
								 kHostA + R"("]})"),
		     422, "invalid_argument", "any host and hosts");
	expect_error(http("PATCH", "/v1/nvmet/exports/srd0",
			  R"({"remove_hosts":["nqn.2014-08.org.example:stranger"]})"),
		     404, "not_found", "removing a host that is not there");
	expect_error(http("PATCH", "/v1/nvmet/exports/srd1", R"({"add_hosts":[")" + kHostB + R"("]})"), 404,
		     "not_found", "PATCH of an unexported volume");
	// The removal succeeds, the addition fails (no port 7): rolled back.
	auto rb = http("PATCH", "/v1/nvmet/exports/srd0",
		       R"({"remove_hosts":[")" + kHostB + R"("],"add_ports":[7]})");
	EXPECT_GE(rb.status, 400) << rb.raw;
	EXPECT_NE(rb.json()["error"]["message"].get<std::string>().find("undone"), std::string::npos) << rb.body;
	EXPECT_EQ(nvfs->snapshot(), two_hosts);

	// Switch to any host and back in one PATCH each.
	r = http("PATCH", "/v1/nvmet/exports/srd0",
		 R"({"remove_hosts":[")" + kHostA + R"(",")" + kHostB + R"("],"allow_any_host":true})");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json()["allow_any_host"], true);
	EXPECT_EQ(r.json()["hosts"], Json::array());
	r = http("PATCH", "/v1/nvmet/exports/srd0", R"({"allow_any_host":false,"add_hosts":[")" + kHostA + R"("]})");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json()["allow_any_host"], false);
	EXPECT_EQ(r.json()["hosts"], Json::array({kHostA}));

	// The state file follows.
	Json st = saved_state();
	EXPECT_EQ(st["nvmet_ports"], Json::parse(R"([{"id":1,"transport":"tcp","address":"127.0.0.1","service":"4420"}])"));
	EXPECT_EQ(st["nvmet_exports"], Json::parse(R"([{"nqn":")" + kNqnSrd0 + R"(","volume":"/dev/srd0",
		"hosts":[")" + kHostA + R"("],"allow_any_host":false,"ports":[1]}])"));

	// RapidDisk-compatible listings.
	r = http("GET", "/v1/listAllNVMeTargets");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json(), Json::parse(R"({"status":"Success","targets":[{"nqn":")" + kNqnSrd0 + R"(",
		"namespaces":[{"nsid":1,"device":"/dev/srd0","enabled":true}],"allowed_hosts":[")" + kHostA +
					       R"("],"allow_any_host":false,"assigned_ports":[1]}]})"));
	r = http("GET", "/v1/listAllNVMePorts");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json(), Json::parse(R"({"status":"Success","ports":[{"port":1,"protocol":"tcp",
		"address":"127.0.0.1","address_family":"ipv4","port_num":4420,"targets":[")" + kNqnSrd0 + R"("]}]})"));

	// A port in use cannot go; ids are checked.
	expect_error(http("DELETE", "/v1/nvmet/ports/1"), 409, "busy", "port in use");
	expect_error(http("DELETE", "/v1/nvmet/ports/65535"), 422, "invalid_argument", "port id out of range");
	expect_error(http("DELETE", "/v1/nvmet/ports/x"), 422, "invalid_argument", "port id not a number");
	expect_error(http("DELETE", "/v1/nvmet/ports/2"), 404, "not_found", "no such port");

	// The unexport action (storctl --url nvmet unexport): bad bodies
	// change nothing; a partial one keeps the export and the state follows.
	const std::string kept = nvfs->snapshot();
	expect_error(http("POST", "/v1/nvmet/actions/unexport", R"({"hosts":[]})"), 422, "invalid_argument",
		     "unexport without volume");
	expect_error(http("POST", "/v1/nvmet/actions/unexport", R"({"volume":"srd0","hosts":"x"})"), 400,
		     "bad_request", "hosts not an array");
	expect_error(http("POST", "/v1/nvmet/actions/unexport", R"({"volume":"srd0","color":1})"), 422,
		     "invalid_argument", "unknown key");
	expect_error(http("POST", "/v1/nvmet/actions/unexport",
			  R"({"volume":"srd0","hosts":["nqn.2014-08.org.example:nobody"]})"),
		     404, "not_found", "host not on the export");
	expect_error(http("POST", "/v1/nvmet/actions/unexport", R"({"volume":"srd0","allow_any_host":true})"),
		     422, "invalid_argument", "export does not allow any host");
	EXPECT_EQ(nvfs->snapshot(), kept);
	ASSERT_EQ(http("POST", "/v1/nvmet/exports", R"({"volume":"srd0","hosts":[")" + kHostB + R"("]})").status,
		  200);
	r = http("POST", "/v1/nvmet/actions/unexport", R"({"volume":"srd0","hosts":[")" + kHostB + R"("]})");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json()["removed"], false);
	EXPECT_EQ(r.json()["hosts_removed"], Json::array({kHostB}));
	EXPECT_EQ(saved_state()["nvmet_exports"][0]["hosts"], Json::array({kHostA}));

	r = http("DELETE", "/v1/nvmet/exports/srd0");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json()["removed"], true);
	EXPECT_EQ(r.json()["nqn"], kNqnSrd0);
	expect_error(http("DELETE", "/v1/nvmet/exports/srd0"), 404, "not_found", "second unexport");
	r = http("DELETE", "/v1/nvmet/ports/1");
	ASSERT_EQ(r.status, 200) << r.raw;
	EXPECT_EQ(r.json(), Json::parse(R"({"removed_port":1})"));
	EXPECT_EQ(nvfs->snapshot(), empty);
	st = saved_state();
	EXPECT_EQ(st["nvmet_ports"], Json::array());
	EXPECT_EQ(st["nvmet_exports"], Json::array());
}

TEST_F(DaemonHttp, NvmetRestoreAdoptsAndRecreates)
{
	start();
	ASSERT_EQ(http("POST", "/v1/nvmet/ports", R"({"address":"127.0.0.1","id":3})").status, 201);
	ASSERT_EQ(http("POST", "/v1/nvmet/exports", R"({"volume":"srd0","hosts":[")" + kHostA + R"("]})").status,
		  201);
	const std::string before = nvfs->snapshot();
	const Json exported = http("GET", "/v1/nvmet/exports/srd0").json();

	// Restart with everything in place: adopted, nothing duplicated.
	server.reset();
	app.reset();
	start();
	Json rep = http("GET", "/v1/status").json()["restore_report"];
	ASSERT_EQ(rep["nvmet_ports"].size(), 1u) << rep.dump();
	EXPECT_EQ(rep["nvmet_ports"][0]["result"], "adopted");
	EXPECT_EQ(rep["nvmet_ports"][0]["id"], 3);
	ASSERT_EQ(rep["nvmet_exports"].size(), 1u);
	EXPECT_EQ(rep["nvmet_exports"][0]["result"], "adopted");
	EXPECT_EQ(rep["nvmet_exports"][0]["nqn"], kNqnSrd0);
	EXPECT_EQ(rep["summary"], Json::parse(R"({"adopted":2,"recreated":0,"failed":0})")) << rep.dump();
	EXPECT_EQ(nvfs->snapshot(), before);

	// After the nvmet tree is gone (module unloaded): recreated alike.
	server.reset();
	app.reset();
	nvfs = storctl::test::fake_nvmet_tree();
	start();
	rep = http("GET", "/v1/status").json()["restore_report"];
	EXPECT_EQ(rep["summary"], Json::parse(R"({"adopted":0,"recreated":2,"failed":0})")) << rep.dump();
	EXPECT_EQ(nvfs->snapshot(), before);
	EXPECT_EQ(http("GET", "/v1/nvmet/exports/srd0").json(), exported);

	// An export that differs is adopted as it is; a missing volume fails;
	// nothing is removed.
	server.reset();
	app.reset();
	nvfs = storctl::test::fake_nvmet_tree();
	{
		auto m = storctl::test::fake_nvmet_manager(nvfs);
		nvmet::PortSpec p;
		p.address = "127.0.0.1";
		p.id = 3;
		ASSERT_TRUE(m->add_port(p));
		nvmet::ExportSpec x;
		x.volume = "/dev/srd0";
		x.hosts = {kHostB};
		x.ports = {3};
		ASSERT_TRUE(m->export_volume(x));
	}
	tmp.write("state/state.json", R"({"version":1,"ramdisks":[],"caches":[],
		"nvmet_ports":[{"id":3,"transport":"tcp","address":"127.0.0.1","service":"4420"},
			       {"id":70000,"transport":"tcp","address":"127.0.0.1","service":"4420"}],
		"nvmet_exports":[{"nqn":")" + kNqnSrd0 + R"(","volume":"/dev/srd0","hosts":[")" + kHostA +
					    R"("],"allow_any_host":false,"ports":[3]},
			{"nqn":"nqn.2014-08.org.storctl:testhost:srd7","volume":"/dev/srd7","hosts":[")" + kHostA +
					    R"("],"allow_any_host":false,"ports":[3]}]})");
	const std::string adopted_before = nvfs->snapshot();
	start();
	rep = http("GET", "/v1/status").json()["restore_report"];
	EXPECT_EQ(rep["summary"], Json::parse(R"({"adopted":2,"recreated":0,"failed":1})")) << rep.dump();
	ASSERT_EQ(rep["nvmet_exports"].size(), 2u);
	EXPECT_NE(rep["nvmet_exports"][0]["message"].get<std::string>().find("hosts " + kHostB), std::string::npos)
		<< rep["nvmet_exports"][0];
	EXPECT_EQ(rep["nvmet_exports"][1]["result"], "failed");
	ASSERT_EQ(rep["problems"].size(), 1u);
	EXPECT_NE(rep["problems"][0].get<std::string>().find("nvmet_ports[1]"), std::string::npos);
	EXPECT_EQ(nvfs->snapshot(), adopted_before);

	// The export that could not be restored can be dropped from the state.
	auto del = http("DELETE", "/v1/nvmet/exports/srd7");
	ASSERT_EQ(del.status, 200) << del.raw;
	EXPECT_TRUE(del.json().contains("note"));
	EXPECT_EQ(saved_state()["nvmet_exports"].size(), 1u);
}
