// SPDX-License-Identifier: MIT
//
// NVMe-oF export of block devices through the kernel NVMe target (nvmet),
// configured in configfs (/sys/kernel/config/nvmet, docs/nvmet.md):
//
//   ports/<id>/                      a listener: addr_trtype, addr_adrfam,
//                                    addr_traddr, addr_trsvcid; subsystems/
//                                    holds links to the subsystems it serves
//   subsystems/<nqn>/                one per exported volume; namespaces/1/
//                                    is the volume, allowed_hosts/ links to
//                                    hosts/<host nqn>
//   hosts/<host nqn>/                shared by every subsystem allowing it
//
// Every change that takes more than one configfs operation runs as a
// transaction: each mkdir, symlink and attribute write is recorded, and on
// any failure the recorded steps are undone in reverse order (rmdir,
// unlink, the old attribute value written back), so configfs is left as it
// was and the original error is reported.
//
// The manager works through two small interfaces, ConfigFs (the file
// operations on the nvmet tree) and System (block devices, kernel modules,
// network interfaces, host name), so it can be tested on the host with
// MemoryConfigFs, an in-memory imitation of the kernel's nvmet tree that can
// be told to fail its N-th change.
//
// Access is deny-by-default: a new export needs at least one allowed host
// NQN or an explicit allow_any_host.
#pragma once

#include <array>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <storctl/result.hpp>

namespace storctl::nvmet {

inline constexpr std::string_view kDefaultRoot = "/sys/kernel/config/nvmet";
/// Environment variable overriding the configfs root.  When it is set,
/// storctl never loads kernel modules or mounts configfs.
inline constexpr const char *kEnvRoot = "STORCTL_NVMET_ROOT";

inline constexpr std::uint16_t kDefaultService = 4420;
/// Port ids storctl accepts (the kernel takes any 16-bit number; 0xffff is
/// reserved by the NVMe-oF specification, 0 is avoided as it reads as
/// "unset" in tools).
inline constexpr std::uint16_t kMinPortId = 1;
inline constexpr std::uint16_t kMaxPortId = 65534;
/// NVMe base specification: an NQN is at most 223 bytes.
inline constexpr std::size_t kMaxNqnLength = 223;
inline constexpr std::string_view kNqnPrefix = "nqn.2014-08.org.storctl:";
inline constexpr std::string_view kDiscoveryNqn = "nqn.2014-08.org.nvmexpress.discovery";
/// Serial numbers storctl writes start with this (20 characters in all).
inline constexpr std::string_view kSerialPrefix = "storctl-";
/// Model numbers storctl writes start with this (40 characters at most).
inline constexpr std::string_view kModelPrefix = "storctl";
/// The namespace every export uses.
inline constexpr std::uint32_t kExportNsid = 1;

// --- transports, addresses, names ----------------------------------------------

enum class Transport { tcp, rdma, loop };

/// "tcp", "rdma", "loop".
std::string_view to_string(Transport t) noexcept;
/// "tcp", "rdma" or "loop" (case-sensitive, as the kernel spells them).
Result<Transport> parse_transport(std::string_view text);
/// Kernel module implementing @t on the target side: nvmet-tcp,
/// nvmet-rdma, nvme-loop.
std::string_view transport_module(Transport t) noexcept;

/// An IP address in canonical text form (inet_ntop) and its nvmet address
/// family ("ipv4" or "ipv6").
struct IpAddress {
	std::string family;   ///< "ipv4" or "ipv6"
	std::string address;  ///< canonical: "127.0.0.1", "fd00::1"

