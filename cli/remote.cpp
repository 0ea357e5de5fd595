// SPDX-License-Identifier: MIT
#include "remote.hpp"

#include <cerrno>
#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <mutex>
#include <sstream>

#include <curl/curl.h>

#include "exit_codes.hpp"

namespace storctl::cli {

namespace {

std::string env(const char *name)
{
	const char *v = std::getenv(name);
	return v ? std::string(v) : std::string();
}

Error bad_answer(const std::string &why)
{
	return make_error(Errc::internal, "unexpected answer from storctld: " + why);
}

// Field readers for the daemon's objects.
struct Reader {
	const Json &j;
	std::string missing;

	const Json *field(const char *key)
	{
		auto it = j.find(key);
		if (it == j.end()) {
			if (missing.empty())
				missing = key;
			return nullptr;
		}
		return &*it;
	}
	template <typename T>
	T get(const char *key, bool (Json::*is)() const noexcept)
	{
		const Json *v = field(key);
		if (!v || !(v->*is)()) {
			if (missing.empty())
				missing = key;
			return T{};
		}
		return v->get<T>();
	}
	std::string str(const char *key) { return get<std::string>(key, &Json::is_string); }
	std::uint64_t u64(const char *key) { return get<std::uint64_t>(key, &Json::is_number_unsigned); }
	std::int64_t i64(const char *key) { return get<std::int64_t>(key, &Json::is_number_integer); }
	bool flag(const char *key) { return get<bool>(key, &Json::is_boolean); }
};

std::size_t collect(char *data, std::size_t size, std::size_t n, void *out)
{
	static_cast<std::string *>(out)->append(data, size * n);
	return size * n;
}

/*
 * libcurl is loaded when storctl first talks to a daemon, not at start:
 * with its ~20 libraries (TLS, Kerberos, LDAP, ...) and their
 * initialisers it cost every local command too (measured in the test VM
 * under TCG: 83 ms of a 280 ms `storctl --version`).  Loaded once, never
 * unloaded.
 */
struct CurlApi {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)();
	void (*easy_cleanup)(CURL *c);
	curl_slist *(*slist_append)(curl_slist *l, const char *s);
	void (*slist_free_all)(curl_slist *l);
	CURLcode (*easy_setopt)(CURL *c, CURLoption o, ...);
	CURLcode (*easy_perform)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO i, ...);
};

constexpr const char *kLibcurl = "libcurl.so.4";
CurlApi g_curl;

template <typename F> bool resolve(void *lib, const char *name, F &fn)
{
	void *sym = dlsym(lib, name);
	fn = reinterpret_cast<F>(sym);
	return sym != nullptr;
}

/// Load libcurl and initialise it, once.  On failure, why it failed.
Result<const CurlApi *> curl_api()
{
	static std::once_flag once;
	static std::string failure;
	std::call_once(once, [] {
		void *lib = dlopen(kLibcurl, RTLD_NOW | RTLD_LOCAL);
		if (!lib) {
			const char *e = dlerror();
			failure = e ? e : kLibcurl;
			return;
		}
		CurlApi a{};
		if (!resolve(lib, "curl_global_init", a.global_init) ||
		    !resolve(lib, "curl_easy_init", a.easy_init) ||
		    !resolve(lib, "curl_easy_cleanup", a.easy_cleanup) ||
		    !resolve(lib, "curl_slist_append", a.slist_append) ||
		    !resolve(lib, "curl_slist_free_all", a.slist_free_all) ||
		    !resolve(lib, "curl_easy_setopt", a.easy_setopt) ||
		    !resolve(lib, "curl_easy_perform", a.easy_perform) ||
		    !resolve(lib, "curl_easy_strerror", a.easy_strerror) ||
		    !resolve(lib, "curl_easy_getinfo", a.easy_getinfo)) {
			const char *e = dlerror();
			failure = e ? e : "a libcurl function is missing";
			return;
		}
		if (a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			failure = "curl_global_init failed";
			return;
		}
		g_curl = a;
	});
	if (!failure.empty())
		return make_error(Errc::unsupported,
				  "talking to storctld needs " + std::string(kLibcurl) + ": " + failure);
	return &g_curl;
}

struct CurlDeleter {
	void operator()(CURL *c) const { g_curl.easy_cleanup(c); }
	void operator()(curl_slist *l) const { g_curl.slist_free_all(l); }
};

class RemoteRamdisks final : public RamdiskService {
public:
	explicit RemoteRamdisks(RemoteClient c) : c_(std::move(c)) {}

