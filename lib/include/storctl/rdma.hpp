// SPDX-License-Identifier: MIT
//
// RDMA links (soft-RoCE "rxe" devices on a network interface) through the
// kernel's RDMA netlink interface (NETLINK_RDMA, RDMA_NL_NLDEV; libnl-3):
// what `rdma link add NAME type rxe netdev IF`, `rdma link delete NAME`
// and `rdma link show` do, without running them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <storctl/result.hpp>

namespace storctl::rdma {

/// The longest RDMA device name (IB_DEVICE_NAME_MAX - 1).
inline constexpr std::size_t kMaxLinkName = 63;
/// The longest network interface name (IFNAMSIZ - 1).
inline constexpr std::size_t kMaxNetdevName = 15;

/// One port of an RDMA device.
struct Link {
	std::string name;            ///< RDMA device: rxe0
	std::uint32_t index = 0;     ///< RDMA device index
	std::uint32_t port = 0;      ///< port number (1 for rxe)
	std::string state;           ///< DOWN, INIT, ARMED, ACTIVE, ACTIVE_DEFER
	std::string physical_state;  ///< LINK_UP, DISABLED, POLLING, ...
	std::string netdev;          ///< network interface, "" if none
	bool operator==(const Link &) const = default;
};

/// An RDMA device name storctl creates: 1..63 characters of
/// [A-Za-z0-9._-] (no '%', which the kernel treats as a pattern).
Result<void> validate_link_name(std::string_view name);
/// A network interface name: 1..15 characters, no '/', ':' or whitespace.
Result<void> validate_netdev_name(std::string_view name);

/// Port state numbers (enum ib_port_state / physical state) as text.
std::string port_state_text(unsigned state);
std::string phys_state_text(unsigned state);

/// The first name "rxe<N>" not in @links.
std::string default_link_name(const std::vector<Link> &links);

/// Every port of every RDMA device, sorted by device index and port.
Result<std::vector<Link>> list_links();
/// Create a soft-RoCE device @name on @netdev ("" name: default_link_name).
/// Errors: invalid_argument (names), not_found (no such interface),
/// exists (name taken, or @netdev has an rxe device already),
/// permission_denied (needs CAP_NET_ADMIN), unsupported (no rdma_rxe).
Result<Link> add_link(std::string_view name, std::string_view netdev);
/// Remove the RDMA device @name (rxe and other user-created links only).
Result<void> delete_link(std::string_view name);

} // namespace storctl::rdma
