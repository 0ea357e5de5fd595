// SPDX-License-Identifier: MIT
//
// nvmet::Manager: ports, exports and allowed hosts in the nvmet configfs
// tree, every multi-step change as a transaction (see nvmet.hpp).
#include <storctl/nvmet.hpp>

#include <algorithm>
#include <cstdlib>

#include <storctl/ramdisk.hpp>

namespace storctl::nvmet {

namespace {

std::string subsys_dir(const std::string &nqn) { return "subsystems/" + nqn; }
std::string ns_dir(const std::string &nqn, std::uint32_t nsid)
{
	return subsys_dir(nqn) + "/namespaces/" + std::to_string(nsid);
}
std::string port_dir(std::uint16_t id) { return "ports/" + std::to_string(id); }
std::string host_dir(const std::string &host) { return "hosts/" + host; }

std::string trim(std::string s)
{
	while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t'))
		s.pop_back();
	return s;
}

// "tcp 127.0.0.1:4420", "tcp [fd00::1]:4420", "loop".
std::string describe_port(const PortInfo &p)
{
	std::string s = p.transport.empty() ? std::string("(no transport)") : p.transport;
	if (!p.address.empty()) {
		s += " ";
		s += p.family == "ipv6" ? "[" + p.address + "]" : p.address;
		if (!p.service.empty())
			s += ":" + p.service;
	}
	return s;
}

std::string join_list(const std::vector<std::string> &v)
{
	std::string s;
	for (std::size_t i = 0; i < v.size(); i++)
		s += (i ? ", " : "") + v[i];
	return s;
}

template <typename T>
void sort_unique(std::vector<T> &v)
{
	std::sort(v.begin(), v.end());
	v.erase(std::unique(v.begin(), v.end()), v.end());
}

bool contains(const auto &v, const auto &x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Re-classify a configfs error by its errno, with a message that says what
// storctl was doing.
Error step_error(const Error &e, const std::string &what)
{
	const int err = e.sys_errno;
	Errc code = err ? errc_from_errno(err) : e.code;
	std::string detail = e.message;
	switch (err) {
	case EADDRNOTAVAIL:
		code = Errc::invalid_argument;
		detail = "the address is not configured on this machine";
		break;
	case EADDRINUSE:
		code = Errc::busy;
		detail = "the address and service are already in use";
		break;
	default:
		break;
	}
	return Error{code, err, what + ": " + detail};
}

} // namespace

// --- the transaction ---------------------------------------------------------------

// Records every change; rollback() undoes them in reverse order.
class Manager::Txn {
public:
	explicit Txn(ConfigFs &fs) : fs_(fs) {}
	Txn(const Txn &) = delete;
	Txn &operator=(const Txn &) = delete;

	Result<void> mkdir(const std::string &path)
	{
		if (auto r = fs_.mkdir(path); !r)
			return r;
		undo_.push_back({Undo::rmdir, path, {}, {}});
		created_.push_back(path);
		return ok();
	}

	// rmdir, restoring @attrs (written in order) after a re-mkdir on undo.
	Result<void> rmdir(const std::string &path,
			   std::vector<std::pair<std::string, std::string>> attrs = {})
	{
		if (auto r = fs_.rmdir(path); !r)
			return r;
		undo_.push_back({Undo::mkdir, path, {}, std::move(attrs)});
		return ok();
	}

	Result<void> symlink(const std::string &target, const std::string &link)
	{
		if (auto r = fs_.symlink(target, link); !r)
			return r;
		undo_.push_back({Undo::unlink, link, {}, {}});
		return ok();
	}

	Result<void> unlink(const std::string &link)
	{
		auto target = fs_.readlink(link);
		if (!target)
			return std::move(target).error();
		if (auto r = fs_.unlink(link); !r)
			return r;
		undo_.push_back({Undo::symlink, link, *target, {}});
		return ok();
	}

	// Write an attribute; the old value is written back on undo, except
	// inside a directory this transaction created (its rmdir undoes it).
	Result<void> write(const std::string &path, const std::string &value)
	{
		if (in_created(path))
			return fs_.write(path, value);
		auto old = fs_.read(path);
		if (!old)
			return std::move(old).error();
		if (auto r = fs_.write(path, value); !r)
			return r;
		undo_.push_back({Undo::write, path, *old, {}});
		return ok();
	}

