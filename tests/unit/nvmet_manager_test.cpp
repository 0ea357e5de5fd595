// SPDX-License-Identifier: MIT
//
// nvmet::Manager over MemoryConfigFs (an imitation of the kernel's nvmet
// configfs tree) and a fake System: ports, exports, access lists, the
// kernel's teardown order, and rollback -- a failure injected at every
// single step of a change leaves the tree exactly as it was.
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include <storctl/nvmet.hpp>

namespace {

using namespace storctl;
using namespace storctl::nvmet;

const std::string kHostA = "nqn.2014-08.org.example:host-a";
const std::string kHostB = "nqn.2014-08.org.example:host-b";
const std::string kNqn0 = "nqn.2014-08.org.storctl:testhost:srd0";
const std::string kNqn1 = "nqn.2014-08.org.storctl:testhost:srd1";

class FakeSystem final : public System {
public:
	std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> devices;
	std::set<std::string> missing_modules;
	std::vector<std::string> loaded;
	std::map<std::string, std::vector<IpAddress>> interfaces;

	Result<Volume> probe_volume(const std::string &path) override
	{
		auto it = devices.find(path);
		if (it == devices.end())
			return make_error(Errc::not_found, path + " does not exist");
		return Volume{path, it->second.first, it->second.second, 64 << 20};
	}
	std::optional<std::pair<std::uint32_t, std::uint32_t>> devno(const std::string &path) override
	{
		auto it = devices.find(path);
		if (it == devices.end())
			return std::nullopt;
		return it->second;
	}
	Result<void> load_module(const std::string &name) override
	{
		if (missing_modules.count(name))
			return make_error(Errc::unsupported, "module " + name + " not found in /lib/modules");
		loaded.push_back(name);
		return ok();
	}
	Result<void> ensure_configfs() override { return ok(); }
	Result<std::vector<IpAddress>> interface_addresses(const std::string &name) override
	{
		auto it = interfaces.find(name);
		if (it == interfaces.end())
			return make_error(Errc::not_found, "no network interface '" + name + "'");
		return it->second;
	}
	std::string hostname() override { return "testhost"; }
	std::string kernel_release() override { return "6.1.0-test"; }
};

struct Env {
	MemoryConfigFs *fs;
	FakeSystem *sys;
	std::unique_ptr<Manager> m;

	explicit Env(bool passthru = false)
	{
		auto f = std::make_unique<MemoryConfigFs>(passthru);
		auto s = std::make_unique<FakeSystem>();
		fs = f.get();
		sys = s.get();
		for (int i = 0; i < 4; i++) {
			sys->devices["/dev/srd" + std::to_string(i)] = {250, static_cast<std::uint32_t>(i)};
			fs->devices.insert("/dev/srd" + std::to_string(i));
		}
		sys->devices["/dev/mapper/sc_srd1"] = {253, 0};
		fs->devices.insert("/dev/mapper/sc_srd1");
		sys->interfaces["eth0"] = {{"ipv4", "192.0.2.7"}, {"ipv6", "2001:db8::7"}};
		sys->interfaces["dummy0"] = {};
		m = std::make_unique<Manager>(std::move(f), std::move(s), true);
	}