	bool operator==(const IpAddress &) const = default;
};

/// An IPv4 or IPv6 address ("[fd00::1]" is accepted too); invalid_argument
/// naming the value otherwise.
Result<IpAddress> parse_ip_address(std::string_view text);

/// A port id given by a user: decimal, kMinPortId..kMaxPortId.
Result<std::uint16_t> parse_port_id(std::string_view text);
/// A service id (TCP/RDMA port number): decimal, 1..65535.
Result<std::uint16_t> parse_service(std::string_view text);

/// NQN syntax (NVMe base specification, "NVMe Qualified Names"): at most
/// 223 bytes, "nqn." followed by either
///   yyyy-mm.<reverse domain>[:<string>]   (date: a valid year and month;
///                                          domain: labels of letters,
///                                          digits and '-' joined by '.')
///   2014-08.org.nvmexpress:uuid:<uuid>    (the UUID form, 8-4-4-4-12 hex)
/// The string part may hold printable ASCII except '/' and whitespace (an
/// NQN is a configfs directory name).  @what ("NQN", "host NQN") prefixes
/// the error message.
Result<void> validate_nqn(std::string_view nqn, std::string_view what = "NQN");

/// A subsystem NQN: validate_nqn() and not the discovery NQN.
Result<void> validate_subsystem_nqn(std::string_view nqn);

/// The part of a volume path used in default NQNs and models: the
/// basename with every character outside [A-Za-z0-9._-] replaced by '_'
/// ("/dev/mapper/sc_srd1" -> "sc_srd1").
std::string volume_label(std::string_view volume_path);

/// "nqn.2014-08.org.storctl:<hostname>:<volume label>" (hostname reduced to
/// [A-Za-z0-9.-], "localhost" when empty).
std::string default_nqn(std::string_view hostname, std::string_view volume_path);

/// SHA-1 (FIPS 180-4) of @data.
std::array<std::uint8_t, 20> sha1(std::string_view data);

/// Name-based UUID, version 5 (RFC 4122 section 4.3) of @name in the
/// namespace @ns, lower-case 8-4-4-4-12 text.
std::string uuid_v5(const std::array<std::uint8_t, 16> &ns, std::string_view name);

/// The stable identity storctl gives a namespace: derived from the
/// subsystem NQN and the device path only, so re-exporting the same volume
/// under the same NQN gives the host the same identifiers.
struct NamespaceIds {
	std::string uuid;   ///< UUID v5, "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx"
	std::string nguid;  ///< 16 bytes, written in the same dashed hex form
};
NamespaceIds namespace_ids(std::string_view nqn, std::string_view device_path);

/// Serial number of a subsystem storctl creates: kSerialPrefix + the first
/// 12 hex digits of SHA-1(@nqn) (20 ASCII characters, the NVMe maximum).
std::string subsystem_serial(std::string_view nqn);
/// Model number: "storctl <volume label>", cut to 40 characters.
std::string subsystem_model(std::string_view volume_path);

// --- the nvmet tree ---------------------------------------------------------------

/// File operations on the nvmet configfs tree.  Paths are relative to the
/// root ("ports/1/addr_trtype"; "" is the root itself).  Errors carry the
/// errno of the failed call.
class ConfigFs {
public:
	virtual ~ConfigFs() = default;

	/// Where the tree is (for messages): "/sys/kernel/config/nvmet".
	virtual std::string root() const = 0;
	virtual bool exists(const std::string &path) = 0;
	virtual bool is_dir(const std::string &path) = 0;
	/// Names in a directory, sorted (directories, links and attributes).
	virtual Result<std::vector<std::string>> list(const std::string &dir) = 0;
	/// An attribute's contents without the trailing newline.
	virtual Result<std::string> read(const std::string &path) = 0;
	virtual Result<void> write(const std::string &path, const std::string &value) = 0;
	virtual Result<void> mkdir(const std::string &path) = 0;
	virtual Result<void> rmdir(const std::string &path) = 0;
	/// Create @link pointing at @target (both relative to the root; the
	/// real implementation links to the absolute path, as configfs wants).
	virtual Result<void> symlink(const std::string &target, const std::string &link) = 0;
	virtual Result<void> unlink(const std::string &link) = 0;
	/// Target of a link, relative to the root ("hosts/nqn...").
	virtual Result<std::string> readlink(const std::string &link) = 0;
};

/// The real tree under @root.
std::unique_ptr<ConfigFs> make_configfs(std::string root);

/// An in-memory imitation of the kernel's nvmet configfs tree: mkdir of a
/// port, subsystem, namespace or host creates the attributes and default
/// groups the kernel creates; rmdir refuses non-empty user-made contents
/// (ENOTEMPTY); the kernel's rules on links (allowed_hosts only to hosts,
/// none while allow_any_host is 1; ports/N/subsystems only to subsystems),
/// on allow_any_host (EINVAL while hosts are linked), on namespace
/// attributes (EBUSY while enabled) and on port attributes (EACCES while
/// the port serves a subsystem) are enforced.  Enabling a namespace
/// requires its device_path to be in the set of existing devices; linking a
/// subsystem to a port whose address is in the set of unavailable
/// addresses fails with EADDRNOTAVAIL.
class MemoryConfigFs final : public ConfigFs {
public:
	/// @with_passthru: subsystems get a passthru/ group (6.12 has one).
	explicit MemoryConfigFs(bool with_passthru = false);

	std::string root() const override { return "/memory/nvmet"; }
	bool exists(const std::string &path) override;
	bool is_dir(const std::string &path) override;
	Result<std::vector<std::string>> list(const std::string &dir) override;
	Result<std::string> read(const std::string &path) override;
	Result<void> write(const std::string &path, const std::string &value) override;
	Result<void> mkdir(const std::string &path) override;
	Result<void> rmdir(const std::string &path) override;
	Result<void> symlink(const std::string &target, const std::string &link) override;
	Result<void> unlink(const std::string &link) override;
	Result<std::string> readlink(const std::string &link) override;

