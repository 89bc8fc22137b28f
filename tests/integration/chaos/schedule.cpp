#include "schedule.hpp"

#include <array>

namespace xvrrp::chaos {

namespace {

constexpr std::array<const char*, kKinds> kKindNames = {
    "kill9", "sigstop", "linkcut", "partition", "reload_same", "reload_wire", "cpuhog", "flood",
    "restart"};

// Relative weights of the kinds, in Kind order.
constexpr std::array<int, kKinds> kWeights = {3, 3, 2, 2, 2, 2, 2, 2, 2};

// splitmix64 (Steele, Lea, Flood 2014): a small generator with a fixed output everywhere.
class Stream {
  public:
    explicit Stream(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
    double uniform(double lo, double hi) {
        return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
    }

  private:
    uint64_t s_;
};

Kind pickKind(Stream& s) {
    int total = 0;
    for (int w : kWeights) total += w;
    int r = s.below(total);
    for (int k = 0; k < kKinds; ++k) {
        if (r < kWeights[k]) return static_cast<Kind>(k);
        r -= kWeights[k];
    }
    return Kind::Kill9;
}

}  // namespace

const char* kindName(Kind k) { return kKindNames[static_cast<size_t>(k)]; }

std::optional<Kind> kindFromName(std::string_view name) {
    for (int k = 0; k < kKinds; ++k)
        if (name == kKindNames[k]) return static_cast<Kind>(k);
    return std::nullopt;
}

std::vector<Kind> allKinds() {
    std::vector<Kind> out;
    for (int k = 0; k < kKinds; ++k) out.push_back(static_cast<Kind>(k));
    return out;
}

bool disruptive(Kind k) {
    return k == Kind::Kill9 || k == Kind::SigStop || k == Kind::LinkCut || k == Kind::Partition;
}

const char* editName(EditKind e) {
    switch (e) {
        case EditKind::NotificationEmail: return "notification_email";
        case EditKind::NotifyScript: return "notify_script";
        case EditKind::GarpDelay: return "garp_master_delay";
        case EditKind::Priority: return "priority";
        case EditKind::TrackerWeight: return "tracker_weight";
        case EditKind::AdvertInt: return "advert_int";
        case EditKind::ExtraVip: return "extra_vip";
    }
    return "?";
}

Fault drawFault(uint64_t seed, int index) {
    Stream s(seed ^ (0xd1b54a32d192ed03ull * static_cast<uint64_t>(index + 1)));
    Fault f;
    f.index = index;
    f.kind = pickKind(s);
    f.node = s.below(kNodes);
    f.gapS = s.uniform(1.0, 3.0);
    // Every kind draws the same values in the same order, so the stream stays aligned.
    const double u = s.uniform(0.0, 1.0);
    const int pick = s.below(1 << 16);
    switch (f.kind) {
        case Kind::Kill9: f.holdS = 0.3 + 3.7 * u; break;
        // From well under Master_Down_Interval (nobody should notice) to long after it.
        case Kind::SigStop: f.holdS = 0.1 + 3.9 * u; break;
        case Kind::LinkCut: f.holdS = 0.3 + 3.7 * u; break;
        // Shorter and longer than the arbiter needs to fence.
        case Kind::Partition:
            f.holdS = 1.0 + 9.0 * u;
            f.isolateAll = pick % 10 < 3;
            break;
        case Kind::CpuHog:
            f.holdS = 1.0 + 3.0 * u;
            f.hogWorkers = 1 + pick % 3;
            break;
        case Kind::Flood: {
            static constexpr int kRates[] = {1000, 2000, 5000, 10000};
            f.holdS = 1.0 + 3.0 * u;
            f.floodPps = kRates[pick % 4];
            break;
        }
        case Kind::ReloadSame:
            f.edit = static_cast<EditKind>(pick % 3);  // the first three edits
            break;
        case Kind::ReloadWire:
            f.edit = static_cast<EditKind>(3 + pick % 4);
            break;
        case Kind::Restart: break;
    }
    f.editInstance = (pick >> 4) % kInstances;
    f.editChoice = (pick >> 8) % 16;
    return f;
}

std::vector<Fault> makeSchedule(uint64_t seed, int count) {
    std::vector<Fault> out;
    for (int i = 0; i < count; ++i) out.push_back(drawFault(seed, i));
    return out;
}

nlohmann::json toJson(const Fault& f) {
    nlohmann::json j = {{"index", f.index},
                        {"kind", kindName(f.kind)},
                        {"node", "n" + std::to_string(f.node + 1)},
                        {"gap_s", f.gapS},
                        {"hold_s", f.holdS}};
    switch (f.kind) {
        case Kind::Partition: j["isolate"] = f.isolateAll ? "every node" : "node"; break;
        case Kind::CpuHog: j["workers"] = f.hogWorkers; break;
        case Kind::Flood: j["pps"] = f.floodPps; break;
        case Kind::ReloadSame:
        case Kind::ReloadWire: j["edit"] = editName(f.edit); break;
        default: break;
    }
    return j;
}

}  // namespace xvrrp::chaos