	Result<RamdiskInfo> create(const RamdiskCreateOptions &opts) override
	{
		return one(c_.call("POST", "/v1/ramdisks", ramdisk_create_body(opts)));
	}
	Result<std::vector<RamdiskInfo>> list() override
	{
		auto j = c_.call("GET", "/v1/ramdisks");
		if (!j)
			return std::move(j).error();
		if (!j->is_array())
			return bad_answer("GET /v1/ramdisks is not an array");
		std::vector<RamdiskInfo> out;
		for (const Json &e : *j) {
			auto d = ramdisk_from_json(e);
			if (!d)
				return std::move(d).error();
			out.push_back(std::move(*d));
		}
		return out;
	}
	Result<RamdiskInfo> info(std::string_view name) override
	{
		auto index = validate_ramdisk_name(name);
		if (!index)
			return std::move(index).error();
		return one(c_.call("GET", "/v1/ramdisks/" + ramdisk_name(*index)));
	}
	Result<RamdiskInfo> resize(int index, std::uint64_t size_bytes) override
	{
		return one(c_.call("PATCH", "/v1/ramdisks/" + ramdisk_name(index),
				   Json{{"size", size_bytes}}));
	}
	Result<void> remove(int index) override
	{
		auto j = c_.call("DELETE", "/v1/ramdisks/" + ramdisk_name(index));
		if (!j)
			return std::move(j).error();
		return ok();
	}

private:
	static Result<RamdiskInfo> one(Result<Json> j)
	{
		if (!j)
			return std::move(j).error();
		return ramdisk_from_json(*j);
	}

	RemoteClient c_;
};

class RemoteCaches final : public CacheService {
public:
	explicit RemoteCaches(RemoteClient c) : c_(std::move(c)) {}

	Result<CacheInfo> create(const CacheCreateOptions &opts) override
	{
		auto j = c_.call("POST", "/v1/caches", cache_create_body(opts));
		if (!j)
			return std::move(j).error();
		return cache_from_json(*j);
	}
	Result<std::vector<CacheInfo>> list() override
	{
		auto j = c_.call("GET", "/v1/caches");
		if (!j)
			return std::move(j).error();
		if (!j->is_array())
			return bad_answer("GET /v1/caches is not an array");
		std::vector<CacheInfo> out;
		for (const Json &e : *j) {
			auto c = cache_from_json(e);
			if (!c)
				return std::move(c).error();
			out.push_back(std::move(*c));
		}
		return out;
	}
	Result<CacheStats> stats(std::string_view name_in) override
	{
		auto name = validate_cache_name(name_in);
		if (!name)
			return std::move(name).error();
		auto j = c_.call("GET", "/v1/caches/" + escape_segment(*name) + "/stats");
		if (!j)
			return std::move(j).error();
		return cache_stats_from_json(*j);
	}
	Result<CacheRemoval> remove(std::string_view name_in, const CacheRemoveOptions &opts) override
	{
		auto name = validate_cache_name(name_in);
		if (!name)
			return std::move(name).error();
		const std::string path = "/v1/caches/" + escape_segment(*name);
		// The mode, for the text output ("wrote back N blocks" for wb).
		auto info = c_.call("GET", path);
		if (!info)
			return std::move(info).error();
		auto c = cache_from_json(*info);
		if (!c)
			return std::move(c).error();
		auto j = c_.call("DELETE", path, cache_remove_body(opts));
		if (!j)
			return std::move(j).error();
		return cache_removal_from_json(*j, c->mode);
	}

private:
	RemoteClient c_;
};

template <typename T, typename F>
Result<std::vector<T>> list_of(Result<Json> j, const char *what, F from_json)
{
	if (!j)
		return std::move(j).error();
	if (!j->is_array())
		return bad_answer(std::string(what) + " is not an array");
	std::vector<T> out;
	for (const Json &e : *j) {
		auto x = from_json(e);
		if (!x)
			return std::move(x).error();
		out.push_back(std::move(*x));
	}
	return out;
}

Result<bool> created_flag(const Json &j)
{
	auto it = j.find("created");
	if (it == j.end() || !it->is_boolean())
		return bad_answer("field created missing or of the wrong type");
	return it->get<bool>();
}

class RemoteNvmet final : public NvmetService {
public:
	explicit RemoteNvmet(RemoteClient c) : c_(std::move(c)) {}