	/// Make the @n-th change from now on (0: the next one; mkdir, rmdir,
	/// symlink, unlink, write) fail with @err; later changes succeed.
	void fail_change(std::size_t n, int err = EIO);
	/// Changes made so far (failed ones included).
	std::size_t changes() const noexcept { return changes_; }
	/// Log of the changes: "mkdir subsystems/x", "write ports/1/addr_trtype=tcp", ...
	const std::vector<std::string> &log() const noexcept { return log_; }

	/// The whole tree, one line per entry, sorted: "d path", "l path -> target",
	/// "a path=value" (for comparing before and after).
	std::string snapshot() const;

	/// Devices a namespace can be enabled with.
	std::set<std::string> devices;
	/// Addresses ("traddr") a port cannot listen on.
	std::set<std::string> unavailable_addresses;
	/// Transports whose module is missing (linking a port of that type
	/// fails with EINVAL, as in the kernel).
	std::set<std::string> missing_transports;

private:
	enum class Kind { dir, link, attr };
	struct Node {
		Kind kind = Kind::dir;
		std::string value;  // attr: contents; link: target
		bool user_made = false;  // dirs made by mkdir (not default groups)
		bool write_only = false;
	};
	Result<void> change(const std::string &what);
	void add_dir(const std::string &path, bool user_made);
	void add_attr(const std::string &path, std::string value, bool write_only = false);
	std::vector<std::string> children(const std::string &dir) const;
	bool port_enabled(const std::string &port) const;
	bool ns_enabled(const std::string &ns) const;

	bool passthru_;
	std::map<std::string, Node> nodes_;
	std::size_t changes_ = 0;
	std::optional<std::size_t> fail_at_;
	int fail_err_ = EIO;
	std::vector<std::string> log_;
};

// --- system services ------------------------------------------------------------

/// A block device to export.
struct Volume {
	std::string path;                   ///< as it will be written to device_path
	std::uint32_t major = 0, minor = 0;
	std::uint64_t size_bytes = 0;
};

class System {
public:
	virtual ~System() = default;
	/// @path must exist (not_found) and be a block device (invalid_argument).
	virtual Result<Volume> probe_volume(const std::string &path) = 0;
	/// Device number of @path if it is a block device (no error otherwise).
	virtual std::optional<std::pair<std::uint32_t, std::uint32_t>> devno(const std::string &path) = 0;
	/// Load a kernel module and its dependencies (libkmod).  unsupported
	/// when the module does not exist for the running kernel.
	virtual Result<void> load_module(const std::string &name) = 0;
	/// Mount configfs on /sys/kernel/config if it is not mounted.
	virtual Result<void> ensure_configfs() = 0;
	/// Global addresses of network interface @name (IPv4 first), through
	/// libnl-3 route.  not_found if there is no such interface.
	virtual Result<std::vector<IpAddress>> interface_addresses(const std::string &name) = 0;
	virtual std::string hostname() = 0;
	/// The running kernel's release (for messages).
	virtual std::string kernel_release() = 0;
};

/// The real system (stat, libkmod, mount(2), libnl-3 route, uname).
std::unique_ptr<System> make_system();

/// Addresses of interface @name via libnl-3 route (rtnl_addr cache):
/// global-scope IPv4 addresses first, then global IPv6 ones.
Result<std::vector<IpAddress>> resolve_interface(const std::string &name);

// --- objects ----------------------------------------------------------------------

struct PortSpec {
	Transport transport = Transport::tcp;
	std::optional<std::string> address;    ///< IPv4/IPv6 (tcp, rdma)
	std::optional<std::string> interface;  ///< or: the first address of this interface
	std::optional<std::uint16_t> service;  ///< default kDefaultService (tcp, rdma)
	std::optional<std::uint16_t> id;       ///< default: the lowest free id
};

struct PortInfo {
	std::uint16_t id = 0;
	std::string transport;  ///< addr_trtype ("tcp", "rdma", "loop", "fc", "")
	std::string family;     ///< addr_adrfam ("ipv4", "ipv6", "" ...)
	std::string address;    ///< addr_traddr
	std::string service;    ///< addr_trsvcid
	std::vector<std::string> subsystems;  ///< NQNs linked to the port, sorted

