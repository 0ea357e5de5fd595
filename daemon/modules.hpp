// SPDX-License-Identifier: MIT
//
// `storctld --load-modules`: the kernel modules the daemon and its saved
// state need, loaded before the daemon starts.  Under systemd the daemon
// has neither CAP_SYS_MODULE nor a module tree it may load from
// (ProtectKernelModules=yes), so the unit runs this as a privileged
// ExecStartPre=+ line: it reads the state file (like the restore does,
// without repairing anything) and loads, through libkmod:
//   - the modules every API group needs (RAM disks, stor-cache and
//     dm-writecache caches, the NVMe target with its TCP transport): a
//     failure is a warning (the API then answers 503 for that group);
//   - the modules the saved state needs (a cache's target, an NVMe-oF
//     port's transport: nvmet-rdma for rdma, nvme-loop for loop): a
//     failure is an error and the exit status is 1 (the restore of those
//     items then fails and says so).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <storctl/result.hpp>

#include "state.hpp"

namespace storctl::daemon {

struct ModuleNeed {
	std::string module;  ///< libkmod name or alias ("nvmet-tcp")
	std::string why;     ///< "caches sc_srd3", "NVMe-oF port 2 (rdma)", ...
	bool required = false;  ///< the saved state needs it

	bool operator==(const ModuleNeed &) const = default;
};

/// The modules for @state, each once, in load order (a transport after
/// nvmet): the base set first, then what the state adds; a module the
/// state needs is required even when it is also in the base set.  An
/// NVMe-oF port of an unknown transport adds a problem to @problems.
std::vector<ModuleNeed> modules_for_state(const State &state, std::vector<std::string> &problems);

/// Load @needs with @load (libkmod in storctld), logging one line per
/// module.  Returns false when a required module could not be loaded.
bool load_modules(const std::vector<ModuleNeed> &needs,
		  const std::function<Result<void>(const std::string &)> &load);

} // namespace storctl::daemon
