// SPDX-License-Identifier: MIT
#include "json_input.hpp"

#include <limits>

#include <storctl/size.hpp>

namespace storctl::daemon {

namespace {

// Deepest nesting of arrays/objects in @text, counted without parsing
// (strings skipped), so a hostile body cannot make the parser recurse.
int json_depth(std::string_view text)
{
	int depth = 0, max = 0;
	bool in_string = false, escaped = false;
	for (char c : text) {
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return max;
}

std::string_view type_name(const Json &v)
{
	switch (v.type()) {
	case Json::value_t::null:		return "null";
	case Json::value_t::object:		return "an object";
	case Json::value_t::array:		return "an array";
	case Json::value_t::string:		return "a string";
	case Json::value_t::boolean:		return "a boolean";
	case Json::value_t::number_integer:
	case Json::value_t::number_unsigned:	return "an integer";
	case Json::value_t::number_float:	return "a number with a fraction or exponent";
	case Json::value_t::binary:
	case Json::value_t::discarded:		break;
	}
	return "an invalid value";
}

ApiError wrong_type(std::string_view key, std::string_view expected, const Json &v)
{
	return bad_request("'" + std::string(key) + "' must be " + std::string(expected) + ", not " +
			   std::string(type_name(v)));
}

ApiResult<bool> get_bool(const Json &v, std::string_view key)
{
	if (!v.is_boolean())
		return wrong_type(key, "true or false", v);
	return v.get<bool>();
}

// An integer in [lo, hi].
ApiResult<std::int64_t> get_int(const Json &v, std::string_view key, std::int64_t lo, std::int64_t hi)
{
	if (!v.is_number_integer())
		return wrong_type(key, "an integer", v);
	bool in_range;
	std::int64_t n = 0;
	if (v.is_number_unsigned()) {
		auto u = v.get<std::uint64_t>();
		in_range = u <= static_cast<std::uint64_t>(hi) &&
			   (lo <= 0 || u >= static_cast<std::uint64_t>(lo));
		n = in_range ? static_cast<std::int64_t>(u) : 0;
	} else {
		n = v.get<std::int64_t>();
		in_range = n >= lo && n <= hi;
	}
	if (!in_range)
		return invalid_value("'" + std::string(key) + "' must be between " + std::to_string(lo) +
				     " and " + std::to_string(hi) + ", not " + v.dump());
	return n;
}

} // namespace

ApiResult<Json> parse_json_object(std::string_view body)
{
	if (body.empty())
		return bad_request("request body must be a JSON object (it is empty)");
	if (json_depth(body) > kMaxJsonDepth)
		return bad_request("request body nested deeper than " + std::to_string(kMaxJsonDepth) +
				   " levels");
	Json j = Json::parse(body, nullptr, false);
	if (j.is_discarded())
		return bad_request("request body is not valid JSON");
	if (!j.is_object())
		return bad_request("request body must be a JSON object, not " + std::string(type_name(j)));
	return j;
}

std::optional<ApiError> check_keys(const Json &obj, std::initializer_list<std::string_view> allowed)
{
	for (const auto &item : obj.items()) {
		bool known = false;
		for (std::string_view a : allowed)
			known = known || item.key() == a;
		if (known)
			continue;
		std::string list;
		for (std::string_view a : allowed)
			list += (list.empty() ? "" : ", ") + std::string(a);
		return invalid_value("unknown key '" + item.key() + "' (allowed: " + list + ")");
	}
	return std::nullopt;
}

ApiResult<std::uint64_t> parse_size_value(const Json &value, std::string_view key)
{
	if (value.is_string()) {
		auto r = parse_size(value.get_ref<const std::string &>());
		if (!r)
			return api_error(r.error());
		return *r;
	}
	if (value.is_number_unsigned()) {
		auto n = value.get<std::uint64_t>();
		if (n == 0)
			return invalid_value("'" + std::string(key) + "' must be greater than zero");
		return n;
	}
	if (value.is_number_integer())
		return invalid_value("'" + std::string(key) + "' must not be negative");
	return wrong_type(key, "a size string such as \"64M\" or an integer of bytes", value);
}

ApiResult<RamdiskCreateOptions> parse_ramdisk_create(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;

	// Types first (400), then unknown keys and values (422): a client
	// sending garbage learns that before anything else.
	RamdiskCreateOptions opts;
	if (auto it = o.find("size"); it != o.end()) {
		auto s = parse_size_value(*it, "size");
		if (!s)
			return s.error();
		opts.size_bytes = *s;
	}
	if (auto it = o.find("logical_block_size"); it != o.end()) {
		auto n = get_int(*it, "logical_block_size", 0, std::numeric_limits<std::uint32_t>::max());
		if (!n)
			return n.error();
		opts.logical_block_size = static_cast<std::uint32_t>(*n);
	}
	if (auto it = o.find("numa_node"); it != o.end() && !it->is_null()) {
		auto n = get_int(*it, "numa_node", 0, std::numeric_limits<int>::max());
		if (!n)
			return n.error();
		opts.numa_node = static_cast<int>(*n);
	}
	if (auto it = o.find("index"); it != o.end() && !it->is_null()) {
		auto n = get_int(*it, "index", 0, std::numeric_limits<int>::max());
		if (!n)
			return n.error();
		opts.index = static_cast<int>(*n);
	}
	struct Flag {
		const char *key;
		bool *dst;
	} flags[] = {
		{"prealloc", &opts.prealloc},
		{"read_only", &opts.read_only},
		{"overcommit", &opts.overcommit},
	};
	for (const Flag &f : flags) {
		if (auto it = o.find(f.key); it != o.end()) {
			auto b = get_bool(*it, f.key);
			if (!b)
				return b.error();
			*f.dst = *b;
		}
	}
	if (auto e = check_keys(o, {"size", "logical_block_size", "numa_node", "prealloc",
				    "read_only", "overcommit", "index"}))
		return *e;
	if (!o.contains("size"))
		return invalid_value("missing required key 'size'");
	if (auto r = validate_ramdisk_size(opts.size_bytes); !r)
		return api_error(r.error());
	if (auto r = validate_logical_block_size(opts.logical_block_size); !r)
		return api_error(r.error());
	return opts;
}

ApiResult<std::uint64_t> parse_ramdisk_patch(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;
	std::uint64_t size = 0;
	if (auto it = o.find("size"); it != o.end()) {
		auto s = parse_size_value(*it, "size");
		if (!s)
			return s.error();
		size = *s;
	}
	if (auto e = check_keys(o, {"size"}))
		return ApiError{e->status, e->code, e->message + "; only the size of a RAM disk can be changed"};
	if (!o.contains("size"))
		return invalid_value("missing required key 'size'");
	if (auto r = validate_ramdisk_size(size); !r)
		return api_error(r.error());
	return size;
}

ApiResult<CacheCreateOptions> parse_cache_create(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;

	CacheCreateOptions opts;
	// Types first (400).
	struct Str {
		const char *key;
		std::string *dst;
	} strings[] = {{"cache", &opts.cache}, {"origin", &opts.origin}};
	for (const Str &f : strings) {
		if (auto it = o.find(f.key); it != o.end()) {
			if (!it->is_string())
				return wrong_type(f.key, "a string", *it);
			*f.dst = it->get<std::string>();
		}
	}
	std::string mode_text;
	if (auto it = o.find("mode"); it != o.end()) {
		if (!it->is_string())
			return wrong_type("mode", "a string", *it);
		mode_text = it->get<std::string>();
	}
	if (auto it = o.find("name"); it != o.end() && !it->is_null()) {
		if (!it->is_string())
			return wrong_type("name", "a string", *it);
		opts.name = it->get<std::string>();
	}
	if (auto it = o.find("policy"); it != o.end() && !it->is_null()) {
		if (!it->is_string())
			return wrong_type("policy", "a string", *it);
		opts.policy = it->get<std::string>();
	}
	std::optional<std::uint64_t> block_size;
	if (auto it = o.find("block_size"); it != o.end() && !it->is_null()) {
		auto bs = parse_size_value(*it, "block_size");
		if (!bs)
			return bs.error();
		block_size = *bs;
	}
	if (auto it = o.find("tunables"); it != o.end()) {
		if (!it->is_object())
			return wrong_type("tunables", "an object of integers", *it);
		for (const auto &item : it->items()) {
			auto n = get_int(item.value(), "tunables." + item.key(), 0,
					 std::numeric_limits<std::uint32_t>::max());
			if (!n)
				return n.error();
			auto t = parse_policy_tunable(item.key() + "=" + std::to_string(*n));
			if (!t)
				return api_error(t.error());
			opts.tunables.push_back(*t);
		}
	}
	static constexpr std::string_view wb_keys[] = {"high_watermark", "low_watermark",
						       "writeback_jobs", "autocommit_blocks",
						       "autocommit_time"};
	std::vector<std::pair<std::string_view, std::int64_t>> wb;
	for (std::string_view key : wb_keys) {
		if (auto it = o.find(key); it != o.end()) {
			auto n = get_int(*it, key, 0, std::numeric_limits<std::uint32_t>::max());
			if (!n)
				return n.error();
			wb.emplace_back(key, *n);
		}
	}
	// Then keys and values (422).
	if (auto e = check_keys(o, {"cache", "origin", "mode", "name", "block_size", "policy",
				    "tunables", "high_watermark", "low_watermark", "writeback_jobs",
				    "autocommit_blocks", "autocommit_time"}))
		return *e;
	for (const char *key : {"cache", "origin", "mode"})
		if (!o.contains(key))
			return invalid_value(std::string("missing required key '") + key + "'");
	auto mode = parse_cache_mode(mode_text);
	if (!mode)
		return api_error(mode.error());
	opts.mode = *mode;
	if (block_size) {
		if (auto r = validate_cache_block_size(*block_size, opts.mode); !r)
			return api_error(r.error());
		opts.block_size = static_cast<std::uint32_t>(*block_size);
	}
	for (const auto &[key, n] : wb) {
		std::string flag = "--" + std::string(key);
		for (char &c : flag)
			if (c == '_')
				c = '-';
		if (auto r = set_wb_tunable(opts.wb, flag, std::to_string(n)); !r)
			return api_error(r.error());
	}
	if (auto r = CacheManager::validate_create(opts); !r)
		return api_error(r.error());
	return opts;
}

ApiResult<CacheRemoveOptions> parse_cache_remove(std::string_view body)
{
	CacheRemoveOptions opts;
	if (body.empty())
		return opts;
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;
	if (auto it = o.find("force"); it != o.end()) {
		auto b = get_bool(*it, "force");
		if (!b)
			return b.error();
		opts.force = *b;
	}
	if (auto it = o.find("timeout_seconds"); it != o.end()) {
		if (!it->is_number_integer())
			return wrong_type("timeout_seconds", "an integer", *it);
		auto n = get_int(*it, "timeout_seconds", 1, 86400);
		if (!n)
			return n.error();
		opts.flush_timeout = std::chrono::milliseconds(*n * 1000);
	}
	if (auto e = check_keys(o, {"force", "timeout_seconds"}))
		return *e;
	return opts;
}

namespace {

ApiResult<std::vector<std::string>> get_nqns(const Json &v, std::string_view key)
{
	if (!v.is_array())
		return wrong_type(key, "an array of host NQNs", v);
	std::vector<std::string> out;
	for (const Json &e : v) {
		if (!e.is_string())
			return wrong_type(std::string(key) + "[]", "a string", e);
		std::string h = e.get<std::string>();
		if (auto r = nvmet::validate_nqn(h, "host NQN"); !r)
			return api_error(r.error());
		out.push_back(std::move(h));
	}
	return out;
}

ApiResult<std::vector<std::uint16_t>> get_port_ids(const Json &v, std::string_view key)
{
	if (!v.is_array())
		return wrong_type(key, "an array of port ids", v);
	std::vector<std::uint16_t> out;
	for (const Json &e : v) {
		auto id = get_int(e, std::string(key) + "[]", nvmet::kMinPortId, nvmet::kMaxPortId);
		if (!id)
			return id.error();
		out.push_back(static_cast<std::uint16_t>(*id));
	}
	return out;
}

ApiResult<std::optional<std::string>> get_opt_string(const Json &o, std::string_view key)
{
	auto it = o.find(key);
	if (it == o.end() || it->is_null())
		return std::optional<std::string>{};
	if (!it->is_string())
		return wrong_type(key, "a string", *it);
	return std::optional<std::string>{it->get<std::string>()};
}

} // namespace

ApiResult<nvmet::PortSpec> parse_nvmet_port_create(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;
	nvmet::PortSpec spec;
	auto transport = get_opt_string(o, "transport");
	if (!transport)
		return transport.error();
	auto address = get_opt_string(o, "address");
	if (!address)
		return address.error();
	auto interface = get_opt_string(o, "interface");
	if (!interface)
		return interface.error();
	spec.address = *address;
	spec.interface = *interface;
	if (auto it = o.find("service"); it != o.end() && !it->is_null()) {
		auto s = get_int(*it, "service", 1, 65535);
		if (!s)
			return s.error();
		spec.service = static_cast<std::uint16_t>(*s);
	}
	if (auto it = o.find("id"); it != o.end() && !it->is_null()) {
		auto id = get_int(*it, "id", nvmet::kMinPortId, nvmet::kMaxPortId);
		if (!id)
			return id.error();
		spec.id = static_cast<std::uint16_t>(*id);
	}
	if (auto e = check_keys(o, {"transport", "address", "interface", "service", "id"}))
		return *e;
	if (transport->has_value()) {
		auto t = nvmet::parse_transport(**transport);
		if (!t)
			return api_error(t.error());
		spec.transport = *t;
	}
	if (spec.address && spec.interface)
		return invalid_value("'address' and 'interface' exclude each other");
	return spec;
}

ApiResult<nvmet::ExportSpec> parse_nvmet_export_create(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;
	nvmet::ExportSpec spec;
	auto volume = get_opt_string(o, "volume");
	if (!volume)
		return volume.error();
	auto nqn = get_opt_string(o, "nqn");
	if (!nqn)
		return nqn.error();
	spec.nqn = *nqn;
	if (auto it = o.find("ports"); it != o.end()) {
		auto p = get_port_ids(*it, "ports");
		if (!p)
			return p.error();
		spec.ports = std::move(*p);
	}
	if (auto it = o.find("hosts"); it != o.end()) {
		auto h = get_nqns(*it, "hosts");
		if (!h)
			return h.error();
		spec.hosts = std::move(*h);
	}
	if (auto it = o.find("allow_any_host"); it != o.end()) {
		auto b = get_bool(*it, "allow_any_host");
		if (!b)
			return b.error();
		spec.allow_any_host = *b;
	}
	if (auto e = check_keys(o, {"volume", "ports", "hosts", "allow_any_host", "nqn"}))
		return *e;
	if (!volume->has_value() || (*volume)->empty())
		return invalid_value("'volume' is required (a block device path, srdN or a device-mapper name)");
	spec.volume = **volume;
	if (spec.nqn)
		if (auto r = nvmet::validate_subsystem_nqn(*spec.nqn); !r)
			return api_error(r.error());
	if (spec.allow_any_host && !spec.hosts.empty())
		return invalid_value("'allow_any_host' and 'hosts' exclude each other: an export either "
				     "lists its hosts or allows any host");
	return spec;
}

ApiResult<nvmet::UnexportSpec> parse_nvmet_unexport(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;
	nvmet::UnexportSpec spec;
	auto volume = get_opt_string(o, "volume");
	if (!volume)
		return volume.error();
	if (auto it = o.find("hosts"); it != o.end()) {
		auto h = get_nqns(*it, "hosts");
		if (!h)
			return h.error();
		spec.hosts = std::move(*h);
	}
	if (auto it = o.find("ports"); it != o.end()) {
		auto p = get_port_ids(*it, "ports");
		if (!p)
			return p.error();
		spec.ports = std::move(*p);
	}
	if (auto it = o.find("allow_any_host"); it != o.end()) {
		auto b = get_bool(*it, "allow_any_host");
		if (!b)
			return b.error();
		spec.allow_any_host = *b;
	}
	if (auto e = check_keys(o, {"volume", "hosts", "ports", "allow_any_host"}))
		return *e;
	if (!volume->has_value() || (*volume)->empty())
		return invalid_value("'volume' is required (the exported volume or the export's NQN)");
	spec.volume = **volume;
	return spec;
}

ApiResult<NvmetExportPatch> parse_nvmet_export_patch(std::string_view body)
{
	auto j = parse_json_object(body);
	if (!j)
		return j.error();
	const Json &o = *j;
	NvmetExportPatch p;
	for (auto [key, dst] : {std::pair{"add_hosts", &p.add_hosts}, std::pair{"remove_hosts", &p.remove_hosts}})
		if (auto it = o.find(key); it != o.end()) {
			auto h = get_nqns(*it, key);
			if (!h)
				return h.error();
			*dst = std::move(*h);
		}
	for (auto [key, dst] : {std::pair{"add_ports", &p.add_ports}, std::pair{"remove_ports", &p.remove_ports}})
		if (auto it = o.find(key); it != o.end()) {
			auto ids = get_port_ids(*it, key);
			if (!ids)
				return ids.error();
			*dst = std::move(*ids);
		}
	if (auto it = o.find("allow_any_host"); it != o.end()) {
		auto b = get_bool(*it, "allow_any_host");
		if (!b)
			return b.error();
		p.allow_any_host = *b;
	}
	if (auto e = check_keys(o, {"add_hosts", "remove_hosts", "add_ports", "remove_ports",
				    "allow_any_host"}))
		return *e;
	for (const auto &h : p.add_hosts)
		for (const auto &r : p.remove_hosts)
			if (h == r)
				return invalid_value("host " + h + " is both in 'add_hosts' and 'remove_hosts'");
	for (auto a : p.add_ports)
		for (auto r : p.remove_ports)
			if (a == r)
				return invalid_value("port " + std::to_string(a) +
						     " is both in 'add_ports' and 'remove_ports'");
	if (p.allow_any_host == true && !p.add_hosts.empty())
		return invalid_value("'allow_any_host': true and 'add_hosts' exclude each other: an export "
				     "either lists its hosts or allows any host");
	return p;
}

} // namespace storctl::daemon