	// Write an attribute whose undo is writing @undo_value.
	Result<void> write_undo(const std::string &path, const std::string &value,
				const std::string &undo_value)
	{
		if (auto r = fs_.write(path, value); !r)
			return r;
		undo_.push_back({Undo::write, path, undo_value, {}});
		return ok();
	}

	// Undo everything; @e is the error that caused it.  The message says
	// whether configfs is back to its old state.
	Error rollback(Error e)
	{
		std::vector<std::string> problems;
		for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
			Result<void> r = ok();
			switch (it->op) {
			case Undo::rmdir:
				r = fs_.rmdir(it->path);
				break;
			case Undo::mkdir:
				r = fs_.mkdir(it->path);
				for (const auto &[attr, value] : it->attrs) {
					if (!r)
						break;
					auto w = fs_.write(it->path + "/" + attr, value);
					if (!w)
						problems.push_back(w.error().message);
				}
				break;
			case Undo::unlink:
				r = fs_.unlink(it->path);
				break;
			case Undo::symlink:
				r = fs_.symlink(it->value, it->path);
				break;
			case Undo::write:
				r = fs_.write(it->path, it->value);
				break;
			}
			if (!r)
				problems.push_back(r.error().message);
		}
		undo_.clear();
		if (problems.empty()) {
			if (!e.message.empty())
				e.message += " (nothing was changed)";
		} else {
			e.message += "; rolling back failed too, configfs may be left half-configured: " +
				     join_list(problems);
		}
		return e;
	}

	void commit() { undo_.clear(); }

private:
	bool in_created(const std::string &path) const
	{
		for (const auto &d : created_)
			if (path.starts_with(d + "/"))
				return true;
		return false;
	}

	struct Undo {
		enum Op { rmdir, mkdir, unlink, symlink, write } op;
		std::string path;
		std::string value;  // symlink: target; write: value
		std::vector<std::pair<std::string, std::string>> attrs;  // mkdir
	};