	std::uint16_t tcp_port(const std::string &addr = "127.0.0.1", std::uint16_t service = 4420)
	{
		PortSpec p;
		p.address = addr;
		p.service = service;
		auto r = m->add_port(p);
		EXPECT_TRUE(r) << r.error().message;
		return r ? r->port.id : 0;
	}
};

ExportSpec spec_for(const std::string &vol, std::vector<std::uint16_t> ports,
		    std::vector<std::string> hosts, bool any = false)
{
	ExportSpec s;
	s.volume = vol;
	s.ports = std::move(ports);
	s.hosts = std::move(hosts);
	s.allow_any_host = any;
	return s;
}

UnexportSpec unexport_all(const std::string &vol)
{
	UnexportSpec u;
	u.volume = vol;
	return u;
}

// --- ports ------------------------------------------------------------------------

TEST(NvmetPorts, AddWritesTheAddressAndLoadsTheTransport)
{
	Env e;
	PortSpec p;
	p.address = "127.0.0.1";
	auto r = e.m->add_port(p);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_TRUE(r->created);
	EXPECT_EQ(r->port.id, 1);
	EXPECT_EQ(*e.fs->read("ports/1/addr_trtype"), "tcp");
	EXPECT_EQ(*e.fs->read("ports/1/addr_adrfam"), "ipv4");
	EXPECT_EQ(*e.fs->read("ports/1/addr_traddr"), "127.0.0.1");
	EXPECT_EQ(*e.fs->read("ports/1/addr_trsvcid"), "4420");
	EXPECT_EQ(e.sys->loaded, (std::vector<std::string>{"nvmet-tcp"}));
}

TEST(NvmetPorts, Ipv6AndInterfaceAndRdma)
{
	Env e;
	PortSpec p;
	p.address = "[fd00:0::5]";
	p.service = 4421;
	auto r = e.m->add_port(p);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(*e.fs->read("ports/1/addr_adrfam"), "ipv6");
	EXPECT_EQ(*e.fs->read("ports/1/addr_traddr"), "fd00::5");
	EXPECT_EQ(*e.fs->read("ports/1/addr_trsvcid"), "4421");

	PortSpec q;
	q.transport = Transport::rdma;
	q.interface = "eth0";
	auto r2 = e.m->add_port(q);
	ASSERT_TRUE(r2) << r2.error().message;
	EXPECT_EQ(r2->port.id, 2);
	EXPECT_EQ(r2->port.transport, "rdma");
	EXPECT_EQ(r2->port.address, "192.0.2.7");
	EXPECT_EQ(e.sys->loaded.back(), "nvmet-rdma");

	PortSpec none;
	none.interface = "dummy0";
	auto r3 = e.m->add_port(none);
	ASSERT_FALSE(r3);
	EXPECT_EQ(r3.error().code, Errc::not_found);
	PortSpec missing;
	missing.interface = "nosuch0";
	EXPECT_EQ(e.m->add_port(missing).error().code, Errc::not_found);
}

TEST(NvmetPorts, ReuseSameAddressAndLowestFreeId)
{
	Env e;
	EXPECT_EQ(e.tcp_port("127.0.0.1"), 1);
	EXPECT_EQ(e.tcp_port("127.0.0.2"), 2);
	PortSpec same;
	same.address = "127.0.0.1";
	auto r = e.m->add_port(same);
	ASSERT_TRUE(r);
	EXPECT_FALSE(r->created);
	EXPECT_EQ(r->port.id, 1);
	// Same address, other service: a new port.
	EXPECT_EQ(e.tcp_port("127.0.0.1", 4421), 3);
	ASSERT_TRUE(e.m->remove_port(1));
	EXPECT_EQ(e.tcp_port("10.0.0.1"), 1);

	// An explicit id: reused when it matches, an error otherwise.
	PortSpec id2;
	id2.address = "127.0.0.2";
	id2.id = 2;
	auto r2 = e.m->add_port(id2);
	ASSERT_TRUE(r2);
	EXPECT_FALSE(r2->created);
	id2.address = "127.0.0.9";
	EXPECT_EQ(e.m->add_port(id2).error().code, Errc::exists);
	PortSpec dup;
	dup.address = "127.0.0.2";
	dup.id = 9;
	EXPECT_EQ(e.m->add_port(dup).error().code, Errc::exists);
	dup.address = "127.0.0.3";
	auto r9 = e.m->add_port(dup);
	ASSERT_TRUE(r9);
	EXPECT_EQ(r9->port.id, 9);
}

TEST(NvmetPorts, BadInputChangesNothing)
{
	Env e;
	const std::string before = e.fs->snapshot();
	PortSpec loop_addr;
	loop_addr.transport = Transport::loop;
	loop_addr.address = "127.0.0.1";
	EXPECT_EQ(e.m->add_port(loop_addr).error().code, Errc::invalid_argument);
	PortSpec no_addr;
	EXPECT_EQ(e.m->add_port(no_addr).error().code, Errc::invalid_argument);
	PortSpec both;
	both.address = "127.0.0.1";
	both.interface = "eth0";
	EXPECT_EQ(e.m->add_port(both).error().code, Errc::invalid_argument);
	PortSpec bad;
	bad.address = "300.1.1.1";
	EXPECT_EQ(e.m->add_port(bad).error().code, Errc::invalid_argument);
	PortSpec bad_id;
	bad_id.address = "127.0.0.1";
	bad_id.id = 65535;
	EXPECT_EQ(e.m->add_port(bad_id).error().code, Errc::invalid_argument);
	EXPECT_EQ(e.fs->snapshot(), before);
	EXPECT_EQ(e.fs->changes(), 0u);
}

TEST(NvmetPorts, MissingTransportModuleIsUnsupported)
{
	Env e;
	e.sys->missing_modules.insert("nvme-loop");
	const std::string before = e.fs->snapshot();
	PortSpec p;
	p.transport = Transport::loop;
	auto r = e.m->add_port(p);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::unsupported);
	EXPECT_NE(r.error().message.find("transport loop is not supported"), std::string::npos)
		<< r.error().message;
	EXPECT_NE(r.error().message.find("nvme-loop"), std::string::npos);
	EXPECT_EQ(e.fs->snapshot(), before);

