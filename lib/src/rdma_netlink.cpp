// SPDX-License-Identifier: MIT
//
// RDMA links through RDMA netlink (NETLINK_RDMA, client RDMA_NL_NLDEV)
// with libnl-3 core: RDMA_NLDEV_CMD_GET and PORT_GET dumps to list,
// NEWLINK (DEV_NAME, LINK_TYPE "rxe", NDEV_NAME) to create, DELLINK
// (DEV_INDEX) to remove.  RDMA netlink messages have no family header:
// the attributes follow the nlmsghdr directly.
#include <storctl/rdma.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <rdma/rdma_netlink.h>

namespace storctl::rdma {

namespace {

struct SockDeleter {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
};
struct MsgDeleter {
	void operator()(nl_msg *m) const { nlmsg_free(m); }
};
using Sock = std::unique_ptr<nl_sock, SockDeleter>;
using Msg = std::unique_ptr<nl_msg, MsgDeleter>;

constexpr int nldev_type(int cmd)
{
	return RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd);
}

Error nl_failure(int nlerr, const std::string &what)
{
	return make_error(Errc::kernel_failure, what + ": " + nl_geterror(nlerr < 0 ? -nlerr : nlerr));
}

Result<Sock> open_socket()
{
	Sock sock(nl_socket_alloc());
	if (!sock)
		return make_error(Errc::no_memory, "cannot allocate a netlink socket");
	if (int err = nl_connect(sock.get(), NETLINK_RDMA); err < 0)
		return make_error(Errc::unsupported,
				  std::string("cannot open an RDMA netlink socket (is ib_core loaded?): ") +
				  nl_geterror(-err));
	// Dumps end with NLMSG_DONE; only NEWLINK and DELLINK ask for an ack.
	nl_socket_disable_auto_ack(sock.get());
	return sock;
}

/// What one request collects: the kernel's errno and the parsed replies.
struct Exchange {
	int err = 0;
	std::vector<Link> links;
	bool ports = false;  ///< replies are PORT_GET (else GET)
};

int on_error(sockaddr_nl *, nlmsgerr *e, void *arg)
{
	static_cast<Exchange *>(arg)->err = e->error < 0 ? -e->error : e->error;
	return NL_STOP;
}

int on_valid(nl_msg *msg, void *arg)
{
	auto *x = static_cast<Exchange *>(arg);
	nlattr *tb[RDMA_NLDEV_ATTR_MAX] = {};
	if (nlmsg_parse(nlmsg_hdr(msg), 0, tb, RDMA_NLDEV_ATTR_MAX - 1, nullptr) < 0)
		return NL_SKIP;
	if (!tb[RDMA_NLDEV_ATTR_DEV_INDEX] || !tb[RDMA_NLDEV_ATTR_DEV_NAME])
		return NL_SKIP;
	Link l;
	l.index = nla_get_u32(tb[RDMA_NLDEV_ATTR_DEV_INDEX]);
	l.name = nla_get_string(tb[RDMA_NLDEV_ATTR_DEV_NAME]);
	if (x->ports) {
		if (tb[RDMA_NLDEV_ATTR_PORT_INDEX])
			l.port = nla_get_u32(tb[RDMA_NLDEV_ATTR_PORT_INDEX]);
		if (tb[RDMA_NLDEV_ATTR_PORT_STATE])
			l.state = port_state_text(nla_get_u8(tb[RDMA_NLDEV_ATTR_PORT_STATE]));
		if (tb[RDMA_NLDEV_ATTR_PORT_PHYS_STATE])
			l.physical_state = phys_state_text(nla_get_u8(tb[RDMA_NLDEV_ATTR_PORT_PHYS_STATE]));
		if (tb[RDMA_NLDEV_ATTR_NDEV_NAME])
			l.netdev = nla_get_string(tb[RDMA_NLDEV_ATTR_NDEV_NAME]);
	}
	x->links.push_back(std::move(l));
	return NL_OK;
}

/// Send @msg and read the answers (a dump, or the ack) into @x.
Result<void> exchange(nl_sock *sock, nl_msg *msg, Exchange &x, const std::string &what)
{
	if (int err = nl_send_auto(sock, msg); err < 0)
		return nl_failure(err, what);
	std::unique_ptr<nl_cb, void (*)(nl_cb *)> cb(nl_cb_alloc(NL_CB_DEFAULT), nl_cb_put);
	if (!cb)
		return make_error(Errc::no_memory, "cannot allocate netlink callbacks");
	nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
	nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &x);
	int rc = nl_recvmsgs(sock, cb.get());
	if (x.err)
		return Error{errc_from_errno(x.err), x.err, what + ": " + std::strerror(x.err)};
	if (rc < 0)
		return nl_failure(rc, what);
	return ok();
}