	bool operator==(const PortInfo &) const = default;
};

struct PortAddResult {
	PortInfo port;
	bool created = false;  ///< false: an existing port with the same address was reused
};

struct ExportSpec {
	std::string volume;                     ///< block device path (or srdN, mapper name)
	std::vector<std::uint16_t> ports;       ///< empty: the only port, if there is one
	std::vector<std::string> hosts;         ///< allowed host NQNs
	bool allow_any_host = false;
	std::optional<std::string> nqn;         ///< default: default_nqn(hostname, volume)
};

/// What to take away from an export.  With no hosts, no ports and
/// allow_any_host false, the whole export is removed.
struct UnexportSpec {
	std::string volume;                ///< volume path, srdN, mapper name or the NQN
	std::vector<std::string> hosts;    ///< remove these allowed hosts only
	std::vector<std::uint16_t> ports;  ///< unlink from these ports only
	bool allow_any_host = false;       ///< withdraw allow_any_host only
};

struct NamespaceInfo {
	std::uint32_t nsid = 0;
	std::string device_path;
	std::string uuid;
	std::string nguid;
	bool enabled = false;

	bool operator==(const NamespaceInfo &) const = default;
};

struct ExportInfo {
	std::string nqn;
	std::string volume;  ///< device_path of the lowest namespace ("" if none)
	std::vector<NamespaceInfo> namespaces;
	bool allow_any_host = false;
	std::vector<std::string> hosts;       ///< allowed host NQNs, sorted
	std::vector<std::uint16_t> ports;     ///< ports serving it, sorted
	std::string serial;
	std::string model;   ///< "" where the kernel has no attr_model
	bool managed = false;  ///< created by storctl (serial starts with kSerialPrefix)

	bool operator==(const ExportInfo &) const = default;
};

struct ExportResult {
	ExportInfo info;
	bool created = false;  ///< false: hosts/ports were added to an existing export
};

struct UnexportResult {
	std::string nqn;
	std::string volume;
	bool removed = false;  ///< the whole export is gone
	std::vector<std::string> hosts_removed;
	std::vector<std::uint16_t> ports_removed;
	bool any_host_revoked = false;
	std::vector<std::string> host_entries_removed;  ///< hosts/<nqn> no export uses any more
};

class Manager {
public:
	/// @autoload: load nvmet and transport modules and mount configfs when
	/// needed (only sensible for the real tree).
	Manager(std::unique_ptr<ConfigFs> fs, std::unique_ptr<System> sys, bool autoload);

	/// The real tree at $STORCTL_NVMET_ROOT or kDefaultRoot; modules are
	/// loaded on demand only for kDefaultRoot.
	static Manager make_default();

	ConfigFs &fs() { return *fs_; }

	/// Every port, sorted by id (empty when nvmet is not loaded).
	Result<std::vector<PortInfo>> ports();
	Result<PortInfo> port(std::uint16_t id);
	/// Create a port, or reuse one with the same transport, address and
	/// service.  An explicit id that exists with other settings is an
	/// error (exists); loads nvmet and the transport's module.
	Result<PortAddResult> add_port(const PortSpec &spec);
	/// Remove a port; busy while exports are linked to it.
	Result<void> remove_port(std::uint16_t id);

	/// Every subsystem, sorted by NQN (empty when nvmet is not loaded).
	Result<std::vector<ExportInfo>> exports();
	/// The export of a volume (path, srdN or mapper name) or NQN.
	Result<ExportInfo> find_export(std::string_view volume_or_nqn);

	/// Export a volume, or add hosts/ports to its existing export.
	Result<ExportResult> export_volume(const ExportSpec &spec);
	Result<UnexportResult> unexport(const UnexportSpec &spec);

	/// NQNs of the exports whose namespaces use @device_path.
	std::vector<std::string> exports_using(const std::string &device_path);
	/// Write revalidate_size to every enabled namespace using
	/// @device_path (after the device grew); returns the NQNs touched.
	Result<std::vector<std::string>> revalidate(const std::string &device_path);

private:
	class Txn;
	Result<void> ensure_nvmet();
	Result<void> ensure_transport(std::string_view transport);
	Result<std::string> resolve_volume_path(std::string_view volume);
	Result<ExportInfo> read_export(const std::string &nqn);
	Result<PortInfo> read_port(const std::string &id);
	std::vector<std::string> users_of_host(const std::string &host);
	bool same_device(const std::string &a, const std::string &b);

	std::unique_ptr<ConfigFs> fs_;
	std::unique_ptr<System> sys_;
	bool autoload_;
};

// --- hooks for the rest of storctl ------------------------------------------------

/// NQNs of the exports of @device_path in the default tree (no module is
/// loaded; empty when nvmet is not loaded).
std::vector<std::string> exports_using(const std::string &device_path);

/// A busy error naming the NQN when @device_path is exported, for
/// RamdiskManager::remove ("cannot remove srd0: it is exported over
/// NVMe-oF as nqn...").  nullopt when it is not exported.
std::optional<Error> refuse_if_exported(const std::string &device_path, std::string_view action);

/// After a volume grew: tell nvmet to re-read its size (revalidate_size),
/// so connected hosts see the new size.  Does nothing when not exported.
Result<void> revalidate_exports(const std::string &device_path);

} // namespace storctl::nvmet
