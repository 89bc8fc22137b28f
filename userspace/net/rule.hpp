#pragma once
// Policy routing rules (virtual_rules, static_rules). The parser reads the words that
// config::Rule keeps verbatim, with keepalived 2.2.7's grammar (vrrp_iprule.c
// alloc_rule): from/to PREFIX, table|lookup T, preference|priority|order N, tos|dsfield
// N, fwmark M[/MASK], realms [F/]T, suppress_prefixlength|sup_pl N,
// suppress_ifgroup|sup_group N, iif|dev IF, oif IF, tunnel-id N, uidrange A-B, l3mdev,
// protocol N, ipproto P, sport A[-B], dport A[-B], not, inet, inet6, no_track,
// track_group G, [type] goto N|nop|blackhole|unreachable|prohibit.
// Pure: no I/O except reading iproute2's rt_tables names for "table NAME".

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip.hpp"
#include "config/config.hpp"
#include "net/error.hpp"

namespace xvrrp::net {

// A rule the parser refused. word is the 0-based index of the offending word in the
// rule (words.size() for "something is missing at the end").
class RuleError : public NetError {
  public:
    RuleError(const std::string& what, size_t word) : NetError(what), word_(word) {}
    size_t word() const { return word_; }

  private:
    size_t word_;
};

struct PortRange {
    uint16_t start = 0, end = 0;
    bool operator==(const PortRange&) const = default;
};

struct RuleSpec {
    std::string text;            // the words joined by spaces, for messages
    Family family = Family::V4;  // IPv4 unless an address or inet6 says otherwise
    std::optional<IpPrefix> from, to;
    bool invert = false;  // "not" (FIB_RULE_INVERT)
    uint8_t action = 0;   // FR_ACT_*; FR_ACT_TO_TBL for table/l3mdev
    std::optional<uint32_t> table;
    std::optional<uint32_t> goto_target;
    std::optional<uint32_t> priority;
    std::optional<uint8_t> tos;
    std::optional<uint32_t> fwmark, fwmask;
    std::optional<uint32_t> realms;
    std::optional<uint32_t> suppress_prefixlen;
    std::optional<uint32_t> suppress_ifgroup;
    std::string iif, oif;
    std::optional<uint64_t> tunnel_id;
    std::optional<std::pair<uint32_t, uint32_t>> uid_range;
    bool l3mdev = false;
    std::optional<uint8_t> protocol;  // RTPROT_KEEPALIVED unless no_track
    std::optional<uint8_t> ip_proto;
    std::optional<PortRange> sport, dport;
    bool no_track = false;
    std::string track_group;

    bool operator==(const RuleSpec&) const = default;
};

// keepalived numbers rules given without a preference 16384, 16383, ... per family, in
// the order it reads them, so that re-adding one finds the same rule. One counter for
// the whole config (static_rules, then each instance's virtual_rules, in config order).
class DefaultRulePriority {
  public:
    static constexpr uint32_t kStart = 16384;
    uint32_t take(Family f) { return f == Family::V4 ? v4_-- : v6_--; }

  private:
    uint32_t v4_ = kStart, v6_ = kStart;
};

// Parses one rule. Throws RuleError naming the rule, the word and its position, e.g.
//   "rule 'from 10.0.0.0/8 tabel 5': word 3 'tabel': unknown rule option".
// A rule without preference takes one from prio when given; without prio it stays unset
// and the kernel chooses (then adding twice is not idempotent).
RuleSpec parseRule(const std::vector<std::string>& words, DefaultRulePriority* prio = nullptr);

// The rule of a keepalived.conf line, with the preference the configuration gave it.
inline RuleSpec ruleSpec(const config::Rule& r) {
    RuleSpec s = parseRule(r.words);
    if (!s.priority) s.priority = r.preference;
    return s;
}

// "main" 254, "local" 255, "default" 253, a number, or a name from iproute2's rt_tables.
std::optional<uint32_t> lookupRouteTable(const std::string& name);

}  // namespace xvrrp::net
