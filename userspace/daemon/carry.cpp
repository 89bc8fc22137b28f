#include "daemon/carry.hpp"

#include <stdexcept>

#include "dataplane/dataplane.hpp"
#include "net/sysctl.hpp"

namespace xvrrp::daemon {
namespace {

using nlohmann::json;

json optAddr(const std::optional<IpAddr>& a) { return a ? json(a->str()) : json(); }

IpAddr addr(const json& j) {
    auto a = IpAddr::parse(j.get<std::string>());
    if (!a) throw std::runtime_error("not an address: " + j.dump());
    return *a;
}

std::optional<IpAddr> optAddrOf(const json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    return addr(j[key]);
}

IpPrefix prefix(const json& j) {
    auto p = IpPrefix::parse(j.get<std::string>());
    if (!p) throw std::runtime_error("not a prefix: " + j.dump());
    return *p;
}

template <class T>
std::optional<T> optNum(const json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    return j[key].get<T>();
}

}  // namespace

json toJson(const config::VirtualAddress& a) {
    return {{"prefix", a.prefix.str()},
            {"broadcast", optAddr(a.broadcast)},
            {"broadcast_auto", a.broadcast_auto},
            {"peer", optAddr(a.peer)},
            {"dev", a.dev},
            {"scope", a.scope},
            {"label", a.label},
            {"home", a.home},
            {"nodad", a.nodad},
            {"noprefixroute", a.noprefixroute},
            {"autojoin", a.autojoin},
            {"no_track", a.no_track},
            {"extra", a.extra}};
}

config::VirtualAddress addressFromJson(const json& j) {
    config::VirtualAddress a;
    a.prefix = prefix(j.at("prefix"));
    a.broadcast = optAddrOf(j, "broadcast");
    a.broadcast_auto = j.value("broadcast_auto", false);
    a.peer = optAddrOf(j, "peer");
    a.dev = j.value("dev", "");
    a.scope = j.value("scope", "");
    a.label = j.value("label", "");
    a.home = j.value("home", false);
    a.nodad = j.value("nodad", false);
    a.noprefixroute = j.value("noprefixroute", false);
    a.autojoin = j.value("autojoin", false);
    a.no_track = j.value("no_track", false);
    a.extra = j.value("extra", std::vector<std::string>{});
    return a;
}

json toJson(const config::Route& r) {
    json j = {{"to", r.to.str()},         {"src", optAddr(r.src)},
              {"blackhole", r.blackhole}, {"unreachable", r.unreachable},
              {"prohibit", r.prohibit},   {"throw", r.throw_},
              {"via", optAddr(r.via)},    {"dev", r.dev},
              {"scope", r.scope},         {"onlink", r.onlink},
              {"no_track", r.no_track},   {"extra", r.extra}};
    j["table"] = r.table ? json(*r.table) : json();
    j["metric"] = r.metric ? json(*r.metric) : json();
    j["protocol"] = r.protocol ? json(*r.protocol) : json();
    return j;
}

config::Route routeFromJson(const json& j) {
    config::Route r;
    r.to = prefix(j.at("to"));
    r.src = optAddrOf(j, "src");
    r.blackhole = j.value("blackhole", false);
    r.unreachable = j.value("unreachable", false);
    r.prohibit = j.value("prohibit", false);
    r.throw_ = j.value("throw", false);
    r.via = optAddrOf(j, "via");
    r.dev = j.value("dev", "");
    r.scope = j.value("scope", "");
    r.table = optNum<uint32_t>(j, "table");
    r.metric = optNum<uint32_t>(j, "metric");
    r.protocol = optNum<uint8_t>(j, "protocol");
    r.onlink = j.value("onlink", false);
    r.no_track = j.value("no_track", false);
    r.extra = j.value("extra", std::vector<std::string>{});
    return r;
}

Ledger::Carry carryAddress(int ifindex, const config::VirtualAddress& a) {
    return {"address", {{"ifindex", ifindex}, {"address", toJson(a)}}};
}

Ledger::Carry carryRoute(int ifindex, const config::Route& r) {
    return {"route", {{"ifindex", ifindex}, {"route", toJson(r)}}};
}

Ledger::Carry carryRule(const config::Rule& r) { return {"rule", {{"words", r.words}}}; }

Ledger::Carry carryVmac(const net::Vmac& v) {
    return {"vmac",
            {{"ifindex", v.ifindex},
             {"name", v.name},
             {"mac", v.mac},
             {"base_ifindex", v.base_ifindex},
             {"base_name", v.base_name},
             {"family", static_cast<int>(v.family)}}};
}

Ledger::Carry carrySysctl(Family f, const std::string& ifname, const std::string& key, int before) {
    return {
        "sysctl",
        {{"family", static_cast<int>(f)}, {"ifname", ifname}, {"key", key}, {"before", before}}};
}

Ledger::Carry carryInterface(const char* kind, int ifindex, const std::string& ifname) {
    return {kind, {{"ifindex", ifindex}, {"ifname", ifname}}};
}

Ledger::Rebuild rebuilder(net::Netlink& nl, dataplane::Dataplane& dp) {
    return [&nl, &dp](const std::string& kind, const json& d) -> Ledger::Undo {
        if (kind == "address") {
            const int ifindex = d.at("ifindex").get<int>();
            auto a = addressFromJson(d.at("address"));
            return [&nl, ifindex, a] { nl.removeAddress(ifindex, a); };
        }
        if (kind == "route") {
            const int ifindex = d.at("ifindex").get<int>();
            auto r = routeFromJson(d.at("route"));
            return [&nl, ifindex, r] { nl.removeRoute(r, ifindex); };
        }
        if (kind == "rule") {
            config::Rule r;
            r.words = d.at("words").get<std::vector<std::string>>();
            return [&nl, r] { nl.removeRule(r); };
        }
        if (kind == "vmac") {
            net::Vmac v;
            v.ifindex = d.at("ifindex").get<int>();
            v.name = d.at("name").get<std::string>();
            v.mac = d.at("mac").get<net::MacAddr>();
            v.base_ifindex = d.at("base_ifindex").get<int>();
            v.base_name = d.at("base_name").get<std::string>();
            v.family = d.at("family").get<int>() == 6 ? Family::V6 : Family::V4;
            return [&nl, v] { nl.deleteVmac(v); };
        }
        if (kind == "sysctl") {
            const Family f = d.at("family").get<int>() == 6 ? Family::V6 : Family::V4;
            auto ifname = d.at("ifname").get<std::string>();
            auto key = d.at("key").get<std::string>();
            const int before = d.at("before").get<int>();
            return [f, ifname, key, before] { net::writeConfSysctl(f, ifname, key, before); };
        }
        if (kind == "clsact" || kind == "xdp") {
            const int ifindex = d.at("ifindex").get<int>();
            auto ifname = d.at("ifname").get<std::string>();
            // The qdisc the predecessor created is ours to remove; so is its program where
            // this configuration attaches none (otherwise attach() replaced and claimed it).
            if (kind == "clsact")
                return [&dp, ifindex, ifname] {
                    dp.adoptClsact(ifindex);
                    dp.destroyClsact(ifindex, ifname);
                };
            return [&dp, ifindex, ifname] { dp.detachLeftover(ifindex, ifname); };
        }
        throw std::runtime_error("unknown kind '" + kind + "'");
    };
}

}  // namespace xvrrp::daemon