	e.sys->missing_modules.clear();
	auto ok = e.m->add_port(p);
	ASSERT_TRUE(ok) << ok.error().message;
	EXPECT_EQ(*e.fs->read("ports/1/addr_trtype"), "loop");
	EXPECT_EQ(*e.fs->read("ports/1/addr_traddr"), "");
}

TEST(NvmetPorts, RemoveRefusedWhileExported)
{
	Env e;
	auto id = e.tcp_port();
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {id}, {kHostA})));
	auto r = e.m->remove_port(id);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::busy);
	EXPECT_NE(r.error().message.find(kNqn0), std::string::npos);
	EXPECT_EQ(e.m->remove_port(77).error().code, Errc::not_found);
	ASSERT_TRUE(e.m->unexport(unexport_all("/dev/srd0")));
	EXPECT_TRUE(e.m->remove_port(id));
	EXPECT_FALSE(e.fs->exists("ports/1"));
}

TEST(NvmetPorts, RollbackAtEveryStep)
{
	for (std::size_t k = 0;; k++) {
		Env e;
		const std::string before = e.fs->snapshot();
		e.fs->fail_change(k);
		PortSpec p;
		p.address = "fd00::1";
		auto r = e.m->add_port(p);
		if (r) {
			EXPECT_EQ(k, 5u) << "a port takes mkdir + 4 writes";
			break;
		}
		EXPECT_NE(r.error().message.find("injected failure"), std::string::npos)
			<< r.error().message;
		EXPECT_NE(r.error().message.find("nothing was changed"), std::string::npos);
		EXPECT_EQ(e.fs->snapshot(), before) << "failure at step " << k;
		ASSERT_LT(k, 20u);
	}
}

// --- exports ----------------------------------------------------------------------

TEST(NvmetExport, CreatesSubsystemNamespaceHostsAndLinks)
{
	Env e;
	auto id = e.tcp_port();
	auto r = e.m->export_volume(spec_for("/dev/srd0", {id}, {kHostA}));
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_TRUE(r->created);
	const ExportInfo &x = r->info;
	EXPECT_EQ(x.nqn, kNqn0);
	EXPECT_EQ(x.volume, "/dev/srd0");
	ASSERT_EQ(x.namespaces.size(), 1u);
	EXPECT_EQ(x.namespaces[0].nsid, 1u);
	EXPECT_TRUE(x.namespaces[0].enabled);
	auto ids = namespace_ids(kNqn0, "/dev/srd0");
	EXPECT_EQ(x.namespaces[0].uuid, ids.uuid);
	EXPECT_EQ(x.namespaces[0].nguid, ids.nguid);
	EXPECT_EQ(x.hosts, (std::vector<std::string>{kHostA}));
	EXPECT_EQ(x.ports, (std::vector<std::uint16_t>{id}));
	EXPECT_FALSE(x.allow_any_host);
	EXPECT_TRUE(x.managed);
	EXPECT_EQ(x.serial, subsystem_serial(kNqn0));
	EXPECT_EQ(x.model, "storctl srd0");
	EXPECT_TRUE(e.fs->is_dir("hosts/" + kHostA));
	EXPECT_EQ(*e.fs->readlink("subsystems/" + kNqn0 + "/allowed_hosts/" + kHostA), "hosts/" + kHostA);
	EXPECT_EQ(*e.fs->readlink("ports/1/subsystems/" + kNqn0), "subsystems/" + kNqn0);

	auto found = e.m->find_export("srd0");
	ASSERT_TRUE(found);
	EXPECT_EQ(*found, x);
	EXPECT_EQ(*e.m->find_export(kNqn0), x);
	EXPECT_EQ(e.m->exports_using("/dev/srd0"), (std::vector<std::string>{kNqn0}));
	EXPECT_TRUE(e.m->exports_using("/dev/srd1").empty());
}