	Result<nvmet::PortAddResult> add_port(const nvmet::PortSpec &spec) override
	{
		auto j = c_.call("POST", "/v1/nvmet/ports", nvmet_port_create_body(spec));
		if (!j)
			return std::move(j).error();
		auto p = nvmet_port_from_json(*j);
		if (!p)
			return std::move(p).error();
		auto created = created_flag(*j);
		if (!created)
			return std::move(created).error();
		return nvmet::PortAddResult{std::move(*p), *created};
	}
	Result<void> remove_port(std::uint16_t id) override
	{
		auto j = c_.call("DELETE", "/v1/nvmet/ports/" + std::to_string(id));
		if (!j)
			return std::move(j).error();
		return ok();
	}
	Result<std::vector<nvmet::PortInfo>> ports() override
	{
		return list_of<nvmet::PortInfo>(c_.call("GET", "/v1/nvmet/ports"), "GET /v1/nvmet/ports",
						nvmet_port_from_json);
	}
	Result<nvmet::ExportResult> export_volume(const nvmet::ExportSpec &spec) override
	{
		auto j = c_.call("POST", "/v1/nvmet/exports", nvmet_export_body(spec));
		if (!j)
			return std::move(j).error();
		auto e = nvmet_export_from_json(*j);
		if (!e)
			return std::move(e).error();
		auto created = created_flag(*j);
		if (!created)
			return std::move(created).error();
		return nvmet::ExportResult{std::move(*e), *created};
	}
	Result<nvmet::UnexportResult> unexport(const nvmet::UnexportSpec &spec) override
	{
		auto j = c_.call("POST", "/v1/nvmet/actions/unexport", nvmet_unexport_body(spec));
		if (!j)
			return std::move(j).error();
		return nvmet_unexport_from_json(*j);
	}
	Result<std::vector<nvmet::ExportInfo>> exports() override
	{
		return list_of<nvmet::ExportInfo>(c_.call("GET", "/v1/nvmet/exports"),
						  "GET /v1/nvmet/exports", nvmet_export_from_json);
	}

private:
	RemoteClient c_;
};

} // namespace

Result<RemoteClient> RemoteClient::from_env(std::string url)
{
	if (!url.starts_with("http://") && !url.starts_with("https://"))
		return make_error(Errc::invalid_argument,
				  "invalid --url '" + url + "': expected http://HOST:PORT or https://HOST:PORT");
	while (url.ends_with("/") && url.size() > std::string_view("https://").size())
		url.pop_back();
	RemoteOptions o;
	o.url = std::move(url);
	o.ca_file = env(kEnvCaCert);
	if (std::string file = env(kEnvTokenFile); !file.empty()) {
		std::ifstream in(file);
		if (!in)
			return errno_error(errno, "cannot read the token file " + file +
					   " (" + kEnvTokenFile + ")");
		std::ostringstream ss;
		ss << in.rdbuf();
		std::string token = ss.str();
		while (!token.empty() && (token.back() == '\n' || token.back() == '\r' ||
					  token.back() == ' ' || token.back() == '\t'))
			token.pop_back();
		if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos)
			return make_error(Errc::invalid_argument,
					  "the token file " + file + " (" + kEnvTokenFile +
					  ") must hold one token on one line");
		o.token = std::move(token);
	}
	return RemoteClient(std::move(o));
}

Result<Json> RemoteClient::call(std::string_view method, const std::string &path,
				const std::optional<Json> &body) const
{
	auto api = curl_api();
	if (!api)
		return api.error();
	const CurlApi &cu = **api;
	std::unique_ptr<CURL, CurlDeleter> curl(cu.easy_init());
	if (!curl)
		return make_error(Errc::no_memory, "cannot set up an HTTP request (libcurl)");
	const std::string url = options_.url + path;
	const std::string method_s(method);
	const std::string payload = body ? body->dump() : std::string();
	std::string answer;
	char errbuf[CURL_ERROR_SIZE] = "";

	curl_slist *raw = nullptr;
	auto add = [&raw, &cu](const std::string &h) {
		curl_slist *n = cu.slist_append(raw, h.c_str());
		if (n)
			raw = n;
		return n != nullptr;
	};
	bool headers_ok = add("Accept: application/json");
	if (body)
		headers_ok = headers_ok && add("Content-Type: application/json");
	if (options_.token)
		headers_ok = headers_ok && add("Authorization: Bearer " + *options_.token);
	std::unique_ptr<curl_slist, CurlDeleter> headers(raw);
	if (!headers_ok)
		return make_error(Errc::no_memory, "cannot set up an HTTP request (libcurl)");

	CURL *c = curl.get();
	cu.easy_setopt(c, CURLOPT_URL, url.c_str());
	cu.easy_setopt(c, CURLOPT_CUSTOMREQUEST, method_s.c_str());
	cu.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (!options_.ca_file.empty())
		cu.easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
	if (body) {
		cu.easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
		cu.easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
	}
	CURLcode rc = cu.easy_perform(c);
	if (rc != CURLE_OK)
		return make_error(Errc::io_error, "cannot reach storctld at " + options_.url + ": " +
				  (*errbuf ? std::string(errbuf) : std::string(cu.easy_strerror(rc))));
	long status = 0;
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

	Json j = Json::parse(answer, nullptr, false);
	if (status >= 200 && status < 300) {
		if (j.is_discarded())
			return bad_answer(method_s + " " + path + " (HTTP " + std::to_string(status) +
					  ") is not JSON");
		return j;
	}
	std::string code, message;
	if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
		const Json &e = j["error"];
		if (e.contains("code") && e["code"].is_string())
			code = e["code"].get<std::string>();
		if (e.contains("message") && e["message"].is_string())
			message = e["message"].get<std::string>();
	}
	if (message.empty())
		message = "storctld answered " + method_s + " " + path + " with HTTP " +
			  std::to_string(status);
	return make_error(errc_from_http(static_cast<int>(status), code), message);
}

