// BfdTable on a fake clock: two tables (two daemons) wired through a fake transport that
// hands each sent packet to the other side, as the sockets would with TTL 255.
#include <gtest/gtest.h>

#include "bfd/packet.hpp"
#include "daemon/bfd_table.hpp"
#include "fakes.hpp"

namespace xvrrp::daemon {
namespace {

using namespace std::chrono_literals;
using vrrp::TimePoint;

config::Config bfdConfig(const std::string& self, const std::string& peer, const std::string& extra = "",
                         const std::string& name = "b1") {
    return load("bfd_instance " + name + " {\n neighbor_ip " + peer + "\n source_ip " + self +
                "\n min_rx 100\n min_tx 100\n multiplier 3\n" + extra + "}\n");
}

struct Sent {
    std::string name;
    bfd::Control packet;
};

class FakeTransport : public BfdTransport {
public:
    uint16_t open(const config::BfdInstance& cfg, uint16_t preferred) override {
        opened.push_back(cfg.name);
        return preferred;
    }
    void close(const std::string& name) override { closed.push_back(name); }
    bool send(const std::string& name, std::span<const uint8_t> bytes) override {
        auto c = bfd::decode(bytes);
        EXPECT_TRUE(static_cast<bool>(c));
        if (c) out.push_back({name, *c});
        return true;
    }
    void drain(const OnPacket& on_packet) override {
        auto q = std::exchange(waiting, {});
        for (const auto& w : q) on_packet(bfd::encode(w.packet), *IpAddr::parse(w.name), std::nullopt, 255, 0);
    }
    std::vector<Sent> waiting;  // arrived, not yet read (name: the source address)
    std::vector<std::string> opened, closed;
    std::vector<Sent> out;
};

// xv_rx as the table sees it: the expectations written, and a stamp per slot. With ABSORB,
// the wire hands it every packet first and it keeps the exact repeats (XDP_DROP).
class FakeKernel : public BfdKernel {
public:
    void expect(uint32_t d, const dataplane::BfdExpectation& e) override {
        held[d] = e;
        ++writes;
    }
    void forget(uint32_t d) override { held.erase(d); }
    void clear() override { held.clear(); }
    xv_bfd_seen seen(uint32_t slot) const override {
        auto it = stamps.find(slot);
        return it == stamps.end() ? xv_bfd_seen{} : it->second;
    }
    // True when the packet was absorbed.
    bool offer(const dataplane::BfdExpectation& arrived, uint32_t your_disc, TimePoint t) {
        auto it = held.find(your_disc);
        if (!absorb || it == held.end()) return false;
        dataplane::BfdExpectation cmp = arrived;
        cmp.slot = it->second.slot;
        if (!(cmp == it->second)) return false;
        auto& st = stamps[it->second.slot];
        st.last_seen_ns = static_cast<uint64_t>(t.since_boot.count());
        ++st.absorbed;
        return true;
    }
    bool absorb = true;  // false: XDP is not on the interface the packets arrive on
    std::map<uint32_t, dataplane::BfdExpectation> held;
    std::map<uint32_t, xv_bfd_seen> stamps;
    int writes = 0;
};

constexpr uint16_t kPeerPort = 50000;

struct Node {
    Node(const std::string& self, uint32_t seed)
        : self_addr(*IpAddr::parse(self)),
          table(transport, [this](const BfdSession& s, const bfd::StateChanged& c) {
              changes.push_back(s.cfg.name + ":" + bfd::name(c.to));
          }, seed) {}
    IpAddr self_addr;
    FakeTransport transport;
    BfdTable table;
    std::vector<std::string> changes;
};

// Runs both tables until UNTIL, delivering every packet (unless CUT) to the other side.
struct Wire {
    Node& a;
    Node& b;
    TimePoint now{};
    bool cut = false;
    uint8_t ttl = 255;