TEST(NvmetExport, DenyByDefault)
{
	Env e;
	auto id = e.tcp_port();
	const std::string before = e.fs->snapshot();
	auto r = e.m->export_volume(spec_for("/dev/srd0", {id}, {}));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_NE(r.error().message.find("--allow-any-host"), std::string::npos);
	EXPECT_EQ(e.fs->snapshot(), before);

	auto any = e.m->export_volume(spec_for("/dev/srd0", {id}, {}, true));
	ASSERT_TRUE(any) << any.error().message;
	EXPECT_TRUE(any->info.allow_any_host);
	EXPECT_EQ(*e.fs->read("subsystems/" + kNqn0 + "/attr_allow_any_host"), "1");
}

TEST(NvmetExport, BadInputChangesNothing)
{
	Env e;
	auto id = e.tcp_port();
	const std::string before = e.fs->snapshot();
	const std::size_t changes = e.fs->changes();
	auto expect = [&](ExportSpec s, Errc code) {
		auto r = e.m->export_volume(s);
		ASSERT_FALSE(r) << s.volume;
		EXPECT_EQ(r.error().code, code) << r.error().message;
	};
	expect(spec_for("/dev/nosuch", {id}, {kHostA}), Errc::not_found);
	expect(spec_for("/dev/srd0", {id}, {"not-an-nqn"}), Errc::invalid_argument);
	expect(spec_for("/dev/srd0", {9}, {kHostA}), Errc::not_found);
	expect(spec_for("/dev/srd0", {0}, {kHostA}), Errc::invalid_argument);
	expect(spec_for("/dev/srd0", {id}, {kHostA}, true), Errc::invalid_argument);
	expect(spec_for("../srd0", {id}, {kHostA}), Errc::invalid_argument);
	auto bad_nqn = spec_for("/dev/srd0", {id}, {kHostA});
	bad_nqn.nqn = "nqn.2014-8.bad";
	expect(bad_nqn, Errc::invalid_argument);
	bad_nqn.nqn = std::string(kDiscoveryNqn);
	expect(bad_nqn, Errc::invalid_argument);
	EXPECT_EQ(e.fs->snapshot(), before);
	EXPECT_EQ(e.fs->changes(), changes);
}

TEST(NvmetExport, DefaultPortOnlyWhenThereIsOne)
{
	Env e;
	auto none = e.m->export_volume(spec_for("/dev/srd0", {}, {kHostA}));
	ASSERT_FALSE(none);
	EXPECT_EQ(none.error().code, Errc::not_found);
	e.tcp_port("127.0.0.1");
	auto one = e.m->export_volume(spec_for("/dev/srd0", {}, {kHostA}));
	ASSERT_TRUE(one) << one.error().message;
	EXPECT_EQ(one->info.ports, (std::vector<std::uint16_t>{1}));
	e.tcp_port("127.0.0.2");
	auto two = e.m->export_volume(spec_for("/dev/srd1", {}, {kHostA}));
	ASSERT_FALSE(two);
	EXPECT_EQ(two.error().code, Errc::invalid_argument);
	EXPECT_NE(two.error().message.find("--port"), std::string::npos);
}