std::string escape_segment(std::string_view segment)
{
	static constexpr char hex[] = "0123456789ABCDEF";
	std::string out;
	for (char ch : segment) {
		auto c = static_cast<unsigned char>(ch);
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '~' || c == '-') {
			out += ch;
		} else {
			out += '%';
			out += hex[c >> 4];
			out += hex[c & 15];
		}
	}
	return out;
}

std::unique_ptr<RamdiskService> make_remote_ramdisks(RemoteClient client)
{
	return std::make_unique<RemoteRamdisks>(std::move(client));
}

std::unique_ptr<CacheService> make_remote_caches(RemoteClient client)
{
	return std::make_unique<RemoteCaches>(std::move(client));
}

std::unique_ptr<NvmetService> make_remote_nvmet(RemoteClient client)
{
	return std::make_unique<RemoteNvmet>(std::move(client));
}

Result<RamdiskInfo> ramdisk_from_json(const Json &j)
{
	if (!j.is_object())
		return bad_answer("a RAM disk is not an object");
	Reader r{j, {}};
	RamdiskInfo d;
	d.name = r.str("name");
	d.path = r.str("path");
	d.index = static_cast<int>(r.u64("index"));
	d.size_bytes = r.u64("size_bytes");
	d.used_bytes = r.u64("used_bytes");
	d.logical_block_size = static_cast<std::uint32_t>(r.u64("logical_block_size"));
	d.alloc_failures = r.u64("alloc_failures");
	d.open_count = static_cast<std::uint32_t>(r.u64("open_count"));
	if (const Json *n = r.field("numa_node"); n && !n->is_null()) {
		if (!n->is_number_integer())
			return bad_answer("RAM disk field numa_node");
		d.numa_node = n->get<int>();
	}
	d.read_only = r.flag("read_only");
	d.prealloc = r.flag("prealloc");
	d.overcommit = r.flag("overcommit");
	if (!r.missing.empty())
		return bad_answer("RAM disk field " + r.missing + " missing or of the wrong type");
	return d;
}

Result<CacheInfo> cache_from_json(const Json &j)
{
	if (!j.is_object())
		return bad_answer("a cache is not an object");
	Reader r{j, {}};
	CacheInfo c;
	c.name = r.str("name");
	c.path = r.str("path");
	c.target = r.str("target");
	auto mode = parse_cache_mode(r.str("mode"));
	c.cache = r.str("cache");
	c.origin = r.str("origin");
	auto cdev = parse_devno(r.str("cache_devno"));
	auto odev = parse_devno(r.str("origin_devno"));
	c.block_size = static_cast<std::uint32_t>(r.u64("block_size"));
	c.size_bytes = r.u64("size_bytes");
	if (const Json *p = r.field("policy"); p && !p->is_null()) {
		if (!p->is_string())
			return bad_answer("cache field policy");
		c.policy = p->get<std::string>();
	}
	if (const Json *o = r.field("options"); o) {
		if (!o->is_object())
			return bad_answer("cache field options");
		for (const auto &item : o->items()) {
			const Json &v = item.value();
			std::string text = v.is_boolean() ? std::string()
					 : v.is_string() ? v.get<std::string>() : v.dump();
			c.options.emplace_back(item.key(), text);
		}
	}
	c.open_count = static_cast<std::int32_t>(r.i64("open_count"));
	if (!r.missing.empty())
		return bad_answer("cache field " + r.missing + " missing or of the wrong type");
	if (!mode || !cdev || !odev)
		return bad_answer("cache fields mode, cache_devno or origin_devno");
	c.mode = *mode;
	c.cache_devno = *cdev;
	c.origin_devno = *odev;
	return c;
}

