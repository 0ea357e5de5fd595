// SPDX-License-Identifier: MIT
//
// Network interface addresses through libnl-3 route (rtnl_link and
// rtnl_addr caches): no ioctl, no parsing of `ip` output.
#include <storctl/nvmet.hpp>

#include <algorithm>
#include <memory>

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

namespace storctl::nvmet {

namespace {

struct SockDeleter {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
};
struct CacheDeleter {
	void operator()(nl_cache *c) const { nl_cache_free(c); }
};

Error nl_failure(int nlerr, const std::string &what)
{
	return make_error(Errc::kernel_failure,
			  what + ": " + nl_geterror(nlerr < 0 ? -nlerr : nlerr));
}

} // namespace

Result<std::vector<IpAddress>> resolve_interface(const std::string &name)
{
	std::unique_ptr<nl_sock, SockDeleter> sock(nl_socket_alloc());
	if (!sock)
		return make_error(Errc::no_memory, "cannot allocate a netlink socket");
	if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
		return nl_failure(err, "cannot open a route netlink socket");

	nl_cache *raw = nullptr;
	if (int err = rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw); err < 0)
		return nl_failure(err, "cannot list network interfaces");
	std::unique_ptr<nl_cache, CacheDeleter> links(raw);
	const int ifindex = rtnl_link_name2i(links.get(), name.c_str());
	if (ifindex <= 0)
		return make_error(Errc::not_found, "no network interface '" + name + "'");

	raw = nullptr;
	if (int err = rtnl_addr_alloc_cache(sock.get(), &raw); err < 0)
		return nl_failure(err, "cannot list the addresses of " + name);
	std::unique_ptr<nl_cache, CacheDeleter> addrs(raw);

	struct Found {
		IpAddress ip;
		int rank;  // IPv4 before IPv6, global scope before host scope
	};
	std::vector<Found> found;
	for (nl_object *o = nl_cache_get_first(addrs.get()); o; o = nl_cache_get_next(o)) {
		auto *a = reinterpret_cast<rtnl_addr *>(o);
		if (rtnl_addr_get_ifindex(a) != ifindex)
			continue;
		const int family = rtnl_addr_get_family(a);
		if (family != AF_INET && family != AF_INET6)
			continue;
		const int scope = rtnl_addr_get_scope(a);
		// Link-local addresses need a scope id nvmet cannot take;
		// tentative ones cannot be bound yet.
		if (scope != RT_SCOPE_UNIVERSE && scope != RT_SCOPE_SITE && scope != RT_SCOPE_HOST)
			continue;
		if (rtnl_addr_get_flags(a) & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
			continue;
		nl_addr *local = rtnl_addr_get_local(a);
		if (!local)
			continue;
		char buf[INET6_ADDRSTRLEN] = {};
		if (!::inet_ntop(family, nl_addr_get_binary_addr(local), buf, sizeof(buf)))
			continue;
		int rank = (family == AF_INET ? 0 : 2) + (scope == RT_SCOPE_HOST ? 1 : 0);
		found.push_back({IpAddress{family == AF_INET ? "ipv4" : "ipv6", buf}, rank});
	}
	std::stable_sort(found.begin(), found.end(),
			 [](const Found &x, const Found &y) { return x.rank < y.rank; });
	std::vector<IpAddress> out;
	for (auto &f : found)
		out.push_back(std::move(f.ip));
	return out;
}

} // namespace storctl::nvmet