TEST(NvmetExport, LiveHostsAndPortsOnAnExistingExport)
{
	Env e;
	auto p1 = e.tcp_port("127.0.0.1");
	auto p2 = e.tcp_port("127.0.0.2");
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {p1}, {kHostA})));
	auto r = e.m->export_volume(spec_for("/dev/srd0", {p2}, {kHostB}));
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_FALSE(r->created);
	EXPECT_EQ(r->info.hosts, (std::vector<std::string>{kHostA, kHostB}));
	EXPECT_EQ(r->info.ports, (std::vector<std::uint16_t>{p1, p2}));

	// Idempotent: the same again changes nothing.
	const std::size_t changes = e.fs->changes();
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {p2}, {kHostB})));
	EXPECT_EQ(e.fs->changes(), changes);

	// Remove a host: it loses access, its unused entry goes away.
	UnexportSpec u;
	u.volume = "/dev/srd0";
	u.hosts = {kHostA};
	auto ur = e.m->unexport(u);
	ASSERT_TRUE(ur) << ur.error().message;
	EXPECT_FALSE(ur->removed);
	EXPECT_EQ(ur->hosts_removed, (std::vector<std::string>{kHostA}));
	EXPECT_EQ(ur->host_entries_removed, (std::vector<std::string>{kHostA}));
	EXPECT_FALSE(e.fs->exists("hosts/" + kHostA));
	EXPECT_EQ(e.m->find_export("/dev/srd0")->hosts, (std::vector<std::string>{kHostB}));

	// Remove a port only.
	UnexportSpec up;
	up.volume = kNqn0;
	up.ports = {p1};
	ASSERT_TRUE(e.m->unexport(up));
	EXPECT_EQ(e.m->find_export("/dev/srd0")->ports, (std::vector<std::uint16_t>{p2}));
	EXPECT_FALSE(e.fs->exists("ports/1/subsystems/" + kNqn0));

	// Removing what is not there is not_found, and changes nothing.
	const std::string before = e.fs->snapshot();
	EXPECT_EQ(e.m->unexport(u).error().code, Errc::not_found);
	EXPECT_EQ(e.m->unexport(up).error().code, Errc::not_found);
	EXPECT_EQ(e.fs->snapshot(), before);
}

TEST(NvmetExport, AllowAnyHostSwitching)
{
	Env e;
	auto id = e.tcp_port();
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {id}, {kHostA})));
	// Hosts listed: allow-any-host is refused until they are removed.
	auto r = e.m->export_volume(spec_for("/dev/srd0", {}, {}, true));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	UnexportSpec u;
	u.volume = "/dev/srd0";
	u.hosts = {kHostA};
	ASSERT_TRUE(e.m->unexport(u));
	EXPECT_TRUE(e.m->find_export("/dev/srd0")->hosts.empty());
	auto any = e.m->export_volume(spec_for("/dev/srd0", {}, {}, true));
	ASSERT_TRUE(any) << any.error().message;
	EXPECT_TRUE(any->info.allow_any_host);
	// Any host allowed: listing hosts is refused until it is withdrawn.
	EXPECT_EQ(e.m->export_volume(spec_for("/dev/srd0", {}, {kHostB})).error().code,
		  Errc::invalid_argument);
	UnexportSpec w;
	w.volume = "/dev/srd0";
	w.allow_any_host = true;
	auto wr = e.m->unexport(w);
	ASSERT_TRUE(wr) << wr.error().message;
	EXPECT_TRUE(wr->any_host_revoked);
	EXPECT_EQ(*e.fs->read("subsystems/" + kNqn0 + "/attr_allow_any_host"), "0");
	EXPECT_EQ(e.m->unexport(w).error().code, Errc::invalid_argument);
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {}, {kHostB})));
}

TEST(NvmetExport, OneExportPerVolumeAndNqn)
{
	Env e;
	auto id = e.tcp_port();
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {id}, {kHostA})));
	auto other = spec_for("/dev/srd0", {id}, {kHostA});
	other.nqn = "nqn.2014-08.org.example:other";
	auto r = e.m->export_volume(other);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::exists);
	EXPECT_NE(r.error().message.find(kNqn0), std::string::npos);
	auto taken = spec_for("/dev/srd1", {id}, {kHostA});
	taken.nqn = kNqn0;
	auto t = e.m->export_volume(taken);
	ASSERT_FALSE(t);
	EXPECT_EQ(t.error().code, Errc::exists);
	EXPECT_NE(t.error().message.find("/dev/srd0"), std::string::npos);
}