Result<CacheStats> cache_stats_from_json(const Json &j)
{
	if (!j.is_object())
		return bad_answer("cache statistics are not an object");
	Reader r{j, {}};
	CacheStats s;
	s.info.name = r.str("name");
	s.info.target = r.str("target");
	auto mode = parse_cache_mode(r.str("mode"));
	s.info.cache = r.str("cache");
	s.info.origin = r.str("origin");
	if (s.info.target == kStorCacheTarget) {
		StorCacheStatus st;
		for (std::size_t i = 0; i < kStorCacheCounters.size(); i++)
			st.counters[i] = r.u64(std::string(kStorCacheCounters[i]).c_str());
		s.stor_cache = st;
	} else if (s.info.target == kWritecacheTarget) {
		WritecacheStatus w;
		w.error = r.i64("error");
		w.total_blocks = r.u64("total_blocks");
		w.free_blocks = r.u64("free_blocks");
		w.writeback_blocks = r.u64("writeback_blocks");
		if (j.contains("reads")) {
			std::array<std::uint64_t, 10> c{};
			for (std::size_t i = 0; i < kWritecacheCounters.size(); i++)
				c[i] = r.u64(std::string(kWritecacheCounters[i]).c_str());
			w.counters = c;
		}
		s.writecache = w;
	} else if (r.missing.empty()) {
		return bad_answer("unknown cache target '" + s.info.target + "'");
	}
	if (!r.missing.empty())
		return bad_answer("statistics field " + r.missing + " missing or of the wrong type");
	if (!mode)
		return bad_answer("statistics field mode");
	s.info.mode = *mode;
	return s;
}

Result<CacheRemoval> cache_removal_from_json(const Json &j, CacheMode mode)
{
	if (!j.is_object())
		return bad_answer("a removal is not an object");
	Reader r{j, {}};
	CacheRemoval rm;
	rm.name = r.str("removed");
	rm.written_back_blocks = r.u64("written_back_blocks");
	rm.deferred = r.flag("deferred");
	rm.mode = mode;
	if (!r.missing.empty())
		return bad_answer("removal field " + r.missing + " missing or of the wrong type");
	return rm;
}

namespace {

// A string field that may be null ("" then), as json_output writes them.
std::string str_or_null(Reader &r, const char *key)
{
	const Json *v = r.field(key);
	if (!v || v->is_null())
		return {};
	if (!v->is_string()) {
		if (r.missing.empty())
			r.missing = key;
		return {};
	}
	return v->get<std::string>();
}

template <typename T>
bool array_of(Reader &r, const char *key, std::vector<T> &out)
{
	const Json *v = r.field(key);
	if (!v)
		return false;
	try {
		out = v->get<std::vector<T>>();
		return true;
	} catch (const Json::exception &) {
		if (r.missing.empty())
			r.missing = key;
		return false;
	}
}

} // namespace

Result<nvmet::PortInfo> nvmet_port_from_json(const Json &j)
{
	if (!j.is_object())
		return bad_answer("a port is not an object");
	Reader r{j, {}};
	nvmet::PortInfo p;
	p.id = static_cast<std::uint16_t>(r.u64("id"));
	p.transport = str_or_null(r, "transport");
	p.family = str_or_null(r, "family");
	p.address = str_or_null(r, "address");
	if (const Json *s = r.field("service"); s && !s->is_null())
		p.service = s->is_string() ? s->get<std::string>() : s->dump();
	array_of(r, "exports", p.subsystems);
	if (!r.missing.empty())
		return bad_answer("port field " + r.missing + " missing or of the wrong type");
	return p;
}

