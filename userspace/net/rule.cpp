#include "net/rule.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace xvrrp::net {

namespace {

// Unsigned number in decimal, or hex with 0x (keepalived reads with base 0).
template <typename T>
std::optional<T> parseNumber(std::string_view s) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    T v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<uint32_t> tableFromFile(const std::string& path, const std::string& name) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string num, n;
        if (!(ls >> num >> n) || num[0] == '#') continue;
        if (n == name) return parseNumber<uint32_t>(num);
    }
    return std::nullopt;
}

std::optional<uint8_t> ipProtoByName(const std::string& s) {
    static const std::pair<const char*, uint8_t> kNames[] = {
        {"icmp", 1},    {"igmp", 2},   {"tcp", 6},       {"udp", 17},
        {"gre", 47},    {"esp", 50},   {"ah", 51},       {"ipv6-icmp", 58},
        {"icmpv6", 58}, {"sctp", 132}, {"udplite", 136},
    };
    std::string lower;
    for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [n, v] : kNames)
        if (lower == n) return v;
    return parseNumber<uint8_t>(s);
}

std::optional<PortRange> parsePorts(const std::string& s) {
    const auto dash = s.find('-');
    auto a = parseNumber<uint16_t>(std::string_view(s).substr(0, dash));
    if (!a) return std::nullopt;
    if (dash == std::string::npos) return PortRange{*a, *a};
    auto b = parseNumber<uint16_t>(std::string_view(s).substr(dash + 1));
    if (!b || *b < *a) return std::nullopt;
    return PortRange{*a, *b};
}

class Parser {
  public:
    Parser(const std::vector<std::string>& words, RuleSpec& r) : w_(words), r_(r) {}

    [[noreturn]] void fail(size_t i, const std::string& why) const {
        std::string msg = "rule '" + r_.text + "': ";
        if (i < w_.size())
            msg += "word " + std::to_string(i + 1) + " '" + w_[i] + "': ";
        else
            msg += "at the end: ";
        throw RuleError(msg + why, i);
    }

    // The value after keyword i; i moves onto it.
    const std::string& value(size_t& i) const {
        if (i + 1 >= w_.size()) fail(w_.size(), "'" + w_[i] + "' needs a value");
        return w_[++i];
    }

    template <typename T>
    T number(size_t& i, const char* what) const {
        const std::string& v = value(i);
        auto n = parseNumber<T>(v);
        if (!n) fail(i, std::string("expected ") + what);
        return *n;
    }

    void family(Family f, size_t i) {
        if (family_given_ && r_.family != f) fail(i, "rule specification has mixed IPv4 and IPv6");
        r_.family = f;
        family_given_ = true;
    }

    // "all" (iproute2's word for any address) leaves the selector out, as ip rule does.
    std::optional<IpPrefix> prefix(size_t& i) {
        const std::string& v = value(i);
        if (v == "all" || v == "default") return std::nullopt;
        auto p = IpPrefix::parse(v);
        if (!p) fail(i, "expected an address or prefix");
        family(p->addr.family(), i);
        return *p;
    }

    void action(uint8_t a, size_t i) {
        if (r_.action != FR_ACT_UNSPEC)
            fail(i, "more than one of table/goto/nop/blackhole/prohibit/unreachable/l3mdev");
        r_.action = a;
    }

    void run() {
        for (size_t i = 0; i < w_.size(); ++i) word(i);
        finish();
    }

    bool family_given_ = false;
    bool table_option_ = false;  // realms and suppressors apply to table lookups only
    size_t goto_word_ = 0;

  private:
    void word(size_t& i);
    void finish();

    const std::vector<std::string>& w_;
    RuleSpec& r_;
};

