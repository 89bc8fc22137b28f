// Rule parsing (no root): keepalived's words to a RuleSpec, and diagnostics that point
// at the offending word.
#include <gtest/gtest.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <sstream>

#include "net/netlink.hpp"
#include "net/rule.hpp"

namespace xvrrp::net {
namespace {

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

RuleSpec parse(const std::string& s) { return parseRule(words(s)); }

TEST(RuleParse, ManyWords) {
    auto r = parse(
        "from 192.168.28.0/24 to 192.168.29.0/26 table 100 iif xva oif xvb tos 22 "
        "fwmark 24/12 preference 39 realms 30/20");
    EXPECT_EQ(r.family, Family::V4);
    EXPECT_EQ(r.from, IpPrefix::parse("192.168.28.0/24"));
    EXPECT_EQ(r.to, IpPrefix::parse("192.168.29.0/26"));
    EXPECT_EQ(r.action, FR_ACT_TO_TBL);
    EXPECT_EQ(r.table, 100u);
    EXPECT_EQ(r.iif, "xva");
    EXPECT_EQ(r.oif, "xvb");
    EXPECT_EQ(r.tos, 22);
    EXPECT_EQ(r.fwmark, 24u);
    EXPECT_EQ(r.fwmask, 12u);
    EXPECT_EQ(r.priority, 39u);
    EXPECT_EQ(r.realms, (30u << 16) | 20u);
    EXPECT_EQ(r.protocol, RTPROT_KEEPALIVED);  // tracked rules carry keepalived's protocol
}

TEST(RuleParse, Ipv6PortsUidsAndNames) {
    auto r = parse(
        "to 1:2:3:4:6:6:7:0/112 from 8:6:5:4:3:2::/96 table main ipproto UDP "
        "sport 10-20 dport 30 uidrange 10000-19999 prio 7 no_track");
    EXPECT_EQ(r.family, Family::V6);
    EXPECT_EQ(r.table, uint32_t{RT_TABLE_MAIN});
    EXPECT_EQ(r.ip_proto, 17);
    EXPECT_EQ(r.sport, (PortRange{10, 20}));
    EXPECT_EQ(r.dport, (PortRange{30, 30}));
    EXPECT_EQ(r.uid_range, (std::pair<uint32_t, uint32_t>{10000, 19999}));
    EXPECT_EQ(r.priority, 7u);
    EXPECT_TRUE(r.no_track);
    EXPECT_EQ(r.protocol, std::nullopt);  // no_track: no protocol unless given
}

TEST(RuleParse, ActionsAndFlags) {
    EXPECT_EQ(parse("from all not fwmark 0x10 blackhole prio 5").action, FR_ACT_BLACKHOLE);
    EXPECT_TRUE(parse("from all not fwmark 0x10 blackhole prio 5").invert);
    EXPECT_EQ(parse("from all not fwmark 0x10 blackhole prio 5").from, std::nullopt);
    EXPECT_EQ(parse("fwmark 0x10 blackhole").fwmark, 16u);
    EXPECT_EQ(parse("type unreachable iif lo").action, FR_ACT_UNREACHABLE);
    EXPECT_EQ(parse("preference 10 goto 20").goto_target, 20u);
    EXPECT_TRUE(parse("l3mdev prio 1000").l3mdev);
    EXPECT_EQ(parse("inet6 nop prio 3").family, Family::V6);
    EXPECT_EQ(parse("to 10.0.0.0/8 table 5 suppress_prefixlength 0").suppress_prefixlen, 0u);
}

TEST(RuleParse, DefaultPriorityCountsDownPerFamily) {
    DefaultRulePriority prio;
    EXPECT_EQ(parseRule(words("from 10.0.0.0/8 table 5"), &prio).priority, 16384u);
    EXPECT_EQ(parseRule(words("from 10.1.0.0/16 table 5"), &prio).priority, 16383u);
    EXPECT_EQ(parseRule(words("from 2001:db8::/32 table 5"), &prio).priority, 16384u);
    EXPECT_EQ(parseRule(words("from 10.2.0.0/16 table 5 prio 9"), &prio).priority, 9u);
    EXPECT_EQ(parseRule(words("from 10.3.0.0/16 table 5"), &prio).priority, 16382u);
    EXPECT_EQ(parse("from 10.0.0.0/8 table 5").priority, std::nullopt);
}

// The message names the rule text, the word (1-based) and why; word() is 0-based.
void expectBad(const std::string& text, size_t word, const std::string& fragment) {
    try {
        parse(text);
        ADD_FAILURE() << "accepted: " << text;
    } catch (const RuleError& e) {
        EXPECT_EQ(e.word(), word) << e.what();
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("rule '" + text + "'"), std::string::npos) << e.what();
    }
}

TEST(RuleParse, BadWordsAreNamedWithTheirPosition) {
    expectBad("from 10.0.0.0/8 tabel 5", 2, "word 3 'tabel': unknown rule option");
    expectBad("from 10.0.0.300/8 table 5", 1, "word 2 '10.0.0.300/8': expected an address");
    expectBad("from 10.0.0.0/8 table", 3, "at the end: 'table' needs a value");
    expectBad("from 10.0.0.0/8 table nosuchtable", 3, "routing table not found");
    expectBad("from 10.0.0.0/8 table 0", 3, "table 0 is not valid");
    expectBad("from 10.0.0.0/8 to 2001:db8::/32 table 5", 3, "mixed IPv4 and IPv6");
    expectBad("from 10.0.0.0/8", 2, "no action");
    expectBad("from 10.0.0.0/8 table 5 blackhole", 4, "more than one of");
    expectBad("fwmark 0x10/zz table 5", 1, "expected fwmark MARK[/MASK]");
    expectBad("goto 20 prio 30", 0, "preference 30 >= goto target 20");
    expectBad("goto 20", 0, "goto target given without preference");
    expectBad("sport 20-10 table 5", 1, "expected a port or range");
    expectBad("uidrange 5 table 5", 1, "expected uidrange START-END");
    expectBad("realms 1/2 blackhole", 3, "does not look up a table");
    expectBad("type frobnicate", 1, "invalid rule action");
    expectBad("preference -1 table 5", 1, "expected a preference");
}

TEST(VmacPure, MacAndName) {
    EXPECT_EQ(vmacAddress(51, Family::V4), (MacAddr{0x00, 0x00, 0x5e, 0x00, 0x01, 51}));
    EXPECT_EQ(vmacAddress(255, Family::V6), (MacAddr{0x00, 0x00, 0x5e, 0x00, 0x02, 255}));
    EXPECT_EQ(vmacName("", 51), "vrrp.51");
    EXPECT_EQ(vmacName("vrrp51", 51), "vrrp51");
    EXPECT_EQ(vmacName("", 200, "averyveryverylongprefix"), "averyveryve.200");
    EXPECT_EQ(vmacName("", 200, "averyveryverylongprefix").size(), 15u);
}

}  // namespace
}  // namespace xvrrp::net