Result<nvmet::ExportInfo> nvmet_export_from_json(const Json &j)
{
	if (!j.is_object())
		return bad_answer("an export is not an object");
	Reader r{j, {}};
	nvmet::ExportInfo e;
	e.nqn = r.str("nqn");
	e.volume = str_or_null(r, "volume");
	if (const Json *ns = r.field("namespaces"); ns) {
		if (!ns->is_array())
			return bad_answer("export field namespaces");
		for (const Json &n : *ns) {
			if (!n.is_object())
				return bad_answer("a namespace is not an object");
			Reader nr{n, {}};
			nvmet::NamespaceInfo ni;
			ni.nsid = static_cast<std::uint32_t>(nr.u64("nsid"));
			ni.device_path = str_or_null(nr, "device_path");
			ni.uuid = nr.str("uuid");
			ni.nguid = nr.str("nguid");
			ni.enabled = nr.flag("enabled");
			if (!nr.missing.empty())
				return bad_answer("namespace field " + nr.missing + " missing or of the wrong type");
			e.namespaces.push_back(std::move(ni));
		}
	}
	e.allow_any_host = r.flag("allow_any_host");
	array_of(r, "hosts", e.hosts);
	array_of(r, "ports", e.ports);
	e.serial = r.str("serial");
	e.model = str_or_null(r, "model");
	e.managed = r.flag("managed");
	if (!r.missing.empty())
		return bad_answer("export field " + r.missing + " missing or of the wrong type");
	return e;
}

Result<nvmet::UnexportResult> nvmet_unexport_from_json(const Json &j)
{
	if (!j.is_object())
		return bad_answer("an unexport answer is not an object");
	Reader r{j, {}};
	nvmet::UnexportResult u;
	u.nqn = r.str("nqn");
	u.volume = str_or_null(r, "volume");
	u.removed = r.flag("removed");
	array_of(r, "hosts_removed", u.hosts_removed);
	array_of(r, "ports_removed", u.ports_removed);
	u.any_host_revoked = r.flag("allow_any_host_revoked");
	array_of(r, "host_entries_removed", u.host_entries_removed);
	if (!r.missing.empty())
		return bad_answer("unexport field " + r.missing + " missing or of the wrong type");
	return u;
}

Json nvmet_port_create_body(const nvmet::PortSpec &s)
{
	Json j{{"transport", std::string(nvmet::to_string(s.transport))}};
	if (s.address)
		j["address"] = *s.address;
	if (s.interface)
		j["interface"] = *s.interface;
	if (s.service)
		j["service"] = *s.service;
	if (s.id)
		j["id"] = *s.id;
	return j;
}

Json nvmet_export_body(const nvmet::ExportSpec &s)
{
	Json j{{"volume", s.volume}, {"hosts", s.hosts}, {"allow_any_host", s.allow_any_host}};
	if (!s.ports.empty())
		j["ports"] = s.ports;
	if (s.nqn)
		j["nqn"] = *s.nqn;
	return j;
}

Json nvmet_unexport_body(const nvmet::UnexportSpec &s)
{
	return Json{{"volume", s.volume},
		    {"hosts", s.hosts},
		    {"ports", s.ports},
		    {"allow_any_host", s.allow_any_host}};
}

Json ramdisk_create_body(const RamdiskCreateOptions &o)
{
	return Json{
		{"size", o.size_bytes},
		{"logical_block_size", o.logical_block_size},
		{"numa_node", o.numa_node ? Json(*o.numa_node) : Json(nullptr)},
		{"prealloc", o.prealloc},
		{"read_only", o.read_only},
		{"overcommit", o.overcommit},
		{"index", o.index ? Json(*o.index) : Json(nullptr)},
	};
}

Json cache_create_body(const CacheCreateOptions &o)
{
	Json j{{"cache", o.cache}, {"origin", o.origin}, {"mode", std::string(to_string(o.mode))}};
	if (o.name)
		j["name"] = *o.name;
	if (o.block_size)
		j["block_size"] = *o.block_size;
	if (o.policy)
		j["policy"] = *o.policy;
	if (!o.tunables.empty()) {
		Json t = Json::object();
		for (const PolicyTunable &p : o.tunables)
			t[p.key] = p.value;
		j["tunables"] = t;
	}
	const std::pair<const char *, const std::optional<std::uint32_t> *> wb[] = {
		{"high_watermark", &o.wb.high_watermark},
		{"low_watermark", &o.wb.low_watermark},
		{"writeback_jobs", &o.wb.writeback_jobs},
		{"autocommit_blocks", &o.wb.autocommit_blocks},
		{"autocommit_time", &o.wb.autocommit_time},
	};
	for (const auto &[key, v] : wb)
		if (*v)
			j[key] = **v;
	return j;
}

Json cache_remove_body(const CacheRemoveOptions &o)
{
	return Json{{"force", o.force}, {"timeout_seconds", o.flush_timeout.count() / 1000}};
}

} // namespace storctl::cli