Result<std::vector<Link>> list_devices(nl_sock *sock)
{
	Msg msg(nlmsg_alloc_simple(nldev_type(RDMA_NLDEV_CMD_GET), NLM_F_REQUEST | NLM_F_DUMP));
	if (!msg)
		return make_error(Errc::no_memory, "cannot allocate a netlink message");
	Exchange x;
	if (auto r = exchange(sock, msg.get(), x, "cannot list RDMA devices"); !r)
		return std::move(r).error();
	return std::move(x.links);
}

Result<std::vector<Link>> list_ports(nl_sock *sock, const Link &dev)
{
	Msg msg(nlmsg_alloc_simple(nldev_type(RDMA_NLDEV_CMD_PORT_GET), NLM_F_REQUEST | NLM_F_DUMP));
	if (!msg || nla_put_u32(msg.get(), RDMA_NLDEV_ATTR_DEV_INDEX, dev.index) < 0)
		return make_error(Errc::no_memory, "cannot build a netlink message");
	Exchange x;
	x.ports = true;
	if (auto r = exchange(sock, msg.get(), x, "cannot list the ports of " + dev.name); !r)
		return std::move(r).error();
	return std::move(x.links);
}

Result<std::vector<Link>> list_all(nl_sock *sock)
{
	auto devs = list_devices(sock);
	if (!devs)
		return devs;
	std::vector<Link> out;
	for (const Link &d : *devs) {
		auto ports = list_ports(sock, d);
		if (!ports) {
			if (ports.error().code == Errc::not_found)
				continue;  // removed meanwhile
			return ports;
		}
		if (ports->empty())
			out.push_back(d);
		for (Link &p : *ports)
			out.push_back(std::move(p));
	}
	std::sort(out.begin(), out.end(), [](const Link &a, const Link &b) {
		return a.index != b.index ? a.index < b.index : a.port < b.port;
	});
	return out;
}

bool good_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

} // namespace

Result<void> validate_link_name(std::string_view name)
{
	if (name.empty() || name.size() > kMaxLinkName ||
	    !std::all_of(name.begin(), name.end(), good_char) || name == "." || name == "..")
		return make_error(Errc::invalid_argument,
				  "invalid RDMA link name '" + std::string(name) + "': 1 to " +
				  std::to_string(kMaxLinkName) +
				  " letters, digits, '.', '_' or '-' (e.g. rxe0)");
	return ok();
}

Result<void> validate_netdev_name(std::string_view name)
{
	bool good = !name.empty() && name.size() <= kMaxNetdevName && name != "." && name != "..";
	for (unsigned char c : name)
		if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f)
			good = false;
	if (!good)
		return make_error(Errc::invalid_argument,
				  "invalid network interface name '" + std::string(name) + "': 1 to " +
				  std::to_string(kMaxNetdevName) +
				  " characters without '/', ':' or whitespace");
	return ok();
}

std::string port_state_text(unsigned state)
{
	static const char *const names[] = {"NOP", "DOWN", "INIT", "ARMED", "ACTIVE", "ACTIVE_DEFER"};
	if (state < std::size(names))
		return names[state];
	return "UNKNOWN(" + std::to_string(state) + ")";
}

std::string phys_state_text(unsigned state)
{
	static const char *const names[] = {"NOP", "SLEEP", "POLLING", "DISABLED",
					    "PORT_CONFIGURATION_TRAINING", "LINK_UP",
					    "LINK_ERROR_RECOVERY", "PHY_TEST"};
	if (state < std::size(names))
		return names[state];
	return "UNKNOWN(" + std::to_string(state) + ")";
}

std::string default_link_name(const std::vector<Link> &links)
{
	std::set<std::string> taken;
	for (const Link &l : links)
		taken.insert(l.name);
	for (unsigned i = 0;; i++)
		if (!taken.count("rxe" + std::to_string(i)))
			return "rxe" + std::to_string(i);
}

