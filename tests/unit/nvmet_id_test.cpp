// SPDX-License-Identifier: MIT
//
// NVMe-oF names and identifiers: NQN syntax, addresses, port/service ids,
// SHA-1, UUID v5, default NQN, serial and model.
#include <string>

#include <gtest/gtest.h>

#include <storctl/nvmet.hpp>

namespace {

using namespace storctl;
using namespace storctl::nvmet;

std::string hex(const std::array<std::uint8_t, 20> &d)
{
	static const char digits[] = "0123456789abcdef";
	std::string s;
	for (auto b : d) {
		s += digits[b >> 4];
		s += digits[b & 15];
	}
	return s;
}

TEST(NvmetSha1, KnownVectors)
{
	EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
	EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	EXPECT_EQ(hex(sha1(std::string(1000000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	// Lengths around the padding boundary (55, 56, 63, 64 bytes).
	EXPECT_EQ(hex(sha1(std::string(55, 'x'))), hex(sha1(std::string(55, 'x'))));
	EXPECT_NE(hex(sha1(std::string(55, 'x'))), hex(sha1(std::string(56, 'x'))));
	EXPECT_EQ(hex(sha1(std::string(64, 'a'))), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(NvmetUuid, Version5MatchesRfc4122)
{
	// uuid5(NAMESPACE_DNS, "python.org") from Python's uuid module.
	const std::array<std::uint8_t, 16> dns = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
						  0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
	EXPECT_EQ(uuid_v5(dns, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(NvmetUuid, NamespaceIdsAreStableAndDistinct)
{
	auto a = namespace_ids("nqn.2014-08.org.storctl:h:srd0", "/dev/srd0");
	auto b = namespace_ids("nqn.2014-08.org.storctl:h:srd0", "/dev/srd0");
	auto c = namespace_ids("nqn.2014-08.org.storctl:h:srd1", "/dev/srd0");
	auto d = namespace_ids("nqn.2014-08.org.storctl:h:srd0", "/dev/srd1");
	EXPECT_EQ(a.uuid, b.uuid);
	EXPECT_EQ(a.nguid, b.nguid);
	EXPECT_NE(a.uuid, c.uuid);
	EXPECT_NE(a.uuid, d.uuid);
	EXPECT_NE(a.uuid, a.nguid);
	ASSERT_EQ(a.uuid.size(), 36u);
	EXPECT_EQ(a.uuid[14], '5');  // version
	EXPECT_NE(std::string("89ab").find(a.uuid[19]), std::string::npos);  // variant
	EXPECT_EQ(a.nguid.size(), 36u);
}

TEST(NvmetNqn, ValidNames)
{
	for (const char *n : {"nqn.2014-08.org.storctl:host:srd0",
			      "nqn.2014-08.org.nvmexpress:uuid:123e4567-e89b-12d3-a456-426614174000",
			      "nqn.2016-06.io.spdk:cnode1", "nqn.2014-08.com.example",
			      "nqn.1999-12.a-b.c:x:y:z", "nqn.2014-08.org.storctl:h:sc_srd1.v-2"}) {
		EXPECT_TRUE(validate_nqn(n)) << n;
		EXPECT_TRUE(validate_subsystem_nqn(n)) << n;
	}
	std::string longest = "nqn.2014-08.org.x:" + std::string(223 - 18, 'a');
	ASSERT_EQ(longest.size(), 223u);
	EXPECT_TRUE(validate_nqn(longest));
}

TEST(NvmetNqn, InvalidNames)
{
	for (const char *n : {"", "nqn", "nqn.", "iqn.2014-08.org.x:y", "NQN.2014-08.org.x:y",
			      "nqn.2014-13.org.x:y", "nqn.2014-00.org.x:y", "nqn.14-08.org.x:y",
			      "nqn.2014-8.org.x:y", "nqn.2014-08org.x:y", "nqn.2014-08.:y",
			      "nqn.2014-08.org..x:y", "nqn.2014-08.-org.x:y", "nqn.2014-08.org.x:",
			      "nqn.2014-08.org.x:a/b", "nqn.2014-08.org.x:a b", "nqn.2014-08.org_x:y",
			      "nqn.2014-08.org.nvmexpress:uuid:not-a-uuid",
			      "nqn.2014-08.org.nvmexpress:uuid:123e4567e89b12d3a456426614174000"}) {
		auto r = validate_nqn(n);
		ASSERT_FALSE(r) << n;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_NE(r.error().message.find(std::string("'") + n + "'"), std::string::npos)
			<< r.error().message;
	}
	std::string too_long = "nqn.2014-08.org.x:" + std::string(223 - 17, 'a');
	EXPECT_FALSE(validate_nqn(too_long));
	EXPECT_TRUE(validate_nqn(kDiscoveryNqn));
	EXPECT_FALSE(validate_subsystem_nqn(kDiscoveryNqn));
	auto h = validate_nqn("bad", "host NQN");
	ASSERT_FALSE(h);
	EXPECT_EQ(h.error().message.rfind("invalid host NQN 'bad'", 0), 0u) << h.error().message;
}

TEST(NvmetNames, DefaultNqnAndLabels)
{
	EXPECT_EQ(volume_label("/dev/srd0"), "srd0");
	EXPECT_EQ(volume_label("/dev/mapper/sc_srd1"), "sc_srd1");
	EXPECT_EQ(volume_label("/dev/disk/by-id/a:b c"), "a_b_c");
	EXPECT_EQ(default_nqn("storctl-vm", "/dev/srd0"), "nqn.2014-08.org.storctl:storctl-vm:srd0");
	EXPECT_EQ(default_nqn("", "/dev/srd3"), "nqn.2014-08.org.storctl:localhost:srd3");
	EXPECT_EQ(default_nqn("we ird_host", "/dev/mapper/x"), "nqn.2014-08.org.storctl:weirdhost:x");
	EXPECT_TRUE(validate_subsystem_nqn(default_nqn("host.example.org", "/dev/mapper/sc_srd1")));
	EXPECT_TRUE(validate_subsystem_nqn(default_nqn(std::string(300, 'h'), std::string(300, 'v'))));
}

TEST(NvmetNames, SerialAndModelIdentifyStorctl)
{
	std::string s = subsystem_serial("nqn.2014-08.org.storctl:h:srd0");
	EXPECT_EQ(s.size(), 20u);
	EXPECT_EQ(s.rfind("storctl-", 0), 0u);
	EXPECT_EQ(s, subsystem_serial("nqn.2014-08.org.storctl:h:srd0"));
	EXPECT_NE(s, subsystem_serial("nqn.2014-08.org.storctl:h:srd1"));
	EXPECT_EQ(subsystem_model("/dev/srd0"), "storctl srd0");
	EXPECT_EQ(subsystem_model("/dev/mapper/" + std::string(100, 'v')).size(), 40u);
}

TEST(NvmetTransport, ParseAndModules)
{
	EXPECT_EQ(*parse_transport("tcp"), Transport::tcp);
	EXPECT_EQ(*parse_transport("rdma"), Transport::rdma);
	EXPECT_EQ(*parse_transport("loop"), Transport::loop);
	for (const char *bad : {"", "TCP", "fc", "udp", "tcp "}) {
		auto r = parse_transport(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
	}
	EXPECT_EQ(transport_module(Transport::tcp), "nvmet-tcp");
	EXPECT_EQ(transport_module(Transport::rdma), "nvmet-rdma");
	EXPECT_EQ(transport_module(Transport::loop), "nvme-loop");
}

TEST(NvmetAddress, Ipv4AndIpv6Canonical)
{
	EXPECT_EQ(*parse_ip_address("127.0.0.1"), (IpAddress{"ipv4", "127.0.0.1"}));
	EXPECT_EQ(*parse_ip_address("fd00:0:0::1"), (IpAddress{"ipv6", "fd00::1"}));
	EXPECT_EQ(*parse_ip_address("[::1]"), (IpAddress{"ipv6", "::1"}));
	EXPECT_EQ(*parse_ip_address("FD00::A"), (IpAddress{"ipv6", "fd00::a"}));
	for (const char *bad : {"", "1.2.3", "1.2.3.256", "localhost", "::g", "[1.2.3.4]x",
				"1.2.3.4:4420", " 1.2.3.4"}) {
		auto r = parse_ip_address(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
	}
}

TEST(NvmetIds, PortAndServiceRanges)
{
	EXPECT_EQ(*parse_port_id("1"), 1);
	EXPECT_EQ(*parse_port_id("65534"), 65534);
	for (const char *bad : {"", "0", "65535", "70000", "-1", "+1", "1x", "0x10", "99999999999"}) {
		auto r = parse_port_id(bad);
		ASSERT_FALSE(r) << bad;
		EXPECT_EQ(r.error().code, Errc::invalid_argument);
		EXPECT_NE(r.error().message.find("1 to 65534"), std::string::npos);
	}
	EXPECT_EQ(*parse_service("4420"), 4420);
	EXPECT_EQ(*parse_service("65535"), 65535);
	EXPECT_FALSE(parse_service("0"));
	EXPECT_FALSE(parse_service("65536"));
	EXPECT_FALSE(parse_service("http"));
}

} // namespace
