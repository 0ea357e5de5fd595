// SPDX-License-Identifier: MIT
//
// Output of `storctl nvmet`: JSON shapes (exact key sets) and text lines.
// The text renderers live in cli/nvmet.cpp, which this test binary compiles
// in (see CMakeLists.txt) and are declared here; the JSON objects are
// daemon/json_output.cpp's (storctl_json), shared with the API.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <storctl/nvmet.hpp>

#include "json_output.hpp"

namespace storctl::cli {
using Json = nlohmann::json;
using daemon::nvmet_export_json;
using daemon::nvmet_export_list_json;
using daemon::nvmet_port_json;
using daemon::nvmet_port_list_json;
using daemon::nvmet_unexport_json;
std::string format_nvmet_port_added(const nvmet::PortAddResult &r);
std::string format_nvmet_port_table(const std::vector<nvmet::PortInfo> &ports);
std::string format_nvmet_exported(const nvmet::ExportResult &r);
std::string format_nvmet_unexported(const nvmet::UnexportResult &r);
std::string format_nvmet_export_table(const std::vector<nvmet::ExportInfo> &exports);
} // namespace storctl::cli

namespace {

using namespace storctl;
using namespace storctl::cli;

std::vector<std::string> keys(const Json &j)
{
	std::vector<std::string> k;
	for (auto it = j.begin(); it != j.end(); ++it)
		k.push_back(it.key());
	return k;
}

nvmet::PortInfo tcp_port()
{
	return {1, "tcp", "ipv4", "127.0.0.1", "4420", {"nqn.2014-08.org.storctl:h:srd0"}};
}

nvmet::ExportInfo srd0_export()
{
	nvmet::ExportInfo e;
	e.nqn = "nqn.2014-08.org.storctl:h:srd0";
	e.volume = "/dev/srd0";
	e.namespaces = {{1, "/dev/srd0", "u", "g", true}};
	e.hosts = {"nqn.2014-08.org.example:a"};
	e.ports = {1};
	e.serial = "storctl-0123456789ab";
	e.model = "storctl srd0";
	e.managed = true;
	return e;
}

TEST(NvmetOutput, PortJson)
{
	Json j = nvmet_port_json(tcp_port());
	EXPECT_EQ(keys(j), (std::vector<std::string>{"address", "exports", "family", "id", "service",
						     "transport"}));
	EXPECT_EQ(j["id"], 1);
	EXPECT_EQ(j["service"], 4420);
	EXPECT_EQ(j["exports"][0], "nqn.2014-08.org.storctl:h:srd0");
	nvmet::PortInfo loop{2, "loop", "", "", "", {}};
	Json l = nvmet_port_json(loop);
	EXPECT_TRUE(l["address"].is_null());
	EXPECT_TRUE(l["family"].is_null());
	EXPECT_TRUE(l["service"].is_null());
	EXPECT_TRUE(l["exports"].is_array());
	EXPECT_EQ(nvmet_port_list_json({}).dump(), "[]");
}

TEST(NvmetOutput, ExportJson)
{
	Json j = nvmet_export_json(srd0_export());
	EXPECT_EQ(keys(j), (std::vector<std::string>{"allow_any_host", "hosts", "managed", "model",
						     "namespaces", "nqn", "ports", "serial",
						     "volume"}));
	EXPECT_EQ(keys(j["namespaces"][0]),
		  (std::vector<std::string>{"device_path", "enabled", "nguid", "nsid", "uuid"}));
	EXPECT_EQ(j["ports"][0], 1);
	EXPECT_EQ(nvmet_export_list_json({}).dump(), "[]");

	nvmet::UnexportResult u;
	u.nqn = "n";
	u.volume = "/dev/srd0";
	u.removed = true;
	Json uj = nvmet_unexport_json(u);
	EXPECT_EQ(keys(uj), (std::vector<std::string>{"allow_any_host_revoked", "host_entries_removed",
						      "hosts_removed", "nqn", "ports_removed", "removed",
						      "volume"}));
}

TEST(NvmetOutput, Text)
{
	EXPECT_EQ(format_nvmet_port_added({tcp_port(), true}), "created port 1 (tcp 127.0.0.1:4420)\n");
	nvmet::PortInfo v6{3, "tcp", "ipv6", "fd00::1", "4420", {}};
	EXPECT_EQ(format_nvmet_port_added({v6, false}),
		  "port 3 (tcp [fd00::1]:4420) already exists: reusing it\n");
	EXPECT_EQ(format_nvmet_port_table({tcp_port()}),
		  "ID  TRANSPORT  ADDRESS    SERVICE  EXPORTS\n"
		  "1   tcp        127.0.0.1  4420     nqn.2014-08.org.storctl:h:srd0\n");
	EXPECT_EQ(format_nvmet_exported({srd0_export(), true}),
		  "exported /dev/srd0 as nqn.2014-08.org.storctl:h:srd0 (port 1; hosts "
		  "nqn.2014-08.org.example:a)\n");
	EXPECT_EQ(format_nvmet_export_table({srd0_export()}),
		  "NQN                             VOLUME     PORTS  ACCESS\n"
		  "nqn.2014-08.org.storctl:h:srd0  /dev/srd0  1      nqn.2014-08.org.example:a\n");
	nvmet::UnexportResult u;
	u.nqn = "nqn.x";
	u.volume = "/dev/srd0";
	u.removed = true;
	EXPECT_EQ(format_nvmet_unexported(u), "unexported /dev/srd0 (nqn.x)\n");
	u.removed = false;
	u.hosts_removed = {"h"};
	u.any_host_revoked = true;
	EXPECT_EQ(format_nvmet_unexported(u), "removed host h from nqn.x\nnqn.x no longer allows any host\n");
}

} // namespace
