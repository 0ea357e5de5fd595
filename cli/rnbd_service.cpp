// SPDX-License-Identifier: MIT
#include "rnbd_service.hpp"

#include <cstdlib>

namespace storctl::cli {

namespace {

class LocalRnbd final : public RnbdService {
public:
	explicit LocalRnbd(rnbd::Manager m) : m_(std::move(m)) {}

	Result<rnbd::ExportInfo> export_device(const rnbd::ExportSpec &spec) override
	{
		return m_.export_device(spec);
	}
	Result<void> unexport_device(const std::string &device_path, const std::string &session) override
	{
		return m_.unexport_device(device_path, session);
	}
	Result<rnbd::Mapping> map(const rnbd::MapSpec &spec) override { return m_.map(spec); }
	Result<void> unmap(const std::string &name, bool force) override { return m_.unmap(name, force); }

	Result<RnbdListing> list() override
	{
		RnbdListing l;
		if (!m_.server_loaded() && !m_.client_loaded())
			return neither();
		if (m_.server_loaded()) {
			auto e = m_.exports();
			if (!e)
				return std::move(e).error();
			l.exports = std::move(*e);
		}
		if (m_.client_loaded()) {
			auto m = m_.mappings();
			if (!m)
				return std::move(m).error();
			l.mappings = std::move(*m);
		}
		return l;
	}

	Result<RnbdSessions> sessions() override
	{
		RnbdSessions s;
		if (!m_.server_loaded() && !m_.client_loaded())
			return neither();
		if (m_.server_loaded()) {
			auto v = m_.server_sessions();
			if (!v)
				return std::move(v).error();
			s.server = std::move(*v);
		}
		if (m_.client_loaded()) {
			auto v = m_.client_sessions();
			if (!v)
				return std::move(v).error();
			s.client = std::move(*v);
		}
		return s;
	}

private:
	static Error neither()
	{
		return make_error(Errc::unsupported, "neither " + std::string(rnbd::kServerModule) +
						     " nor " + std::string(rnbd::kClientModule) +
						     " is loaded");
	}

	rnbd::Manager m_;
};

Error malformed(const std::string &what)
{
	return make_error(Errc::internal, "storctld sent a malformed " + what);
}

template <typename F>
auto guarded(const std::string &what, F f) -> decltype(f())
{
	try {
		return f();
	} catch (const Json::exception &) {
		return malformed(what);
	}
}

class RemoteRnbd final : public RnbdService {
public:
	explicit RemoteRnbd(RemoteClient c) : c_(std::move(c)) {}

	Result<rnbd::ExportInfo> export_device(const rnbd::ExportSpec &spec) override
	{
		auto j = c_.call("POST", "/v1/rnbd/exports", rnbd_export_body(spec));
		if (!j)
			return std::move(j).error();
		return rnbd_export_from_json(*j);
	}

	Result<void> unexport_device(const std::string &device_path, const std::string &session) override
	{
		rnbd::ExportInfo e{device_path, session, false};
		auto j = c_.call("DELETE", "/v1/rnbd/exports/" + escape_segment(rnbd::export_id(e)));
		if (!j)
			return std::move(j).error();
		return ok();
	}

	Result<rnbd::Mapping> map(const rnbd::MapSpec &spec) override
	{
		auto j = c_.call("POST", "/v1/rnbd/mappings", rnbd_map_body(spec));
		if (!j)
			return std::move(j).error();
		return rnbd_mapping_from_json(*j);
	}

	Result<void> unmap(const std::string &name, bool force) override
	{
		auto j = c_.call("DELETE", "/v1/rnbd/mappings/" + escape_segment(name) +
					   (force ? "?force=true" : ""));
		if (!j)
			return std::move(j).error();
		return ok();
	}

	Result<RnbdListing> list() override
	{
		RnbdListing l;
		auto e = c_.call("GET", "/v1/rnbd/exports");
		auto m = c_.call("GET", "/v1/rnbd/mappings");
		if (!e && e.error().code != Errc::unsupported)
			return std::move(e).error();
		if (!m && (m.error().code != Errc::unsupported || !e))
			return std::move(m).error();
		if (e) {
			if (!e->is_array())
				return malformed("export list");
			l.exports.emplace();
			for (const Json &x : *e) {
				auto v = rnbd_export_from_json(x);
				if (!v)
					return std::move(v).error();
				l.exports->push_back(*v);
			}
		}
		if (m) {
			if (!m->is_array())
				return malformed("mapping list");
			l.mappings.emplace();
			for (const Json &x : *m) {
				auto v = rnbd_mapping_from_json(x);
				if (!v)
					return std::move(v).error();
				l.mappings->push_back(*v);
			}
		}
		return l;
	}