    void deliver() {
        for (int rounds = 0; rounds < 100; ++rounds) {
            auto from_a = std::exchange(a.transport.out, {});
            auto from_b = std::exchange(b.transport.out, {});
            if (from_a.empty() && from_b.empty()) return;
            if (cut) continue;
            for (const auto& s : from_a) feed(b, a, s);
            for (const auto& s : from_b) feed(a, b, s, ttl, now, kernel_a);
        }
    }
    static void feed(Node& to, Node& from, const Sent& s, uint8_t ttl, TimePoint t, FakeKernel* kernel = nullptr) {
        const auto bytes = bfd::encode(s.packet);
        if (kernel) {
            dataplane::BfdExpectation e;
            e.src = from.self_addr;
            e.dst = to.self_addr;
            e.src_port = kPeerPort;
            e.ttl = ttl;
            e.control = bytes;
            if (kernel->offer(e, s.packet.your_disc, t)) return;
        }
        to.table.receive(bytes, from.self_addr, to.self_addr, ttl, t, kPeerPort);
    }
    FakeKernel* kernel_a = nullptr;  // in front of a's socket
    void feed(Node& to, Node& from, const Sent& s) { feed(to, from, s, ttl, now); }
    void runUntil(TimePoint until) {
        deliver();
        for (;;) {
            std::optional<TimePoint> next;
            for (Node* n : {&a, &b})
                if (auto d = n->table.next(); d && (!next || *d < *next)) next = d;
            if (!next || *next > until) break;
            now = *next;
            a.table.fireDue(now);
            b.table.fireDue(now);
            deliver();
        }
        now = until;
    }
};

TEST(BfdTable, TwoDaemonsComeUpAndTheNextDeadlineIsTheEarliestSession) {
    auto ca = bfdConfig("10.0.0.1", "10.0.0.2");
    auto cb = bfdConfig("10.0.0.2", "10.0.0.1");
    Node a("10.0.0.1", 7), b("10.0.0.2", 9);
    Wire w{a, b};
    a.table.reconcile(ca, w.now);
    ASSERT_EQ(a.table.size(), 1u);
    EXPECT_FALSE(a.table.up("b1"));
    b.table.reconcile(cb, w.now);
    w.runUntil(TimePoint{} + 3s);
    EXPECT_TRUE(a.table.up("b1"));
    EXPECT_TRUE(b.table.up("b1"));
    EXPECT_EQ(a.changes, (std::vector<std::string>{"b1:Init", "b1:Up"}));
    // Both Down packets cross: each side goes through Init (RFC 5880 6.2).
    EXPECT_EQ(b.changes, (std::vector<std::string>{"b1:Init", "b1:Up"}));
    // After the Poll on entering Up, 100 ms on both sides.
    auto st = a.table.status(w.now);
    ASSERT_EQ(st.size(), 1u);
    EXPECT_EQ(st[0]["state"], "Up");
    EXPECT_EQ(st[0]["remote_state"], "Up");
    EXPECT_EQ(st[0]["tx_interval_ms"], 100.0);
    EXPECT_EQ(st[0]["detect_time_ms"], 300.0);
    EXPECT_GE(st[0]["counters"]["polls_completed"].get<int>(), 1);
    const auto* s = a.table.find("b1");
    ASSERT_TRUE(s);
    EXPECT_EQ(a.table.next(), s->session.nextDeadline());
    // RFC 5881 section 4: the source port is in 49152-65535.
    EXPECT_GE(s->source_port, bfd::kSourcePortMin);
}

TEST(BfdTable, ACutTakesBothDownAfterOneDetectionTime) {
    auto ca = bfdConfig("10.0.0.1", "10.0.0.2");
    auto cb = bfdConfig("10.0.0.2", "10.0.0.1");
    Node a("10.0.0.1", 7), b("10.0.0.2", 9);
    Wire w{a, b};
    a.table.reconcile(ca, w.now);
    b.table.reconcile(cb, w.now);
    w.runUntil(TimePoint{} + 3s);
    ASSERT_TRUE(a.table.up("b1") && b.table.up("b1"));
    a.changes.clear();
    w.cut = true;
    const TimePoint cut_at = w.now;
    w.runUntil(cut_at + 250ms);
    EXPECT_TRUE(a.table.up("b1"));  // 300 ms detection time not yet out
    w.runUntil(cut_at + 301ms);
    EXPECT_FALSE(a.table.up("b1"));
    EXPECT_FALSE(b.table.up("b1"));
    EXPECT_EQ(a.changes, (std::vector<std::string>{"b1:Down"}));
    EXPECT_EQ(a.table.find("b1")->session.local_diag, bfd::Diag::ControlDetectionExpired);
    // Restored: up again by the slow-rate handshake.
    w.cut = false;
    w.runUntil(w.now + 3s);
    EXPECT_TRUE(a.table.up("b1") && b.table.up("b1"));
}

// Measured against keepalived at 10 ms x 5: epoll handed the timer and the socket over in
// one turn, the timer's handler ran first and took the session Down on a packet that had
// arrived. fireDue reads what is waiting before it looks at any Detection Time.
TEST(BfdTable, APacketWaitingOnTheSocketIsReadBeforeTheDetectionTimeIsJudged) {
    auto ca = bfdConfig("10.0.0.1", "10.0.0.2");
    auto cb = bfdConfig("10.0.0.2", "10.0.0.1");
    Node a("10.0.0.1", 7), b("10.0.0.2", 9);
    Wire w{a, b};
    a.table.reconcile(ca, w.now);
    b.table.reconcile(cb, w.now);
    w.runUntil(TimePoint{} + 3s);
    ASSERT_TRUE(a.table.up("b1"));
    a.changes.clear();
    // b's next packet arrives at a but sits in the socket until a's detection deadline.
    w.cut = true;
    const auto* s = a.table.find("b1");
    const TimePoint expiry = *s->session.detect_due;
    w.runUntil(expiry + (-1ms));
    bfd::Control last;
    last.state = bfd::State::Up;
    last.detect_mult = 3;
    last.my_disc = b.table.find("b1")->session.local_disc;
    last.your_disc = s->session.local_disc;
    last.desired_min_tx_us = 100000;
    last.required_min_rx_us = 100000;
    a.transport.waiting.push_back({"10.0.0.2", last});
    a.table.fireDue(expiry);
    EXPECT_TRUE(a.table.up("b1"));
    EXPECT_TRUE(a.changes.empty());
    EXPECT_TRUE(a.transport.waiting.empty());
}

// xvrrpctl restart: the next process's table takes the sessions over from handoff(): the
// same discriminator and port, Up at once, and the peer's session never changes state.
TEST(BfdTable, ASessionHandedOffGoesOnUpInTheNextProcess) {
    auto ca = bfdConfig("10.0.0.1", "10.0.0.2");
    auto cb = bfdConfig("10.0.0.2", "10.0.0.1");
    auto a = std::make_unique<Node>("10.0.0.1", 7);
    Node b("10.0.0.2", 9);
    Wire w{*a, b};
    a->table.reconcile(ca, w.now);
    b.table.reconcile(cb, w.now);
    w.runUntil(TimePoint{} + 3s);
    ASSERT_TRUE(a->table.up("b1"));
    const auto handoff = a->table.handoff();
    const auto* old = a->table.find("b1");
    const uint32_t disc = old->session.local_disc;
    const uint16_t port = old->source_port;
    b.changes.clear();

    auto next = std::make_unique<Node>("10.0.0.1", 12345);  // another seed
    next->table.carry(handoff);
    w.now = w.now + 30ms;  // the exec
    Wire w2{*next, b, w.now};
    next->table.reconcile(ca, w2.now);
    a.reset();
    EXPECT_TRUE(next->table.up("b1"));  // track_bfd reads Up from the start
    const auto* s = next->table.find("b1");
    EXPECT_EQ(s->session.local_disc, disc);
    EXPECT_EQ(s->source_port, port);
    ASSERT_FALSE(next->transport.out.empty());  // its first packet went at once
    EXPECT_EQ(next->transport.out.front().packet.state, bfd::State::Up);
    w2.runUntil(w2.now + 3s);
    EXPECT_TRUE(next->table.up("b1"));
    EXPECT_TRUE(b.table.up("b1"));
    EXPECT_TRUE(b.changes.empty());
    EXPECT_TRUE(next->changes.empty());

    // Another neighbour in the new configuration: the carried session is not used.
    Node third("10.0.0.1", 5);
    third.table.carry(handoff);
    third.table.reconcile(bfdConfig("10.0.0.1", "10.0.0.9"), TimePoint{});
    EXPECT_NE(third.table.find("b1")->session.local_disc, disc);
    EXPECT_FALSE(third.table.up("b1"));
}

TEST(BfdTable, AReloadPollsForNewIntervalsAndReplacesANewNeighbour) {
    auto ca = bfdConfig("10.0.0.1", "10.0.0.2");
    auto cb = bfdConfig("10.0.0.2", "10.0.0.1");
    Node a("10.0.0.1", 7), b("10.0.0.2", 9);
    Wire w{a, b};
    a.table.reconcile(ca, w.now);
    b.table.reconcile(cb, w.now);
    w.runUntil(TimePoint{} + 3s);
    const auto* s = a.table.find("b1");
    const uint32_t disc = s->session.local_disc;
    const uint16_t port = s->source_port;
    const auto polls = s->session.counters.polls_started;
    a.changes.clear();

    // min_tx 200: the same session, a Poll Sequence, still Up, same port and discriminator.
    auto slower = bfdConfig("10.0.0.1", "10.0.0.2", " min_tx 200\n");
    a.table.reconcile(slower, w.now);
    ASSERT_FALSE(a.transport.out.empty());
    EXPECT_TRUE(a.transport.out.front().packet.poll);
    EXPECT_EQ(a.transport.out.front().packet.desired_min_tx_us, 200000u);
    w.runUntil(w.now + 1s);
    s = a.table.find("b1");
    EXPECT_EQ(s->session.local_disc, disc);
    EXPECT_EQ(s->source_port, port);
    EXPECT_EQ(s->session.counters.polls_completed, polls + 1);
    EXPECT_TRUE(a.table.up("b1"));
    EXPECT_TRUE(a.changes.empty());
    EXPECT_EQ(a.transport.opened.size(), 1u);

    // Another neighbour: the old session goes (nothing sent for it), a new one starts.
    auto moved = bfdConfig("10.0.0.1", "10.0.0.3");
    a.transport.out.clear();
    a.table.reconcile(moved, w.now);
    EXPECT_EQ(a.transport.closed, (std::vector<std::string>{"b1"}));
    EXPECT_EQ(a.transport.opened.size(), 2u);
    s = a.table.find("b1");
    EXPECT_NE(s->session.local_disc, disc);
    EXPECT_EQ(s->session.state, bfd::State::Down);
    for (const auto& p : a.transport.out) EXPECT_NE(p.packet.state, bfd::State::AdminDown);

    // Removed: closed; as keepalived 2.2.7, no AdminDown goes out.
    a.transport.out.clear();
    a.table.reconcile(load("vrrp_instance V { interface eth0\n virtual_router_id 1\n}\n"), w.now);
    EXPECT_EQ(a.table.size(), 0u);
    EXPECT_TRUE(a.transport.out.empty());
    EXPECT_FALSE(a.table.next());
}

TEST(BfdTable, PacketsAreMatchedByDiscriminatorOrSourceAndTheTtlIsChecked) {
    auto ca = bfdConfig("10.0.0.1", "10.0.0.2");
    Node a("10.0.0.1", 7);
    TimePoint t{};
    a.table.reconcile(ca, t);
    const uint32_t mine = a.table.find("b1")->session.local_disc;
    bfd::Control c;
    c.state = bfd::State::Down;
    c.detect_mult = 3;
    c.my_disc = 0x1234;
    c.desired_min_tx_us = 1000000;
    c.required_min_rx_us = 100000;
    const auto peer = *IpAddr::parse("10.0.0.2");
    const auto other = *IpAddr::parse("10.0.0.9");
    const auto self = *IpAddr::parse("10.0.0.1");
    // From a stranger: nobody's.
    a.table.receive(bfd::encode(c), other, self, 255, t);
    EXPECT_EQ(a.table.unmatched().at("no_session"), 1u);
    // RFC 5881 section 5: TTL 254 is refused.
    a.table.receive(bfd::encode(c), peer, self, 254, t);
    EXPECT_EQ(a.table.find("b1")->rejected_by.at("bad_ttl"), 1u);
    EXPECT_EQ(a.table.find("b1")->session.state, bfd::State::Down);
    // Another discriminator than ours.
    auto wrong = c;
    wrong.your_disc = mine + 1;
    a.table.receive(bfd::encode(wrong), peer, self, 255, t);
    EXPECT_EQ(a.table.unmatched().at("no_session"), 2u);
    // A short datagram, counted by decode's reason.
    const uint8_t junk[3] = {0x20, 0, 0};
    a.table.receive(junk, peer, self, 255, t);
    EXPECT_EQ(a.table.unmatched().at("too_short"), 1u);
    // The peer's Down with Your Discriminator 0, by source: Init.
    a.table.receive(bfd::encode(c), peer, self, 255, t);
    EXPECT_EQ(a.table.find("b1")->session.state, bfd::State::Init);
    EXPECT_EQ(a.table.find("b1")->session.remote_disc, 0x1234u);
}

TEST(BfdTable, MaxHopsLowersTheTtlFloorAnd255TurnsItOff) {
    auto cfg = bfdConfig("10.0.0.1", "10.0.0.2", " max_hops 10\n");
    EXPECT_EQ(bfdMinTtl(cfg.bfd_instances.at("b1")), 245);
    cfg = bfdConfig("10.0.0.1", "10.0.0.2", " max_hops 255\n");
    EXPECT_EQ(bfdMinTtl(cfg.bfd_instances.at("b1")), 0);
    cfg = bfdConfig("10.0.0.1", "10.0.0.2");
    EXPECT_EQ(bfdMinTtl(cfg.bfd_instances.at("b1")), 255);
}

TEST(BfdTable, DiscriminatorsAreUniqueAndNeverZero) {
    auto cfg = load(
        "bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n"
        "bfd_instance b2 {\n neighbor_ip 10.0.0.3\n}\n"
        "bfd_instance b3 {\n neighbor_ip 10.0.0.4\n}\n");
    Node a("10.0.0.1", 0xffffffffu);  // the counter wraps through 0
    a.table.reconcile(cfg, TimePoint{});
    ASSERT_EQ(a.table.size(), 3u);
    std::set<uint32_t> discs;
    for (const char* n : {"b1", "b2", "b3"}) discs.insert(a.table.find(n)->session.local_disc);
    EXPECT_EQ(discs.size(), 3u);
    EXPECT_FALSE(discs.contains(0u));
}

TEST(BfdTable, DisabledInstancesRunNoSession) {
    // keepalived's BFD process drops a second instance with the same neighbour and no source.
    config::LoadOptions opts;
    auto r = config::loadConfigText(
        "bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\nbfd_instance b2 {\n neighbor_ip 10.0.0.2\n}\n",
        "t.conf", opts);
    ASSERT_FALSE(r.config.bfd_instances.at("b2").disabled.empty());
    Node a("10.0.0.1", 1);
    a.table.reconcile(r.config, TimePoint{});
    EXPECT_EQ(a.table.size(), 1u);
    EXPECT_TRUE(a.table.find("b1"));
}

// ---- XDP absorbing repeats (docs/bfd.md) ----

struct Absorbing {
    config::Config ca = bfdConfig("10.0.0.1", "10.0.0.2");
    config::Config cb = bfdConfig("10.0.0.2", "10.0.0.1");
    Node a{"10.0.0.1", 7}, b{"10.0.0.2", 9};
    FakeKernel kernel;
    Wire w{a, b};
    Absorbing() {
        a.table.setKernel(&kernel);
        w.kernel_a = &kernel;
        a.table.reconcile(ca, w.now);
        b.table.reconcile(cb, w.now);
        w.runUntil(TimePoint{} + 3s);
    }
    uint32_t disc() const { return a.table.find("b1")->session.local_disc; }
};

// The peer's steady packets stop at the kernel: a's session hears them only through the
// stamp, and stays Up for many Detection Times (300 ms).
TEST(BfdTable, ASessionWhoseRepeatsTheKernelAbsorbsStaysUpPastTheDetectionTime) {
    Absorbing x;
    ASSERT_TRUE(x.a.table.up("b1") && x.b.table.up("b1"));
    ASSERT_TRUE(x.kernel.held.contains(x.disc()));
    const auto& e = x.kernel.held.at(x.disc());
    EXPECT_EQ(e.src, *IpAddr::parse("10.0.0.2"));
    EXPECT_EQ(e.dst, *IpAddr::parse("10.0.0.1"));
    EXPECT_EQ(e.src_port, kPeerPort);
    EXPECT_EQ(e.ttl, 255);
    auto held = bfd::decode(e.control);
    ASSERT_TRUE(static_cast<bool>(held));
    EXPECT_EQ(held->state, bfd::State::Up);
    EXPECT_FALSE(held->poll || held->final);
    x.a.changes.clear();
    const uint64_t rx_before = x.a.table.find("b1")->session.counters.packets_rx;
    const int writes_before = x.kernel.writes;
    x.w.runUntil(x.w.now + 5s);
    EXPECT_TRUE(x.a.table.up("b1"));
    EXPECT_TRUE(x.a.changes.empty());
    // About 57 packets in 5 s (75-100 % of 100 ms), all absorbed; none reached the table.
    const BfdSession& s = *x.a.table.find("b1");
    EXPECT_EQ(s.session.counters.packets_rx, rx_before);
    EXPECT_GE(x.a.table.absorbed(s), 45u);
    EXPECT_EQ(x.kernel.writes, writes_before);
    const auto st = x.a.table.status(x.w.now);
    EXPECT_EQ(st[0]["counters"]["absorbed_xdp"], x.a.table.absorbed(s));
    EXPECT_LT(st[0]["last_rx_age_ms"].get<double>(), 300.0);  // the stamp, not the last packet read
}

// Only a stamp older than the Detection Time takes the session Down, exactly one Detection
// Time after the last repeat the kernel absorbed.
TEST(BfdTable, AnOldStampTakesTheSessionDownAtExactlyTheDetectionTime) {
    Absorbing x;
    x.w.runUntil(x.w.now + 1s);
    ASSERT_TRUE(x.a.table.up("b1"));
    x.a.changes.clear();
    x.w.cut = true;
    const auto& stamp = x.kernel.stamps.at(x.kernel.held.at(x.disc()).slot);
    const TimePoint last{std::chrono::nanoseconds(stamp.last_seen_ns)};
    ASSERT_GT(last, x.w.now + (-101ms));
    x.w.runUntil(last + (300ms - 1us));
    EXPECT_TRUE(x.a.table.up("b1"));
    x.w.runUntil(last + 300ms);
    EXPECT_FALSE(x.a.table.up("b1"));
    EXPECT_EQ(x.a.changes, (std::vector<std::string>{"b1:Down"}));
    EXPECT_EQ(x.a.table.find("b1")->session.local_diag, bfd::Diag::ControlDetectionExpired);
    // Out of Up: the kernel holds nothing for it, every packet reaches the table again.
    EXPECT_FALSE(x.kernel.held.contains(x.disc()));
    x.w.cut = false;
    x.w.runUntil(x.w.now + 3s);
    EXPECT_TRUE(x.a.table.up("b1") && x.b.table.up("b1"));
    EXPECT_TRUE(x.kernel.held.contains(x.disc()));
}

// A change (here the peer's new intervals after a reload: a Poll, then other values) is
// not absorbed: the table hears it and the kernel then holds the new packet.
TEST(BfdTable, APeersChangeReachesTheTableAndReplacesTheExpectation) {
    Absorbing x;
    const auto before = bfd::decode(x.kernel.held.at(x.disc()).control);
    x.b.table.reconcile(bfdConfig("10.0.0.2", "10.0.0.1", " min_tx 50\n"), x.w.now);
    x.w.runUntil(x.w.now + 2s);
    EXPECT_TRUE(x.a.table.up("b1"));
    const auto after = bfd::decode(x.kernel.held.at(x.disc()).control);
    ASSERT_TRUE(before && after);
    EXPECT_EQ(before->desired_min_tx_us, 100000u);
    EXPECT_EQ(after->desired_min_tx_us, 50000u);
    EXPECT_EQ(x.a.table.status(x.w.now)[0]["detect_time_ms"], 300.0);  // max(100 rx, 50 tx) x 3
}

// Without XDP on the packets' interface nothing is absorbed: the table hears every packet,
// as before, and writes the expectation once, not per packet.
TEST(BfdTable, WithoutAbsorbingEveryPacketReachesTheTableAndTheKernelIsWrittenOnce) {
    Absorbing x;
    x.kernel.absorb = false;
    const BfdSession& s = *x.a.table.find("b1");
    const uint64_t rx_before = s.session.counters.packets_rx;
    const uint64_t absorbed = x.a.table.absorbed(s);
    const int writes = x.kernel.writes;
    x.w.runUntil(x.w.now + 2s);
    EXPECT_TRUE(x.a.table.up("b1"));
    EXPECT_GE(s.session.counters.packets_rx, rx_before + 18);
    EXPECT_EQ(x.kernel.writes, writes);
    EXPECT_EQ(x.a.table.absorbed(s), absorbed);
}

// A removed session and a stopped table leave no expectation behind; so does a detach.
TEST(BfdTable, RemovalClearAndDetachForgetTheExpectation) {
    {
        Absorbing x;
        ASSERT_FALSE(x.kernel.held.empty());
        x.a.table.reconcile(load(""), x.w.now);
        EXPECT_TRUE(x.kernel.held.empty());
    }
    {
        Absorbing x;
        x.a.table.clear();
        EXPECT_TRUE(x.kernel.held.empty());
    }
    {
        Absorbing x;
        x.a.table.setKernel(nullptr);
        EXPECT_TRUE(x.kernel.held.empty());
        x.w.kernel_a = nullptr;
        x.w.runUntil(x.w.now + 2s);
        EXPECT_TRUE(x.a.table.up("b1"));
        EXPECT_TRUE(x.kernel.held.empty());
    }
}

}  // namespace
}  // namespace xvrrp::daemon