Result<std::vector<Link>> list_links()
{
	auto sock = open_socket();
	if (!sock)
		return std::move(sock).error();
	return list_all(sock->get());
}

Result<Link> add_link(std::string_view name_in, std::string_view netdev)
{
	if (!name_in.empty())
		if (auto r = validate_link_name(name_in); !r)
			return std::move(r).error();
	if (auto r = validate_netdev_name(netdev); !r)
		return std::move(r).error();
	auto sock = open_socket();
	if (!sock)
		return std::move(sock).error();
	auto before = list_all(sock->get());
	if (!before)
		return std::move(before).error();
	const std::string nd(netdev);
	const std::string name = name_in.empty() ? default_link_name(*before) : std::string(name_in);
	for (const Link &l : *before) {
		if (l.name == name)
			return Error{Errc::exists, EEXIST, "RDMA link " + name + " already exists"};
		if (!l.netdev.empty() && l.netdev == nd)
			return Error{Errc::exists, EEXIST,
				     nd + " already has the RDMA link " + l.name};
	}

	Msg msg(nlmsg_alloc_simple(nldev_type(RDMA_NLDEV_CMD_NEWLINK), NLM_F_REQUEST | NLM_F_ACK));
	if (!msg || nla_put_string(msg.get(), RDMA_NLDEV_ATTR_DEV_NAME, name.c_str()) < 0 ||
	    nla_put_string(msg.get(), RDMA_NLDEV_ATTR_LINK_TYPE, "rxe") < 0 ||
	    nla_put_string(msg.get(), RDMA_NLDEV_ATTR_NDEV_NAME, nd.c_str()) < 0)
		return make_error(Errc::no_memory, "cannot build a netlink message");
	Exchange x;
	const std::string what = "cannot add RDMA link " + name + " on " + nd;
	if (auto r = exchange(sock->get(), msg.get(), x, what); !r) {
		Error e = std::move(r).error();
		if (e.sys_errno == ENODEV)
			return Error{Errc::not_found, ENODEV, what + ": no network interface " + nd};
		if (e.sys_errno == EPERM)
			return Error{Errc::permission_denied, EPERM, what + ": needs CAP_NET_ADMIN (root)"};
		if (e.sys_errno == EINVAL)
			return Error{Errc::unsupported, EINVAL,
				     what + ": the kernel refused it (is rdma_rxe available?)"};
		return e;
	}
	auto after = list_all(sock->get());
	if (!after)
		return std::move(after).error();
	for (const Link &l : *after)
		if (l.name == name)
			return l;
	return make_error(Errc::internal, "RDMA link " + name + " was added but is not listed");
}

Result<void> delete_link(std::string_view name_in)
{
	if (auto r = validate_link_name(name_in); !r)
		return r;
	const std::string name(name_in);
	auto sock = open_socket();
	if (!sock)
		return std::move(sock).error();
	auto devs = list_devices(sock->get());
	if (!devs)
		return std::move(devs).error();
	auto it = std::find_if(devs->begin(), devs->end(), [&](const Link &l) { return l.name == name; });
	if (it == devs->end())
		return Error{Errc::not_found, ENODEV, "no RDMA link " + name};
	Msg msg(nlmsg_alloc_simple(nldev_type(RDMA_NLDEV_CMD_DELLINK), NLM_F_REQUEST | NLM_F_ACK));
	if (!msg || nla_put_u32(msg.get(), RDMA_NLDEV_ATTR_DEV_INDEX, it->index) < 0)
		return make_error(Errc::no_memory, "cannot build a netlink message");
	Exchange x;
	const std::string what = "cannot delete RDMA link " + name;
	if (auto r = exchange(sock->get(), msg.get(), x, what); !r) {
		Error e = std::move(r).error();
		if (e.sys_errno == EINVAL)
			return Error{Errc::unsupported, EINVAL,
				     what + ": the kernel refused it (only links made with 'link add' "
				     "can be deleted)"};
		if (e.sys_errno == EPERM)
			return Error{Errc::permission_denied, EPERM, what + ": needs CAP_NET_ADMIN (root)"};
		return e;
	}
	return ok();
}

} // namespace storctl::rdma