	Result<RnbdSessions> sessions() override
	{
		auto j = c_.call("GET", "/v1/rnbd/sessions");
		if (!j)
			return std::move(j).error();
		return rnbd_sessions_from_json(*j);
	}

private:
	RemoteClient c_;
};

} // namespace

std::unique_ptr<RnbdService> make_local_rnbd(rnbd::Manager m)
{
	return std::make_unique<LocalRnbd>(std::move(m));
}

std::unique_ptr<RnbdService> make_remote_rnbd(RemoteClient client)
{
	return std::make_unique<RemoteRnbd>(std::move(client));
}

Result<std::unique_ptr<RnbdService>> rnbd_service(const Context &ctx)
{
	if (!ctx.url.empty()) {
		auto client = RemoteClient::from_env(ctx.url);
		if (!client)
			return std::move(client).error();
		return make_remote_rnbd(std::move(*client));
	}
	const char *root = std::getenv(kEnvSysfs);
	return make_local_rnbd(rnbd::Manager(root && *root ? root : "/sys"));
}

Result<rnbd::ExportInfo> rnbd_export_from_json(const Json &j)
{
	return guarded("export", [&]() -> Result<rnbd::ExportInfo> {
		rnbd::ExportInfo e;
		e.device_path = j.at("device_path").get<std::string>();
		e.session = j.at("session").is_null() ? "" : j.at("session").get<std::string>();
		e.read_only = j.at("read_only").get<bool>();
		return e;
	});
}

Result<rnbd::Mapping> rnbd_mapping_from_json(const Json &j)
{
	return guarded("mapping", [&]() -> Result<rnbd::Mapping> {
		rnbd::Mapping m;
		m.name = j.at("name").get<std::string>();
		m.path = j.at("path").get<std::string>();
		m.session = j.at("session").get<std::string>();
		m.device_path = j.at("device_path").get<std::string>();
		m.access = j.at("access").get<std::string>();
		m.state = j.at("state").get<std::string>();
		return m;
	});
}

Result<RnbdSessions> rnbd_sessions_from_json(const Json &j)
{
	return guarded("session list", [&]() -> Result<RnbdSessions> {
		RnbdSessions out;
		if (!j.at("server").is_null()) {
			out.server.emplace();
			for (const Json &s : j.at("server")) {
				rnbd::ServerSession v;
				v.name = s.at("name").get<std::string>();
				v.path_count = s.at("path_count").get<std::uint32_t>();
				v.device_count = s.at("device_count").get<std::uint32_t>();
				v.closing = s.at("closing").get<bool>();
				for (const Json &p : s.at("paths"))
					v.paths.push_back({p.at("client_address").get<std::string>(),
							   p.at("state").get<std::string>(),
							   p.at("io_cons").get<std::uint32_t>(),
							   p.at("queue_depth").get<std::uint32_t>(),
							   p.at("max_io_size").get<std::uint32_t>()});
				out.server->push_back(std::move(v));
			}
		}
		if (!j.at("client").is_null()) {
			out.client.emplace();
			for (const Json &s : j.at("client")) {
				rnbd::ClientSession v;
				v.name = s.at("name").get<std::string>();
				v.state = s.at("state").get<std::string>();
				for (const Json &p : s.at("paths"))
					v.paths.push_back({p.at("index").get<std::uint32_t>(),
							   p.at("address").get<std::string>(),
							   p.at("state").get<std::string>(),
							   p.at("inflight").get<std::uint64_t>(),
							   p.at("requests").get<std::uint64_t>(),
							   p.at("errors").get<std::uint64_t>(),
							   p.at("reconnects").get<std::uint64_t>(),
							   p.value("mr_writes", std::uint64_t{0}),
							   p.value("polled", std::uint64_t{0}),
							   p.value("bounce_reads", std::uint64_t{0})});
				v.devices = s.at("devices").get<std::vector<std::string>>();
				out.client->push_back(std::move(v));
			}
		}
		return out;
	});
}

Json rnbd_export_body(const rnbd::ExportSpec &spec)
{
	Json j{{"device_path", spec.device_path}, {"read_only", spec.read_only}};
	if (!spec.session.empty())
		j["session"] = spec.session;
	return j;
}

Json rnbd_map_body(const rnbd::MapSpec &spec)
{
	Json paths = Json::array();
	for (const auto &p : spec.paths)
		paths.push_back(p.str());
	Json j{{"session", spec.session},
	       {"paths", std::move(paths)},
	       {"device_path", spec.device_path},
	       {"access", std::string(rnbd::to_string(spec.access))}};
	if (spec.port)
		j["port"] = *spec.port;
	if (spec.poll_queues)
		j["poll_queues"] = *spec.poll_queues;
	return j;
}

} // namespace storctl::cli