TEST(NvmetExport, SharedHostEntryRemovedWithTheLastUser)
{
	Env e;
	auto id = e.tcp_port();
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {id}, {kHostA})));
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd1", {id}, {kHostA, kHostB})));
	auto r0 = e.m->unexport(unexport_all("/dev/srd0"));
	ASSERT_TRUE(r0) << r0.error().message;
	EXPECT_TRUE(r0->removed);
	EXPECT_TRUE(r0->host_entries_removed.empty());
	EXPECT_TRUE(e.fs->is_dir("hosts/" + kHostA));
	auto r1 = e.m->unexport(unexport_all("srd1"));
	ASSERT_TRUE(r1) << r1.error().message;
	EXPECT_EQ(r1->host_entries_removed, (std::vector<std::string>{kHostA, kHostB}));
	EXPECT_TRUE(e.fs->list("hosts")->empty());
	EXPECT_TRUE(e.fs->list("subsystems")->empty());
	EXPECT_TRUE(e.fs->list("ports/1/subsystems")->empty());
}

TEST(NvmetExport, UnexportFollowsTheKernelOrder)
{
	Env e;
	auto id = e.tcp_port();
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/mapper/sc_srd1", {id}, {kHostA})));
	const std::string nqn = "nqn.2014-08.org.storctl:testhost:sc_srd1";
	const std::size_t from = e.fs->log().size();
	ASSERT_TRUE(e.m->unexport(unexport_all("sc_srd1")));
	std::vector<std::string> ops(e.fs->log().begin() + static_cast<long>(from), e.fs->log().end());
	EXPECT_EQ(ops, (std::vector<std::string>{
			       "unlink ports/1/subsystems/" + nqn,
			       "write subsystems/" + nqn + "/namespaces/1/enable=0",
			       "rmdir subsystems/" + nqn + "/namespaces/1",
			       "unlink subsystems/" + nqn + "/allowed_hosts/" + kHostA,
			       "rmdir subsystems/" + nqn,
			       "rmdir hosts/" + kHostA,
		       }));
	EXPECT_EQ(e.m->unexport(unexport_all("sc_srd1")).error().code, Errc::not_found);
}

TEST(NvmetExport, UnavailableAddressRollsBack)
{
	Env e;
	auto id = e.tcp_port("10.99.0.1");
	e.fs->unavailable_addresses.insert("10.99.0.1");
	ASSERT_TRUE(e.fs->mkdir("hosts/" + kHostB));  // someone else's host entry
	const std::string before = e.fs->snapshot();
	auto r = e.m->export_volume(spec_for("/dev/srd0", {id}, {kHostA, kHostB}));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::invalid_argument);
	EXPECT_NE(r.error().message.find("not configured on this machine"), std::string::npos)
		<< r.error().message;
	EXPECT_NE(r.error().message.find("10.99.0.1:4420"), std::string::npos);
	EXPECT_NE(r.error().message.find("nothing was changed"), std::string::npos);
	EXPECT_EQ(e.fs->snapshot(), before);
}

TEST(NvmetExport, DeviceGoneAtEnableRollsBack)
{
	Env e;
	auto id = e.tcp_port();
	e.fs->devices.erase("/dev/srd2");  // probed fine, gone when nvmet opens it
	const std::string before = e.fs->snapshot();
	auto r = e.m->export_volume(spec_for("/dev/srd2", {id}, {kHostA}));
	ASSERT_FALSE(r);
	EXPECT_EQ(r.error().code, Errc::not_found);
	EXPECT_NE(r.error().message.find("cannot enable namespace 1"), std::string::npos);
	EXPECT_EQ(e.fs->snapshot(), before);
}

// Inject a failure at step k = 0, 1, 2, ... of a change until it succeeds;
// after every failure the tree must be exactly as before.
template <typename Setup, typename Change>
std::size_t rollback_every_step(bool passthru, Setup setup, Change change)
{
	for (std::size_t k = 0;; k++) {
		Env e(passthru);
		setup(e);
		const std::string before = e.fs->snapshot();
		const std::size_t start = e.fs->changes();
		e.fs->fail_change(k);
		auto r = change(e);
		if (r) {
			EXPECT_EQ(e.fs->changes() - start, k) << "succeeded without reaching step " << k;
			return k;
		}
		EXPECT_NE(r.error().message.find("injected failure"), std::string::npos)
			<< r.error().message;
		EXPECT_NE(r.error().message.find("nothing was changed"), std::string::npos)
			<< r.error().message;
		EXPECT_EQ(e.fs->snapshot(), before) << "after a failure at step " << k;
		if (k > 50) {
			ADD_FAILURE() << "never succeeded";
			return k;
		}
	}
}

