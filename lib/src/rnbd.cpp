// SPDX-License-Identifier: MIT
//
// RNBD (docs/rnbd.md): input checks, the sysfs text tables of both modules
// (parsed here and nowhere else) and the Manager writing the ctl files.
#include <storctl/rnbd.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <storctl/unique_fd.hpp>

namespace storctl::rnbd {

namespace {

Error invalid(std::string message)
{
	return make_error(Errc::invalid_argument, std::move(message));
}

bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

template <typename T>
bool parse_uint(std::string_view s, T &out)
{
	if (s.empty())
		return false;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
	return ec == std::errc() && p == s.data() + s.size();
}

/// "key=value" -> value, when the field has that key.
std::optional<std::string_view> field_value(std::string_view field, std::string_view key)
{
	if (field.size() <= key.size() || field.substr(0, key.size()) != key ||
	    field[key.size()] != '=')
		return std::nullopt;
	return field.substr(key.size() + 1);
}

Error bad_table(std::string_view what, std::string_view line)
{
	return make_error(Errc::kernel_failure,
			  "unexpected line in " + std::string(what) + ": '" + std::string(line) + "'");
}

std::string join_fields(const std::vector<std::string> &f)
{
	std::string s;
	for (const auto &x : f)
		s += (s.empty() ? "" : " ") + x;
	return s;
}

Result<std::string> parse_ip(std::string_view text, std::string_view whole)
{
	std::string s(text);
	if (s.size() > 2 && s.front() == '[' && s.back() == ']')
		s = s.substr(1, s.size() - 2);
	unsigned char buf[16];
	char out[INET6_ADDRSTRLEN] = {};
	if (::inet_pton(AF_INET, s.c_str(), buf) == 1) {
		::inet_ntop(AF_INET, buf, out, sizeof(out));
		return std::string(out);
	}
	if (::inet_pton(AF_INET6, s.c_str(), buf) == 1) {
		::inet_ntop(AF_INET6, buf, out, sizeof(out));
		return std::string(out);
	}
	return invalid("invalid path '" + std::string(whole) + "': '" + std::string(text) +
		       "' is not an IPv4 or IPv6 address (expected ip:ADDR[@ip:SRC])");
}

} // namespace

std::string_view to_string(Access a) noexcept
{
	switch (a) {
	case Access::ro:	return "ro";
	case Access::rw:	return "rw";
	case Access::migration:	return "migration";
	}
	return "rw";
}

Result<Access> parse_access(std::string_view text)
{
	if (text == "ro")
		return Access::ro;
	if (text == "rw")
		return Access::rw;
	if (text == "migration")
		return Access::migration;
	return invalid("invalid access mode '" + std::string(text) + "': expected ro, rw or migration");
}

Result<void> validate_session_name(std::string_view name)
{
	if (name.empty())
		return invalid("the session name is empty");
	if (name.size() > kMaxSessionName)
		return invalid("session name '" + std::string(name) + "' is longer than " +
			       std::to_string(kMaxSessionName) + " characters");
	if (!is_alnum(name.front()) || !std::all_of(name.begin(), name.end(), is_name_char))
		return invalid("invalid session name '" + std::string(name) +
			       "': use letters, digits, '.', '_' and '-', starting with a letter or digit");
	return ok();
}

Result<void> validate_device_path(std::string_view path, std::string_view what)
{
	const std::string w(what);
	if (path.empty())
		return invalid("the " + w + " is empty");
	if (path.size() > kMaxDevicePath)
		return invalid(w + " '" + std::string(path) + "' is longer than " +
			       std::to_string(kMaxDevicePath) + " bytes");
	if (path.front() != '/')
		return invalid(w + " '" + std::string(path) + "' is not absolute");
	for (unsigned char c : path)
		if (c <= ' ' || c == 0x7f)
			return invalid(w + " '" + std::string(path) +
				       "' contains whitespace or a control character");
	std::size_t i = 0;
	while (i < path.size()) {
		std::size_t j = path.find('/', i);
		if (j == std::string_view::npos)
			j = path.size();
		std::string_view comp = path.substr(i, j - i);
		if (comp == ".." || comp == ".")
			return invalid(w + " '" + std::string(path) + "' has a '" + std::string(comp) +
				       "' component");
		i = j + 1;
	}
	return ok();
}

Result<std::string> normalize_device_path(std::string_view device)
{
	std::string p(device);
	if (!p.empty() && p.front() != '/')
		p = "/dev/" + p;
	if (auto r = validate_device_path(p); !r)
		return std::move(r).error();
	return p;
}

std::string PathSpec::str() const
{
	std::string s = "ip:" + server;
	if (!source.empty())
		s += "@ip:" + source;
	return s;
}

Result<PathSpec> parse_path(std::string_view text)
{
	const std::string whole(text);
	if (text.empty())
		return invalid("empty path: expected ip:ADDR[@ip:SRC]");
	if (text.substr(0, 3) != "ip:")
		return invalid("invalid path '" + whole + "': expected ip:ADDR[@ip:SRC]");
	std::string_view rest = text.substr(3);
	std::string_view src;
	if (auto at = rest.find('@'); at != std::string_view::npos) {
		src = rest.substr(at + 1);
		rest = rest.substr(0, at);
		if (src.substr(0, 3) != "ip:")
			return invalid("invalid path '" + whole + "': the source must be ip:ADDR");
		src = src.substr(3);
	}
	PathSpec p;
	auto server = parse_ip(rest, text);
	if (!server)
		return std::move(server).error();
	p.server = *server;
	if (!src.empty() || text.find('@') != std::string_view::npos) {
		auto s = parse_ip(src, text);
		if (!s)
			return std::move(s).error();
		p.source = *s;
	}
	return p;
}

Result<std::string> validate_mapping_name(std::string_view name)
{
	std::string_view n = name;
	if (n.substr(0, 5) == "/dev/")
		n = n.substr(5);
	if (n.size() > 5 && n.substr(0, 5) == "srnbd" && n.size() <= 15 &&
	    std::all_of(n.begin() + 5, n.end(), [](char c) { return c >= '0' && c <= '9'; }))
		return std::string(n);
	return invalid("invalid device '" + std::string(name) + "': expected srnbd<N> or /dev/srnbd<N>");
}

std::string export_id(const ExportInfo &e)
{
	std::string p = e.device_path;
	if (p.rfind("/dev/", 0) == 0)
		p = p.substr(5);
	std::replace(p.begin(), p.end(), '/', '!');
	if (!e.session.empty())
		p += "@" + e.session;
	return p;
}

Result<ExportInfo> parse_export_id(std::string_view id)
{
	ExportInfo e;
	std::string p(id);
	if (auto at = p.rfind('@'); at != std::string::npos) {
		e.session = p.substr(at + 1);
		p.resize(at);
		if (auto r = validate_session_name(e.session); !r)
			return std::move(r).error();
	}
	std::replace(p.begin(), p.end(), '!', '/');
	auto path = normalize_device_path(p);
	if (!path)
		return make_error(Errc::invalid_argument,
				  "invalid export id '" + std::string(id) + "': " + path.error().message);
	e.device_path = *path;
	return e;
}

// --- tables ---------------------------------------------------------------------

std::vector<std::vector<std::string>> split_table(std::string_view text)
{
	std::vector<std::vector<std::string>> rows;
	std::size_t i = 0;
	while (i < text.size()) {
		std::size_t e = text.find('\n', i);
		if (e == std::string_view::npos)
			e = text.size();
		std::string_view line = text.substr(i, e - i);
		std::vector<std::string> fields;
		std::size_t k = 0;
		while (k < line.size()) {
			while (k < line.size() && (line[k] == ' ' || line[k] == '\t'))
				k++;
			std::size_t s = k;
			while (k < line.size() && line[k] != ' ' && line[k] != '\t')
				k++;
			if (k > s)
				fields.emplace_back(line.substr(s, k - s));
		}
		if (!fields.empty())
			rows.push_back(std::move(fields));
		i = e + 1;
	}
	return rows;
}

Result<std::vector<ExportInfo>> parse_exports(std::string_view text)
{
	std::vector<ExportInfo> out;
	for (const auto &f : split_table(text)) {
		std::optional<std::string_view> sess, mode;
		if (f.size() == 3) {
			sess = field_value(f[1], "sessname");
			mode = field_value(f[2], "access_mode");
		}
		if (!sess || !mode || (*mode != "ro" && *mode != "rw"))
			return bad_table("the server's exports", join_fields(f));
		out.push_back({f[0], *sess == "*" ? std::string() : std::string(*sess), *mode == "ro"});
	}
	return out;
}

Result<std::vector<ServerSession>> parse_server_sessions(std::string_view text)
{
	std::vector<ServerSession> out;
	for (const auto &f : split_table(text)) {
		ServerSession s;
		std::optional<std::string_view> p, d;
		if (f.size() == 3 || (f.size() == 4 && f[3] == "closing")) {
			p = field_value(f[1], "paths");
			d = field_value(f[2], "devices");
		}
		if (!p || !d || !parse_uint(*p, s.path_count) || !parse_uint(*d, s.device_count))
			return bad_table("the server's sessions", join_fields(f));
		s.name = f[0];
		s.closing = f.size() == 4;
		out.push_back(std::move(s));
	}
	return out;
}

Result<void> parse_server_paths(std::string_view text, std::vector<ServerSession> &sessions)
{
	for (const auto &f : split_table(text)) {
		ServerPath p;
		bool good = f.size() == 6;
		if (good) {
			auto io = field_value(f[3], "io_cons");
			auto qd = field_value(f[4], "queue_depth");
			auto mx = field_value(f[5], "max_io_size");
			good = io && qd && mx && parse_uint(*io, p.io_cons) &&
			       parse_uint(*qd, p.queue_depth) && parse_uint(*mx, p.max_io_size);
		}
		if (!good)
			return bad_table("the server's paths", join_fields(f));
		p.client_address = f[1];
		p.state = f[2];
		auto it = std::find_if(sessions.begin(), sessions.end(),
				       [&](const ServerSession &s) { return s.name == f[0]; });
		if (it == sessions.end()) {
			// A session that appeared between the two reads.
			ServerSession s;
			s.name = f[0];
			sessions.push_back(std::move(s));
			it = sessions.end() - 1;
		}
		it->paths.push_back(std::move(p));
	}
	return ok();
}

Result<std::vector<Mapping>> parse_mappings(std::string_view text)
{
	std::vector<Mapping> out;
	for (const auto &f : split_table(text)) {
		if (f.size() != 5 || !validate_mapping_name(f[0]))
			return bad_table("the client's devices", join_fields(f));
		out.push_back({f[0], "/dev/" + f[0], f[1], f[2], f[3], f[4]});
	}
	return out;
}

Result<std::vector<ClientPath>> parse_client_paths(std::string_view text)
{
	std::vector<ClientPath> out;
	for (const auto &f : split_table(text)) {
		ClientPath p;
		// Seven fields, then optional key=value ones (mr_writes, polled, bounce_reads,
		// and whatever later modules add): read those that are known.
		bool good = f.size() >= 7 && parse_uint(f[0], p.index);
		if (good) {
			auto a = field_value(f[3], "inflight");
			auto b = field_value(f[4], "requests");
			auto c = field_value(f[5], "errors");
			auto d = field_value(f[6], "reconnects");
			good = a && b && c && d && parse_uint(*a, p.inflight) &&
			       parse_uint(*b, p.requests) && parse_uint(*c, p.errors) &&
			       parse_uint(*d, p.reconnects);
			for (std::size_t i = 7; good && i < f.size(); i++) {
				auto eq = f[i].find('=');
				good = eq != std::string::npos && eq > 0;
				auto key = std::string_view(f[i]).substr(0, eq);
				auto val = std::string_view(f[i]).substr(eq + 1);
				if (good && key == "mr_writes")
					good = parse_uint(val, p.mr_writes);
				else if (good && key == "polled")
					good = parse_uint(val, p.polled);
				else if (good && key == "bounce_reads")
					good = parse_uint(val, p.bounce_reads);
			}
		}
		if (!good)
			return bad_table("a client session's paths", join_fields(f));
		p.address = f[1];
		p.state = f[2];
		out.push_back(std::move(p));
	}
	return out;
}

// --- commands ----------------------------------------------------------------------

std::string export_command(const ExportSpec &spec)
{
	std::string s = "device_path=" + spec.device_path;
	if (!spec.session.empty())
		s += " sessname=" + spec.session;
	if (spec.read_only)
		s += " access_mode=ro";
	return s;
}

std::string unexport_command(std::string_view device_path, std::string_view session)
{
	std::string s = "device_path=" + std::string(device_path);
	if (!session.empty())
		s += " sessname=" + std::string(session);
	return s;
}

std::string map_command(const MapSpec &spec)
{
	std::string s = "sessname=" + spec.session;
	for (const PathSpec &p : spec.paths)
		s += " path=" + p.str();
	s += " device_path=" + spec.device_path;
	s += " access_mode=" + std::string(to_string(spec.access));
	if (spec.port)
		s += " dest_port=" + std::to_string(*spec.port);
	if (spec.poll_queues)
		s += " nr_poll_queues=" + std::to_string(*spec.poll_queues);
	return s;
}

Result<void> validate(const ExportSpec &spec)
{
	if (auto r = validate_device_path(spec.device_path); !r)
		return r;
	if (!spec.session.empty())
		if (auto r = validate_session_name(spec.session); !r)
			return r;
	return ok();
}

Result<void> validate(const MapSpec &spec)
{
	if (auto r = validate_session_name(spec.session); !r)
		return r;
	if (spec.paths.empty())
		return invalid("a mapping needs at least one path (--path ip:ADDR)");
	if (spec.paths.size() > kMaxPaths)
		return invalid("a session has at most " + std::to_string(kMaxPaths) + " paths, not " +
			       std::to_string(spec.paths.size()));
	for (std::size_t i = 0; i < spec.paths.size(); i++) {
		if (spec.paths[i].server.empty())
			return invalid("path " + std::to_string(i + 1) + " has no server address");
		for (std::size_t j = 0; j < i; j++)
			if (spec.paths[j] == spec.paths[i])
				return invalid("path " + spec.paths[i].str() + " is given twice");
	}
	if (auto r = validate_device_path(spec.device_path, "server device path"); !r)
		return r;
	if (spec.port && *spec.port == 0)
		return invalid("invalid port 0: expected 1..65535");
	if (spec.poll_queues && *spec.poll_queues > kMaxPollQueues)
		return invalid("invalid number of poll queues " + std::to_string(*spec.poll_queues) +
			       ": expected 0.." + std::to_string(kMaxPollQueues) + " (and at most the CPUs)");
	return ok();
}

Error write_error(std::string_view op, int err, std::string_view subject)
{
	const std::string what = std::string(op) + " " + std::string(subject);
	const std::string why = std::strerror(err);
	switch (err) {
	case EBUSY:
		if (op == "unmap")
			return Error{Errc::busy, err, what + ": the device is in use (open or mounted); "
					      "--force unmaps it anyway"};
		return Error{Errc::busy, err, what + ": " + why +
				      " (the access mode conflicts with another mapping)"};
	case ENOENT:
		return Error{Errc::not_found, err, what + ": no such device or export"};
	case EEXIST:
		return Error{Errc::exists, err, what + ": already exists"};
	case EACCES:
		if (op == "map")
			return Error{Errc::not_found, err, what + ": the server does not export this "
					      "device to the session, or it does not exist"};
		return Error{Errc::permission_denied, err, what + ": " + why};
	case EROFS:
		return Error{Errc::invalid_argument, err, what + ": the export is read-only (use --access ro)"};
	case EINVAL:
		return Error{Errc::invalid_argument, err, what + ": the kernel refused the arguments (" +
				      why + ")"};
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ETIMEDOUT:
	case EADDRNOTAVAIL:
		return Error{Errc::kernel_failure, err, what + ": cannot connect to the server: " + why};
	default:
		return Error{errc_from_errno(err), err, what + ": " + why};
	}
}

// --- the manager ----------------------------------------------------------------------

Manager::Manager(std::string sysfs_root) : root_(std::move(sysfs_root)) {}

namespace {

bool is_dir(const std::string &p)
{
	struct stat st {};
	return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

bool Manager::server_loaded() const
{
	return is_dir(root_ + "/" + std::string(kServerCtl));
}

bool Manager::client_loaded() const
{
	return is_dir(root_ + "/" + std::string(kClientCtl));
}

Result<void> Manager::need_server() const
{
	if (server_loaded())
		return ok();
	return Error{Errc::unsupported, ENOENT,
		     "the RNBD server module " + std::string(kServerModule) + " is not loaded (no " +
		     root_ + "/" + std::string(kServerCtl) + ")"};
}

Result<void> Manager::need_client() const
{
	if (client_loaded())
		return ok();
	return Error{Errc::unsupported, ENOENT,
		     "the RNBD client module " + std::string(kClientModule) + " is not loaded (no " +
		     root_ + "/" + std::string(kClientCtl) + ")"};
}

Result<std::string> Manager::read(const std::string &rel) const
{
	const std::string p = root_ + "/" + rel;
	auto fd = UniqueFd::open(p.c_str(), O_RDONLY);
	if (!fd)
		return std::move(fd).error();
	return read_to_end(fd->get(), p);
}

Result<void> Manager::write(const std::string &rel, const std::string &line, std::string_view op,
			    std::string_view subject) const
{
	const std::string p = root_ + "/" + rel;
	auto fd = UniqueFd::open(p.c_str(), O_WRONLY);
	if (!fd) {
		int err = fd.error().sys_errno;
		if (err == ENOENT)
			return Error{Errc::not_found, err, std::string(op) + " " + std::string(subject) +
					      ": " + p + " does not exist"};
		return std::move(fd).error();
	}
	const std::string data = line + "\n";
	ssize_t n;
	do
		n = ::write(fd->get(), data.data(), data.size());
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return write_error(op, errno, subject);
	if (static_cast<std::size_t>(n) != data.size())
		return make_error(Errc::kernel_failure, "short write to " + p);
	return ok();
}

Result<ExportInfo> Manager::export_device(const ExportSpec &spec) const
{
	if (auto r = validate(spec); !r)
		return std::move(r).error();
	if (auto r = need_server(); !r)
		return std::move(r).error();
	if (auto r = write(std::string(kServerCtl) + "/export", export_command(spec), "export",
			   spec.device_path);
	    !r)
		return std::move(r).error();
	return ExportInfo{spec.device_path, spec.session, spec.read_only};
}

Result<void> Manager::unexport_device(std::string_view device, std::string_view session) const
{
	auto path = normalize_device_path(device);
	if (!path)
		return std::move(path).error();
	if (!session.empty())
		if (auto r = validate_session_name(session); !r)
			return r;
	if (auto r = need_server(); !r)
		return r;
	auto r = write(std::string(kServerCtl) + "/unexport", unexport_command(*path, session),
		       "unexport", *path);
	if (!r && r.error().sys_errno == ENOENT)
		return Error{Errc::not_found, ENOENT,
			     *path + " is not exported" +
			     (session.empty() ? std::string(" to every session")
					      : " to session " + std::string(session))};
	return r;
}

Result<std::vector<ExportInfo>> Manager::exports() const
{
	if (auto r = need_server(); !r)
		return std::move(r).error();
	auto text = read(std::string(kServerCtl) + "/exports");
	if (!text)
		return std::move(text).error();
	return parse_exports(*text);
}

Result<std::vector<ServerSession>> Manager::server_sessions() const
{
	if (auto r = need_server(); !r)
		return std::move(r).error();
	auto text = read(std::string(kServerCtl) + "/sessions");
	if (!text)
		return std::move(text).error();
	auto sessions = parse_server_sessions(*text);
	if (!sessions)
		return sessions;
	auto paths = read(std::string(kServerCtl) + "/paths");
	if (!paths)
		return std::move(paths).error();
	if (auto r = parse_server_paths(*paths, *sessions); !r)
		return std::move(r).error();
	return sessions;
}

Result<Mapping> Manager::map(const MapSpec &spec) const
{
	if (auto r = validate(spec); !r)
		return std::move(r).error();
	if (auto r = need_client(); !r)
		return std::move(r).error();
	const std::string subject = spec.device_path + " (session " + spec.session + ")";
	if (auto r = write(std::string(kClientCtl) + "/map_device", map_command(spec), "map", subject);
	    !r)
		return std::move(r).error();
	auto all = mappings();
	if (!all)
		return std::move(all).error();
	for (const Mapping &m : *all)
		if (m.session == spec.session && m.device_path == spec.device_path)
			return m;
	return make_error(Errc::internal, "mapped " + subject + " but it is not in " + root_ + "/" +
					  std::string(kClientCtl) + "/devices");
}

Result<void> Manager::unmap(std::string_view name, bool force) const
{
	auto n = validate_mapping_name(name);
	if (!n)
		return std::move(n).error();
	if (auto r = need_client(); !r)
		return r;
	const std::string dir = "block/" + *n + "/stor-rnbd";
	if (!is_dir(root_ + "/" + dir))
		return Error{Errc::not_found, ENOENT, "no RNBD device " + *n};
	return write(dir + "/unmap_device", force ? "force" : "normal", "unmap", *n);
}

Result<std::vector<Mapping>> Manager::mappings() const
{
	if (auto r = need_client(); !r)
		return std::move(r).error();
	auto text = read(std::string(kClientCtl) + "/devices");
	if (!text)
		return std::move(text).error();
	return parse_mappings(*text);
}

Result<std::vector<ClientSession>> Manager::client_sessions() const
{
	if (auto r = need_client(); !r)
		return std::move(r).error();
	const std::string dir = root_ + "/" + std::string(kClientCtl) + "/sessions";
	std::vector<std::string> names;
	if (DIR *d = ::opendir(dir.c_str())) {
		while (dirent *e = ::readdir(d))
			if (e->d_name[0] != '.')
				names.emplace_back(e->d_name);
		::closedir(d);
	} else if (errno != ENOENT) {
		return errno_error(errno, "cannot list " + dir);
	}
	std::sort(names.begin(), names.end());
	std::vector<ClientSession> out;
	for (const std::string &name : names) {
		const std::string rel = std::string(kClientCtl) + "/sessions/" + name;
		ClientSession s;
		s.name = name;
		auto state = read(rel + "/state");
		auto paths = state ? read(rel + "/paths") : Result<std::string>(state.error());
		auto devices = paths ? read(rel + "/devices") : Result<std::string>(paths.error());
		if (!devices) {
			if (devices.error().sys_errno == ENOENT)
				continue;  // the session went away meanwhile
			return std::move(devices).error();
		}
		auto rows = split_table(*state);
		s.state = rows.empty() || rows[0].empty() ? "" : rows[0][0];
		auto p = parse_client_paths(*paths);
		if (!p)
			return std::move(p).error();
		s.paths = std::move(*p);
		for (const auto &f : split_table(*devices))
			s.devices.push_back(f[0]);
		out.push_back(std::move(s));
	}
	return out;
}

} // namespace storctl::rnbd
