// Netlink::addRule / removeRule: a RuleSpec as an RTM_NEWRULE/RTM_DELRULE request.
// libnl-route-3.7 has setters for most FRA_* attributes; the few it lacks (uid range,
// suppressors, tunnel id, the "not" flag) are added to the built message with nla_put.
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/rule.h>

#include "net/netlink.hpp"

namespace xvrrp::net {

namespace {

struct RuleDeleter {
    void operator()(rtnl_rule* r) const { rtnl_rule_put(r); }
};
struct AddrDeleter {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct MsgDeleter {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};

std::unique_ptr<nl_addr, AddrDeleter> toNlPrefix(const IpPrefix& p) {
    const int af = p.addr.isV4() ? AF_INET : AF_INET6;
    std::unique_ptr<nl_addr, AddrDeleter> a(nl_addr_build(af, p.addr.data(), p.addr.size()));
    if (!a) throw NetError("nl_addr_build " + p.str() + ": out of memory");
    nl_addr_set_prefixlen(a.get(), p.len);
    return a;
}

std::unique_ptr<rtnl_rule, RuleDeleter> buildRule(const RuleSpec& r) {
    std::unique_ptr<rtnl_rule, RuleDeleter> rule(rtnl_rule_alloc());
    if (!rule) throw NetError("rtnl_rule_alloc rule '" + r.text + "': out of memory");
    rtnl_rule* x = rule.get();
    rtnl_rule_set_family(x, r.family == Family::V4 ? AF_INET : AF_INET6);
    rtnl_rule_set_action(x, r.action);
    if (r.table) rtnl_rule_set_table(x, *r.table);
    if (r.goto_target) rtnl_rule_set_goto(x, *r.goto_target);
    if (r.priority) rtnl_rule_set_prio(x, *r.priority);
    if (r.tos) rtnl_rule_set_dsfield(x, *r.tos);
    if (r.fwmark) rtnl_rule_set_mark(x, *r.fwmark);
    if (r.fwmask) rtnl_rule_set_mask(x, *r.fwmask);
    if (r.realms) rtnl_rule_set_realms(x, *r.realms);
    if (r.l3mdev) rtnl_rule_set_l3mdev(x, 1);
    if (r.protocol) rtnl_rule_set_protocol(x, *r.protocol);
    if (r.ip_proto) rtnl_rule_set_ipproto(x, *r.ip_proto);
    if (r.sport) rtnl_rule_set_sport_range(x, r.sport->start, r.sport->end);
    if (r.dport) rtnl_rule_set_dport_range(x, r.dport->start, r.dport->end);
    if (!r.iif.empty() && rtnl_rule_set_iif(x, r.iif.c_str()) < 0)
        throw NetError("rtnl_rule_set_iif rule '" + r.text + "': interface name too long");
    if (!r.oif.empty() && rtnl_rule_set_oif(x, r.oif.c_str()) < 0)
        throw NetError("rtnl_rule_set_oif rule '" + r.text + "': interface name too long");
    if (r.from) {
        if (int err = rtnl_rule_set_src(x, toNlPrefix(*r.from).get()); err < 0)
            throwNl("rtnl_rule_set_src", "rule '" + r.text + "'", err);
    }
    if (r.to) {
        if (int err = rtnl_rule_set_dst(x, toNlPrefix(*r.to).get()); err < 0)
            throwNl("rtnl_rule_set_dst", "rule '" + r.text + "'", err);
    }
    return rule;
}

// The attributes libnl-route-3.7 cannot set, appended to a built request.
int addExtras(nl_msg* msg, const RuleSpec& r) {
    auto* frh = static_cast<fib_rule_hdr*>(nlmsg_data(nlmsg_hdr(msg)));
    if (r.invert) frh->flags |= FIB_RULE_INVERT;
    int err = 0;
    if (r.uid_range && !err) {
        fib_rule_uid_range u{r.uid_range->first, r.uid_range->second};
        err = nla_put(msg, FRA_UID_RANGE, sizeof(u), &u);
    }
    if (r.suppress_prefixlen && !err)
        err = nla_put_u32(msg, FRA_SUPPRESS_PREFIXLEN, *r.suppress_prefixlen);
    if (r.suppress_ifgroup && !err)
        err = nla_put_u32(msg, FRA_SUPPRESS_IFGROUP, *r.suppress_ifgroup);
    if (r.tunnel_id && !err) err = nla_put_u64(msg, FRA_TUN_ID, htobe64(*r.tunnel_id));
    return err;
}

}  // namespace

bool Netlink::sendRule(const RuleSpec& r, bool add) {
    const char* call = add ? "rtnl_rule_add" : "rtnl_rule_delete";
    const std::string what = "rule '" + r.text + "'";
    auto rule = buildRule(r);
    nl_msg* raw = nullptr;
    // NLM_F_EXCL: without it the kernel adds a duplicate of an identical rule.
    int err = add ? rtnl_rule_build_add_request(rule.get(), NLM_F_EXCL, &raw)
                  : rtnl_rule_build_delete_request(rule.get(), 0, &raw);
    std::unique_ptr<nl_msg, MsgDeleter> msg(raw);
    if (err < 0) throwNl(call, what, err);
    if (int e = addExtras(msg.get(), r); e < 0) throwNl(call, what, e);
    err = nl_send_auto_complete(sock_, msg.get());
    if (err >= 0) err = nl_wait_for_ack(sock_);
    if (add && err == -NLE_EXIST) return false;
    if (!add && (err == -NLE_OBJ_NOTFOUND || err == -NLE_NOADDR)) return false;
    if (err < 0) throwNl(call, what, err);
    return true;
}

void Netlink::addRule(const RuleSpec& r) { sendRule(r, true); }
bool Netlink::removeRule(const RuleSpec& r) { return sendRule(r, false); }

}  // namespace xvrrp::net