	ConfigFs &fs_;
	std::vector<Undo> undo_;
	std::vector<std::string> created_;
};

// --- manager -----------------------------------------------------------------------

Manager::Manager(std::unique_ptr<ConfigFs> fs, std::unique_ptr<System> sys, bool autoload)
	: fs_(std::move(fs)), sys_(std::move(sys)), autoload_(autoload)
{
}

Manager Manager::make_default()
{
	const char *env = std::getenv(kEnvRoot);
	std::string root = env && *env ? std::string(env) : std::string(kDefaultRoot);
	bool autoload = root == kDefaultRoot;
	return Manager(make_configfs(std::move(root)), make_system(), autoload);
}

Result<void> Manager::ensure_nvmet()
{
	auto loaded = [&] { return fs_->is_dir("") && fs_->is_dir("subsystems"); };
	if (loaded())
		return ok();
	if (autoload_) {
		if (auto r = sys_->ensure_configfs(); !r)
			return r;
		if (auto r = sys_->load_module("nvmet"); !r) {
			Error e = std::move(r).error();
			if (e.code == Errc::unsupported)
				e.message = "the NVMe target (module nvmet) is not available in kernel " +
					    sys_->kernel_release() + ": " + e.message;
			return e;
		}
		if (loaded())
			return ok();
	}
	return make_error(Errc::unsupported,
			  "the NVMe target is not available: " + fs_->root() +
			  " does not exist (is the nvmet module loaded and configfs mounted?)");
}

Result<void> Manager::ensure_transport(std::string_view transport)
{
	if (!autoload_)
		return ok();
	auto t = parse_transport(transport);
	if (!t)
		return ok();  // a port storctl did not make (fc...): the kernel loads what it needs
	const std::string module(transport_module(*t));
	auto r = sys_->load_module(module);
	if (r)
		return r;
	Error e = std::move(r).error();
	if (e.code == Errc::unsupported)
		e.message = "transport " + std::string(transport) +
			    " is not supported by this kernel (" + sys_->kernel_release() +
			    "): module " + module + " is not available (" + e.message + ")";
	else
		e.message = "cannot load module " + module + " for transport " +
			    std::string(transport) + ": " + e.message;
	return e;
}

Result<std::string> Manager::resolve_volume_path(std::string_view volume)
{
	if (volume.empty())
		return make_error(Errc::invalid_argument, "no volume given");
	if (volume.front() == '/')
		return std::string(volume);
	if (volume.find('/') != std::string_view::npos || volume == "." || volume == "..")
		return make_error(Errc::invalid_argument,
				  "invalid volume '" + std::string(volume) +
				  "': expected a block device path, srd<N> or a device-mapper name");
	if (auto idx = validate_ramdisk_name(volume))
		return ramdisk_path(*idx);
	const std::string mapper = "/dev/mapper/" + std::string(volume);
	if (sys_->devno(mapper))
		return mapper;
	return "/dev/" + std::string(volume);
}

bool Manager::same_device(const std::string &a, const std::string &b)
{
	if (a == b)
		return true;
	auto da = sys_->devno(a);
	return da && da == sys_->devno(b);
}

Result<PortInfo> Manager::read_port(const std::string &id)
{
	PortInfo p;
	auto n = parse_port_id(id);
	if (!n) {
		// A port someone else made with an id outside storctl's range.
		unsigned long v = 0;
		try {
			v = std::stoul(id);
		} catch (...) {
			return make_error(Errc::internal, "unexpected port directory '" + id + "'");
		}
		p.id = static_cast<std::uint16_t>(v);
	} else {
		p.id = *n;
	}
	const std::string dir = "ports/" + id;
	auto attr = [&](const char *name) -> std::string {
		auto v = fs_->read(dir + "/" + name);
		return v ? trim(*v) : std::string();
	};
	p.transport = attr("addr_trtype");
	p.family = attr("addr_adrfam");
	p.address = attr("addr_traddr");
	p.service = attr("addr_trsvcid");
	auto subs = fs_->list(dir + "/subsystems");
	if (subs)
		p.subsystems = *subs;
	return p;
}

Result<std::vector<PortInfo>> Manager::ports()
{
	std::vector<PortInfo> out;
	if (!fs_->is_dir("ports"))
		return out;
	auto names = fs_->list("ports");
	if (!names)
		return std::move(names).error();
	for (const auto &n : *names) {
		if (!fs_->is_dir("ports/" + n))
			continue;
		auto p = read_port(n);
		if (!p)
			continue;
		out.push_back(std::move(*p));
	}
	std::sort(out.begin(), out.end(),
		  [](const PortInfo &a, const PortInfo &b) { return a.id < b.id; });
	return out;
}

Result<PortInfo> Manager::port(std::uint16_t id)
{
	if (!fs_->is_dir(port_dir(id)))
		return make_error(Errc::not_found, "no NVMe-oF port " + std::to_string(id));
	return read_port(std::to_string(id));
}

Result<PortAddResult> Manager::add_port(const PortSpec &spec)
{
	PortInfo want;
	want.transport = std::string(to_string(spec.transport));
	if (spec.transport == Transport::loop) {
		if (spec.address || spec.interface)
			return make_error(Errc::invalid_argument,
					  "a loop port takes no --address or --interface");
		if (spec.service)
			return make_error(Errc::invalid_argument, "a loop port takes no --service");
	} else {
		if (spec.address && spec.interface)
			return make_error(Errc::invalid_argument,
					  "give either --address or --interface, not both");
		if (!spec.address && !spec.interface)
			return make_error(Errc::invalid_argument,
					  "a " + want.transport +
					  " port needs --address ADDR or --interface IF");
		IpAddress ip;
		if (spec.address) {
			auto a = parse_ip_address(*spec.address);
			if (!a)
				return std::move(a).error();
			ip = *a;
		} else {
			auto addrs = sys_->interface_addresses(*spec.interface);
			if (!addrs)
				return std::move(addrs).error();
			if (addrs->empty())
				return make_error(Errc::not_found,
						  "network interface '" + *spec.interface +
						  "' has no usable IPv4 or IPv6 address");
			ip = addrs->front();
		}
		want.family = ip.family;
		want.address = ip.address;
		want.service = std::to_string(spec.service.value_or(kDefaultService));
	}
	if (spec.id && (*spec.id < kMinPortId || *spec.id > kMaxPortId))
		return make_error(Errc::invalid_argument,
				  "invalid port id " + std::to_string(*spec.id) +
				  ": expected a number from 1 to 65534");

	// The transport first: when its module is missing nothing is loaded
	// (loading it loads nvmet too).
	if (auto r = ensure_transport(want.transport); !r)
		return std::move(r).error();
	if (auto r = ensure_nvmet(); !r)
		return std::move(r).error();

	auto existing = ports();
	if (!existing)
		return std::move(existing).error();
	auto same = [&](const PortInfo &p) {
		if (p.transport != want.transport)
			return false;
		if (want.transport == "loop")
			return true;
		auto a = parse_ip_address(p.address);
		const std::string addr = a ? a->address : p.address;
		return addr == want.address && p.service == want.service;
	};
	const PortInfo *match = nullptr;
	for (const auto &p : *existing)
		if (same(p)) {
			match = &p;
			break;
		}

	std::uint16_t id = 0;
	if (spec.id) {
		id = *spec.id;
		for (const auto &p : *existing) {
			if (p.id != id)
				continue;
			if (same(p))
				return PortAddResult{p, false};
			return make_error(Errc::exists,
					  "port " + std::to_string(id) + " already exists with other settings (" +
					  describe_port(p) + ")");
		}
		if (match)
			return make_error(Errc::exists,
					  "port " + std::to_string(match->id) + " already listens on " +
					  describe_port(*match) + "; use it, or remove it first");
	} else {
		if (match)
			return PortAddResult{*match, false};
		id = kMinPortId;
		for (const auto &p : *existing) {
			if (p.id == id)
				id++;
			else if (p.id > id)
				break;
		}
		if (id > kMaxPortId || id < kMinPortId)
			return make_error(Errc::no_space, "no free port id left");
	}
	want.id = id;

	const std::string dir = port_dir(id);
	Txn txn(*fs_);
	auto step = [&](Result<void> r, const std::string &what) -> std::optional<Error> {
		if (r)
			return std::nullopt;
		return txn.rollback(step_error(r.error(), what));
	};
	const std::string what = "cannot create port " + std::to_string(id) + " (" + describe_port(want) + ")";
	if (auto e = step(txn.mkdir(dir), what))
		return *e;
	if (auto e = step(txn.write(dir + "/addr_trtype", want.transport), what))
		return *e;
	if (want.transport != "loop") {
		if (auto e = step(txn.write(dir + "/addr_adrfam", want.family), what))
			return *e;
		if (auto e = step(txn.write(dir + "/addr_traddr", want.address), what))
			return *e;
		if (auto e = step(txn.write(dir + "/addr_trsvcid", want.service), what))
			return *e;
	}
	txn.commit();
	auto info = port(id);
	if (!info)
		return std::move(info).error();
	return PortAddResult{*info, true};
}

Result<void> Manager::remove_port(std::uint16_t id)
{
	if (id < kMinPortId || id > kMaxPortId)
		return make_error(Errc::invalid_argument,
				  "invalid port id " + std::to_string(id) + ": expected a number from 1 to 65534");
	auto p = port(id);
	if (!p)
		return std::move(p).error();
	if (!p->subsystems.empty())
		return make_error(Errc::busy,
				  "port " + std::to_string(id) + " is used by " + join_list(p->subsystems) +
				  "; unexport first (storctl nvmet unexport VOLUME --port " +
				  std::to_string(id) + ")");
	if (auto r = fs_->rmdir(port_dir(id)); !r)
		return step_error(r.error(), "cannot remove port " + std::to_string(id));
	return ok();
}

Result<ExportInfo> Manager::read_export(const std::string &nqn)
{
	const std::string dir = subsys_dir(nqn);
	if (!fs_->is_dir(dir))
		return make_error(Errc::not_found, "no export " + nqn);
	ExportInfo e;
	e.nqn = nqn;
	auto attr = [&](const std::string &path) -> std::string {
		auto v = fs_->read(path);
		return v ? trim(*v) : std::string();
	};
	e.allow_any_host = attr(dir + "/attr_allow_any_host") == "1";
	e.serial = attr(dir + "/attr_serial");
	e.model = attr(dir + "/attr_model");
	e.managed = e.serial.starts_with(kSerialPrefix);
	if (auto names = fs_->list(dir + "/namespaces")) {
		for (const auto &n : *names) {
			NamespaceInfo ns;
			try {
				ns.nsid = static_cast<std::uint32_t>(std::stoul(n));
			} catch (...) {
				continue;
			}
			const std::string nd = dir + "/namespaces/" + n;
			ns.device_path = attr(nd + "/device_path");
			if (ns.device_path == "(null)")
				ns.device_path.clear();
			ns.uuid = attr(nd + "/device_uuid");
			ns.nguid = attr(nd + "/device_nguid");
			ns.enabled = attr(nd + "/enable") == "1";
			e.namespaces.push_back(std::move(ns));
		}
	}
	std::sort(e.namespaces.begin(), e.namespaces.end(),
		  [](const NamespaceInfo &a, const NamespaceInfo &b) { return a.nsid < b.nsid; });
	if (!e.namespaces.empty())
		e.volume = e.namespaces.front().device_path;
	if (auto hosts = fs_->list(dir + "/allowed_hosts"))
		e.hosts = *hosts;
	if (auto ps = ports())
		for (const auto &p : *ps)
			if (contains(p.subsystems, nqn))
				e.ports.push_back(p.id);
	return e;
}

Result<std::vector<ExportInfo>> Manager::exports()
{
	std::vector<ExportInfo> out;
	if (!fs_->is_dir("subsystems"))
		return out;
	auto names = fs_->list("subsystems");
	if (!names)
		return std::move(names).error();
	for (const auto &n : *names) {
		if (!fs_->is_dir(subsys_dir(n)))
			continue;
		auto e = read_export(n);
		if (e)
			out.push_back(std::move(*e));
	}
	return out;
}

std::vector<std::string> Manager::exports_using(const std::string &device_path)
{
	std::vector<std::string> out;
	auto all = exports();
	if (!all)
		return out;
	for (const auto &e : *all)
		for (const auto &ns : e.namespaces)
			if (!ns.device_path.empty() && same_device(ns.device_path, device_path)) {
				out.push_back(e.nqn);
				break;
			}
	return out;
}

Result<ExportInfo> Manager::find_export(std::string_view volume_or_nqn)
{
	if (volume_or_nqn.starts_with("nqn.")) {
		const std::string nqn(volume_or_nqn);
		if (auto r = validate_nqn(nqn); !r)
			return std::move(r).error();
		return read_export(nqn);
	}
	auto path = resolve_volume_path(volume_or_nqn);
	if (!path)
		return std::move(path).error();
	auto nqns = exports_using(*path);
	if (nqns.empty())
		return make_error(Errc::not_found, *path + " is not exported");
	return read_export(nqns.front());
}

std::vector<std::string> Manager::users_of_host(const std::string &host)
{
	std::vector<std::string> users;
	auto subs = fs_->list("subsystems");
	if (!subs)
		return users;
	for (const auto &s : *subs) {
		const std::string dir = subsys_dir(s) + "/allowed_hosts";
		auto links = fs_->list(dir);
		if (!links)
			continue;
		for (const auto &l : *links) {
			auto t = fs_->readlink(dir + "/" + l);
			if ((t && *t == host_dir(host)) || (!t && l == host)) {
				users.push_back(s);
				break;
			}
		}
	}
	return users;
}

Result<ExportResult> Manager::export_volume(const ExportSpec &spec)
{
	// Everything that needs no kernel first.
	std::vector<std::string> hosts = spec.hosts;
	sort_unique(hosts);
	for (const auto &h : hosts)
		if (auto r = validate_nqn(h, "host NQN"); !r)
			return std::move(r).error();
	std::vector<std::uint16_t> port_ids = spec.ports;
	sort_unique(port_ids);
	for (auto id : port_ids)
		if (id < kMinPortId || id > kMaxPortId)
			return make_error(Errc::invalid_argument,
					  "invalid port id " + std::to_string(id) +
					  ": expected a number from 1 to 65534");
	if (spec.allow_any_host && !hosts.empty())
		return make_error(Errc::invalid_argument,
				  "--allow-any-host and --host exclude each other: an export either "
				  "lists its hosts or allows any host");
	if (spec.nqn)
		if (auto r = validate_subsystem_nqn(*spec.nqn); !r)
			return std::move(r).error();
	auto path = resolve_volume_path(spec.volume);
	if (!path)
		return std::move(path).error();
	auto volume = sys_->probe_volume(*path);
	if (!volume)
		return std::move(volume).error();
	const std::string nqn = spec.nqn ? *spec.nqn : default_nqn(sys_->hostname(), *path);
	if (auto r = validate_subsystem_nqn(nqn); !r)
		return std::move(r).error();

	if (auto r = ensure_nvmet(); !r)
		return std::move(r).error();

	// The export this volume already has, if any.
	std::optional<ExportInfo> current;
	for (const auto &n : exports_using(*path)) {
		auto e = read_export(n);
		if (!e)
			return std::move(e).error();
		if (n != nqn)
			return make_error(Errc::exists,
					  *path + " is already exported as " + n + "; change that export (storctl nvmet export " + *path +
					  " --nqn " + n + " ...) or unexport it first");
		current = std::move(*e);
	}
	if (!current && fs_->exists(subsys_dir(nqn))) {
		auto e = read_export(nqn);
		return make_error(Errc::exists,
				  "NQN " + nqn + " is already used by the export of " +
				  (e && !e->volume.empty() ? e->volume : std::string("another volume")));
	}
	if (!current && !spec.allow_any_host && hosts.empty())
		return make_error(Errc::invalid_argument,
				  "access is denied by default: give at least one --host NQN, or "
				  "--allow-any-host to let every host connect");

	// Ports: given, or the only one there is (new exports).
	auto all_ports = ports();
	if (!all_ports)
		return std::move(all_ports).error();
	if (port_ids.empty() && !current) {
		if (all_ports->empty())
			return make_error(Errc::not_found,
					  "there is no NVMe-oF port to export on: create one with "
					  "'storctl nvmet port add'");
		if (all_ports->size() > 1) {
			std::vector<std::string> ids;
			for (const auto &p : *all_ports)
				ids.push_back(std::to_string(p.id));
			return make_error(Errc::invalid_argument,
					  "several ports exist (" + join_list(ids) +
					  "): choose with --port ID");
		}
		port_ids.push_back(all_ports->front().id);
	}
	std::vector<PortInfo> use_ports;
	for (auto id : port_ids) {
		auto it = std::find_if(all_ports->begin(), all_ports->end(),
				       [&](const PortInfo &p) { return p.id == id; });
		if (it == all_ports->end())
			return make_error(Errc::not_found,
					  "no NVMe-oF port " + std::to_string(id) +
					  " (create it with 'storctl nvmet port add')");
		if (!current || !contains(current->ports, id))
			use_ports.push_back(*it);
	}

	// Access changes on an existing export.
	std::vector<std::string> new_hosts;
	bool set_any_host = spec.allow_any_host;
	if (current) {
		if (spec.allow_any_host && !current->hosts.empty())
			return make_error(Errc::invalid_argument,
					  nqn + " lists allowed hosts (" + join_list(current->hosts) +
					  "): remove them first (storctl nvmet unexport " + *path +
					  " --host NQN...) to allow any host");
		if (!hosts.empty() && current->allow_any_host)
			return make_error(Errc::invalid_argument,
					  nqn + " allows any host: withdraw that first (storctl nvmet "
					  "unexport " + *path + " --allow-any-host) to list hosts");
		if (current->allow_any_host)
			set_any_host = false;
		for (const auto &h : hosts)
			if (!contains(current->hosts, h))
				new_hosts.push_back(h);
	} else {
		new_hosts = hosts;
	}

	for (const auto &p : use_ports)
		if (auto r = ensure_transport(p.transport); !r)
			return std::move(r).error();

	Txn txn(*fs_);
	auto fail = [&](const Result<void> &r, const std::string &what) {
		return txn.rollback(step_error(r.error(), what));
	};
	const std::string sdir = subsys_dir(nqn);
	for (const auto &h : new_hosts)
		if (!fs_->exists(host_dir(h)))
			if (auto r = txn.mkdir(host_dir(h)); !r)
				return fail(r, "cannot create host entry " + h);
	if (!current) {
		const std::string what = "cannot create subsystem " + nqn;
		if (auto r = txn.mkdir(sdir); !r)
			return fail(r, what);
		if (auto r = txn.write(sdir + "/attr_serial", subsystem_serial(nqn)); !r)
			return fail(r, what);
		if (fs_->exists(sdir + "/attr_model"))
			if (auto r = txn.write(sdir + "/attr_model", subsystem_model(*path)); !r)
				return fail(r, what);
		const std::string nd = ns_dir(nqn, kExportNsid);
		const std::string nswhat = "cannot add " + *path + " as namespace 1 of " + nqn;
		const NamespaceIds ids = namespace_ids(nqn, *path);
		if (auto r = txn.mkdir(nd); !r)
			return fail(r, nswhat);
		if (auto r = txn.write(nd + "/device_path", *path); !r)
			return fail(r, nswhat);
		if (auto r = txn.write(nd + "/device_uuid", ids.uuid); !r)
			return fail(r, nswhat);
		if (auto r = txn.write(nd + "/device_nguid", ids.nguid); !r)
			return fail(r, nswhat);
		if (auto r = txn.write(nd + "/enable", "1"); !r)
			return fail(r, "cannot enable namespace 1 (" + *path + ") of " + nqn);
	}
	if (set_any_host)
		if (auto r = txn.write(sdir + "/attr_allow_any_host", "1"); !r)
			return fail(r, "cannot allow any host on " + nqn);
	for (const auto &h : new_hosts)
		if (auto r = txn.symlink(host_dir(h), sdir + "/allowed_hosts/" + h); !r)
			return fail(r, "cannot allow host " + h + " on " + nqn);
	for (const auto &p : use_ports)
		if (auto r = txn.symlink(sdir, port_dir(p.id) + "/subsystems/" + nqn); !r)
			return fail(r, "cannot export " + nqn + " on port " + std::to_string(p.id) + " (" +
					       describe_port(p) + ")");
	txn.commit();

	auto info = read_export(nqn);
	if (!info)
		return std::move(info).error();
	return ExportResult{std::move(*info), !current};
}

Result<UnexportResult> Manager::unexport(const UnexportSpec &spec)
{
	std::vector<std::string> hosts = spec.hosts;
	sort_unique(hosts);
	for (const auto &h : hosts)
		if (auto r = validate_nqn(h, "host NQN"); !r)
			return std::move(r).error();
	std::vector<std::uint16_t> port_ids = spec.ports;
	sort_unique(port_ids);
	for (auto id : port_ids)
		if (id < kMinPortId || id > kMaxPortId)
			return make_error(Errc::invalid_argument,
					  "invalid port id " + std::to_string(id) +
					  ": expected a number from 1 to 65534");
	auto found = find_export(spec.volume);
	if (!found)
		return std::move(found).error();
	const ExportInfo &e = *found;
	const std::string sdir = subsys_dir(e.nqn);

	UnexportResult res;
	res.nqn = e.nqn;
	res.volume = e.volume;
	const bool partial = !hosts.empty() || !port_ids.empty() || spec.allow_any_host;
	Txn txn(*fs_);
	auto fail = [&](const Result<void> &r, const std::string &what) {
		return txn.rollback(step_error(r.error(), what));
	};

	if (partial) {
		for (const auto &h : hosts)
			if (!contains(e.hosts, h))
				return make_error(Errc::not_found,
						  "host " + h + " is not allowed on " + e.nqn +
						  (e.hosts.empty() ? std::string(" (it lists no host)")
								   : " (allowed: " + join_list(e.hosts) + ")"));
		for (auto id : port_ids)
			if (!contains(e.ports, id))
				return make_error(Errc::not_found,
						  e.nqn + " is not exported on port " + std::to_string(id));
		if (spec.allow_any_host && !e.allow_any_host)
			return make_error(Errc::invalid_argument, e.nqn + " does not allow any host");

		for (auto id : port_ids) {
			if (auto r = txn.unlink(port_dir(id) + "/subsystems/" + e.nqn); !r)
				return fail(r, "cannot unexport " + e.nqn + " from port " + std::to_string(id));
			res.ports_removed.push_back(id);
		}
		for (const auto &h : hosts) {
			if (auto r = txn.unlink(sdir + "/allowed_hosts/" + h); !r)
				return fail(r, "cannot remove host " + h + " from " + e.nqn);
			res.hosts_removed.push_back(h);
		}
		if (spec.allow_any_host) {
			if (auto r = txn.write(sdir + "/attr_allow_any_host", "0"); !r)
				return fail(r, "cannot withdraw allow_any_host from " + e.nqn);
			res.any_host_revoked = true;
		}
	} else {
		// The kernel's order: ports, namespaces, hosts, subsystem.
		for (auto id : e.ports)
			if (auto r = txn.unlink(port_dir(id) + "/subsystems/" + e.nqn); !r)
				return fail(r, "cannot unexport " + e.nqn + " from port " + std::to_string(id));
		res.ports_removed = e.ports;
		for (const auto &ns : e.namespaces) {
			const std::string nd = ns_dir(e.nqn, ns.nsid);
			const std::string what = "cannot remove namespace " + std::to_string(ns.nsid) + " of " + e.nqn;
			if (ns.enabled)
				if (auto r = txn.write_undo(nd + "/enable", "0", "1"); !r)
					return fail(r, what);
			std::vector<std::pair<std::string, std::string>> attrs;
			for (const char *a : {"device_path", "device_uuid", "device_nguid", "buffered_io"}) {
				auto v = fs_->read(nd + "/" + a);
				if (v && *v != "(null)")
					attrs.emplace_back(a, trim(*v));
			}
			if (auto r = txn.rmdir(nd, std::move(attrs)); !r)
				return fail(r, what);
		}
		for (const auto &h : e.hosts) {
			if (auto r = txn.unlink(sdir + "/allowed_hosts/" + h); !r)
				return fail(r, "cannot remove host " + h + " from " + e.nqn);
		}
		res.hosts_removed = e.hosts;
		hosts = e.hosts;
		std::vector<std::pair<std::string, std::string>> attrs;
		for (const char *a : {"attr_allow_any_host", "attr_serial", "attr_model"}) {
			auto v = fs_->read(sdir + "/" + a);
			if (v)
				attrs.emplace_back(a, trim(*v));
		}
		if (auto r = txn.rmdir(sdir, std::move(attrs)); !r)
			return fail(r, "cannot remove subsystem " + e.nqn);
		res.removed = true;
	}
	// Host entries no subsystem lets in any more.
	for (const auto &h : hosts) {
		if (!fs_->is_dir(host_dir(h)) || !users_of_host(h).empty())
			continue;
		if (auto r = txn.rmdir(host_dir(h)); !r)
			return fail(r, "cannot remove host entry " + h);
		res.host_entries_removed.push_back(h);
	}
	txn.commit();
	return res;
}

Result<std::vector<std::string>> Manager::revalidate(const std::string &device_path)
{
	std::vector<std::string> touched;
	auto all = exports();
	if (!all)
		return std::move(all).error();
	for (const auto &e : *all) {
		for (const auto &ns : e.namespaces) {
			if (!ns.enabled || ns.device_path.empty() || !same_device(ns.device_path, device_path))
				continue;
			const std::string attr = ns_dir(e.nqn, ns.nsid) + "/revalidate_size";
			if (!fs_->exists(attr))
				continue;  // kernels without it re-read the size on identify
			if (auto r = fs_->write(attr, "1"); !r)
				return step_error(r.error(), "cannot revalidate the size of namespace " +
								     std::to_string(ns.nsid) + " of " + e.nqn);
			touched.push_back(e.nqn);
		}
	}
	return touched;
}

// --- hooks -------------------------------------------------------------------------

namespace {

Manager hook_manager()
{
	const char *env = std::getenv(kEnvRoot);
	std::string root = env && *env ? std::string(env) : std::string(kDefaultRoot);
	return Manager(make_configfs(std::move(root)), make_system(), false);
}

} // namespace

std::vector<std::string> exports_using(const std::string &device_path)
{
	return hook_manager().exports_using(device_path);
}

std::optional<Error> refuse_if_exported(const std::string &device_path, std::string_view action)
{
	auto nqns = exports_using(device_path);
	if (nqns.empty())
		return std::nullopt;
	std::string name = device_path;
	if (auto slash = name.rfind('/'); slash != std::string::npos)
		name = name.substr(slash + 1);
	return Error{Errc::busy, EBUSY,
		     "cannot " + std::string(action) + " " + name + ": it is exported over NVMe-oF as " +
		     join_list(nqns) + "; unexport it first (storctl nvmet unexport " + device_path +
		     ")"};
}

Result<void> revalidate_exports(const std::string &device_path)
{
	auto r = hook_manager().revalidate(device_path);
	if (!r)
		return std::move(r).error();
	return ok();
}

} // namespace storctl::nvmet