void Parser::word(size_t& i) {
    const std::string& k = w_[i];
    if (k == "inet6") {
        family(Family::V6, i);
    } else if (k == "inet") {
        family(Family::V4, i);
    } else if (k == "from") {
        r_.from = prefix(i);
    } else if (k == "to") {
        r_.to = prefix(i);
    } else if (k == "table" || k == "lookup") {
        const std::string& v = value(i);
        auto t = lookupRouteTable(v);
        if (!t) fail(i, "routing table not found");
        if (*t == 0) fail(i, "table 0 is not valid");
        action(FR_ACT_TO_TBL, i);
        r_.table = *t;
    } else if (k == "not") {
        r_.invert = true;
    } else if (k == "preference" || k == "priority" || k == "order" || k == "prio") {
        r_.priority = number<uint32_t>(i, "a preference 0..4294967295");
    } else if (k == "tos" || k == "dsfield") {
        r_.tos = number<uint8_t>(i, "a TOS value 0..255");
    } else if (k == "fwmark") {
        const std::string& v = value(i);
        const auto slash = v.find('/');
        auto mark = parseNumber<uint32_t>(std::string_view(v).substr(0, slash));
        if (!mark) fail(i, "expected fwmark MARK[/MASK]");
        r_.fwmark = *mark;
        if (slash != std::string::npos) {
            auto mask = parseNumber<uint32_t>(std::string_view(v).substr(slash + 1));
            if (!mask) fail(i, "expected fwmark MARK[/MASK]");
            r_.fwmask = *mask;
        }
    } else if (k == "realms") {
        const std::string& v = value(i);
        const auto slash = v.find('/');
        auto to = parseNumber<uint16_t>(slash == std::string::npos
                                            ? std::string_view(v)
                                            : std::string_view(v).substr(slash + 1));
        std::optional<uint16_t> from = uint16_t{0};
        if (slash != std::string::npos)
            from = parseNumber<uint16_t>(std::string_view(v).substr(0, slash));
        if (!to || !from) fail(i, "expected realms [FROM/]TO as numbers");
        r_.realms = (uint32_t{*from} << 16) | *to;
        table_option_ = true;
        family(Family::V4, i);  // realms are IPv4 only
    } else if (k == "suppress_prefixlength" || k == "sup_pl") {
        r_.suppress_prefixlen = number<uint32_t>(i, "a prefix length");
        if (*r_.suppress_prefixlen > INT32_MAX) fail(i, "expected a prefix length");
        table_option_ = true;
    } else if (k == "suppress_ifgroup" || k == "sup_group") {
        r_.suppress_ifgroup = number<uint32_t>(i, "an interface group number");
        table_option_ = true;
    } else if (k == "iif" || k == "dev") {
        r_.iif = value(i);
    } else if (k == "oif") {
        r_.oif = value(i);
    } else if (k == "tunnel-id") {
        r_.tunnel_id = number<uint64_t>(i, "a tunnel id");
    } else if (k == "uidrange") {
        const std::string& v = value(i);
        const auto dash = v.find('-');
        std::optional<uint32_t> a, b;
        if (dash != std::string::npos) {
            a = parseNumber<uint32_t>(std::string_view(v).substr(0, dash));
            b = parseNumber<uint32_t>(std::string_view(v).substr(dash + 1));
        }
        if (!a || !b || *b < *a) fail(i, "expected uidrange START-END");
        r_.uid_range = std::pair{*a, *b};
    } else if (k == "l3mdev") {
        action(FR_ACT_TO_TBL, i);
        r_.l3mdev = true;
    } else if (k == "protocol") {
        r_.protocol = number<uint8_t>(i, "a protocol number 0..255");
    } else if (k == "ipproto" || k == "ip_proto") {
        auto p = ipProtoByName(value(i));
        if (!p) fail(i, "expected an IP protocol name or number");
        r_.ip_proto = *p;
    } else if (k == "sport" || k == "dport") {
        auto p = parsePorts(value(i));
        if (!p) fail(i, "expected a port or range A-B");
        (k == "sport" ? r_.sport : r_.dport) = *p;
    } else if (k == "no_track") {
        r_.no_track = true;
    } else if (k == "track_group") {
        r_.track_group = value(i);
    } else {
        size_t at = i;
        const std::string* a = &k;
        if (k == "type") a = &value(i);
        if (*a == "goto") {
            action(FR_ACT_GOTO, at);
            r_.goto_target = number<uint32_t>(i, "a goto target preference");
            goto_word_ = at;
        } else if (*a == "nop") {
            action(FR_ACT_NOP, at);
        } else if (*a == "blackhole") {
            action(FR_ACT_BLACKHOLE, at);
        } else if (*a == "unreachable") {
            action(FR_ACT_UNREACHABLE, at);
        } else if (*a == "prohibit") {
            action(FR_ACT_PROHIBIT, at);
        } else {
            fail(i, k == "type" ? "invalid rule action" : "unknown rule option");
        }
    }
}

void Parser::finish() {
    const size_t end = w_.size();
    if (r_.action == FR_ACT_UNSPEC)
        fail(end, "no action (table, goto, nop, blackhole, prohibit, unreachable or l3mdev)");
    if (r_.action == FR_ACT_GOTO) {
        if (!r_.priority) fail(goto_word_, "goto target given without preference");
        if (*r_.priority >= *r_.goto_target)
            fail(goto_word_, "preference " + std::to_string(*r_.priority) + " >= goto target " +
                                 std::to_string(*r_.goto_target));
    }
    if (r_.action != FR_ACT_TO_TBL && table_option_)
        fail(end, "realms/suppress_* given for a rule that does not look up a table");
    if (r_.table && r_.l3mdev) fail(end, "table cannot be given for l3mdev rules");
    // keepalived tags tracked rules with its protocol so it can recognise them later.
    if (!r_.no_track) r_.protocol = RTPROT_KEEPALIVED;
}

}  // namespace

std::optional<uint32_t> lookupRouteTable(const std::string& name) {
    if (name == "main") return RT_TABLE_MAIN;
    if (name == "local") return RT_TABLE_LOCAL;
    if (name == "default") return RT_TABLE_DEFAULT;
    if (auto n = parseNumber<uint32_t>(name)) return n;
    for (const char* f : {"/etc/iproute2/rt_tables", "/usr/share/iproute2/rt_tables",
                          "/usr/lib/iproute2/rt_tables"})
        if (auto n = tableFromFile(f, name)) return n;
    return std::nullopt;
}

RuleSpec parseRule(const std::vector<std::string>& words, DefaultRulePriority* prio) {
    RuleSpec r;
    for (const auto& w : words) r.text += (r.text.empty() ? "" : " ") + w;
    Parser p(words, r);
    p.run();
    if (!r.priority && prio) r.priority = prio->take(r.family);
    return r;
}

}  // namespace xvrrp::net