TEST(NvmetRollback, ExportAtEveryStep)
{
	for (bool passthru : {false, true}) {
		auto steps = rollback_every_step(
			passthru,
			[](Env &e) {
				e.tcp_port("127.0.0.1");
				e.tcp_port("127.0.0.2");
				ASSERT_TRUE(e.fs->mkdir("hosts/" + kHostB));
			},
			[](Env &e) {
				return e.m->export_volume(spec_for("/dev/srd0", {1, 2}, {kHostA, kHostB}));
			});
		// mkdir host A, mkdir subsystem, serial, model, mkdir ns,
		// device_path, uuid, nguid, enable, 2 host links, 2 port links.
		EXPECT_EQ(steps, 13u);
	}
}

TEST(NvmetRollback, ExportUpdateAtEveryStep)
{
	auto steps = rollback_every_step(
		false,
		[](Env &e) {
			e.tcp_port("127.0.0.1");
			e.tcp_port("127.0.0.2");
			ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {1}, {kHostA})));
		},
		[](Env &e) { return e.m->export_volume(spec_for("/dev/srd0", {2}, {kHostB})); });
	EXPECT_EQ(steps, 3u);  // mkdir host B, host link, port link
}

TEST(NvmetRollback, AllowAnyHostAtEveryStep)
{
	auto steps = rollback_every_step(
		false, [](Env &e) { e.tcp_port(); },
		[](Env &e) { return e.m->export_volume(spec_for("/dev/srd1", {}, {}, true)); });
	EXPECT_EQ(steps, 10u);
}

TEST(NvmetRollback, UnexportAtEveryStep)
{
	auto steps = rollback_every_step(
		false,
		[](Env &e) {
			e.tcp_port("127.0.0.1");
			e.tcp_port("127.0.0.2");
			ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {1, 2}, {kHostA, kHostB})));
			ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd1", {1}, {kHostB})));
		},
		[](Env &e) { return e.m->unexport(unexport_all("/dev/srd0")); });
	// 2 port links, disable, rmdir ns, 2 host links, rmdir subsystem,
	// rmdir host A (B is still used by srd1).
	EXPECT_EQ(steps, 8u);
}

TEST(NvmetRollback, PartialUnexportAtEveryStep)
{
	auto steps = rollback_every_step(
		false,
		[](Env &e) {
			e.tcp_port("127.0.0.1");
			e.tcp_port("127.0.0.2");
			ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {1, 2}, {kHostA, kHostB})));
		},
		[](Env &e) {
			UnexportSpec u;
			u.volume = "srd0";
			u.hosts = {kHostA};
			u.ports = {2};
			return e.m->unexport(u);
		});
	EXPECT_EQ(steps, 3u);  // port link, host link, rmdir host A
}

TEST(NvmetRevalidate, WritesRevalidateSizeOfEnabledNamespaces)
{
	Env e;
	auto id = e.tcp_port();
	ASSERT_TRUE(e.m->export_volume(spec_for("/dev/srd0", {id}, {kHostA})));
	auto r = e.m->revalidate("/dev/srd0");
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(*r, (std::vector<std::string>{kNqn0}));
	EXPECT_EQ(e.fs->log().back(), "write subsystems/" + kNqn0 + "/namespaces/1/revalidate_size=1");
	auto none = e.m->revalidate("/dev/srd1");
	ASSERT_TRUE(none);
	EXPECT_TRUE(none->empty());
}

TEST(NvmetLists, EmptyWithoutNvmetAndForeignObjectsListed)
{
	Env e;
	ASSERT_TRUE(e.fs->mkdir("ports/0"));
	ASSERT_TRUE(e.fs->write("ports/0/addr_trtype", "fc"));
	ASSERT_TRUE(e.fs->mkdir("subsystems/nqn.2016-06.io.spdk:cnode1"));
	auto ports = e.m->ports();
	ASSERT_TRUE(ports);
	ASSERT_EQ(ports->size(), 1u);
	EXPECT_EQ((*ports)[0].id, 0);
	EXPECT_EQ((*ports)[0].transport, "fc");
	auto exports = e.m->exports();
	ASSERT_TRUE(exports);
	ASSERT_EQ(exports->size(), 1u);
	EXPECT_FALSE((*exports)[0].managed);
	EXPECT_EQ((*exports)[0].volume, "");
	EXPECT_TRUE((*exports)[0].namespaces.empty());
}

} // namespace
