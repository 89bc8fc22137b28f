// Effective priority from trackers (see tracker.hpp for the rules and their keepalived source).
#include "track/tracker.hpp"

#include <algorithm>

namespace xvrrp::track {
namespace {
constexpr int kOwner = 255;
constexpr int kFileFault = -254;  // track_file.c: a status at or below -254 is FAULT
}  // namespace

const char* trackStateName(TrackState s) {
    switch (s) {
    case TrackState::Init: return "INIT";
    case TrackState::Up: return "UP";
    case TrackState::Down: return "DOWN";
    }
    return "?";
}

const char* trackerKindName(TrackerKind k) {
    switch (k) {
    case TrackerKind::Script: return "script";
    case TrackerKind::Interface: return "interface";
    case TrackerKind::File: return "file";
    case TrackerKind::Process: return "process";
    case TrackerKind::Bfd: return "bfd";
    }
    return "?";
}

int clampWeight(int w) { return std::clamp(w, -253, 253); }

Contribution contribution(const TrackerInput& t) {
    Contribution c;
    c.kind = t.kind;
    c.name = t.name;
    c.state = t.state;
    c.file_value = t.file_value;
    c.weight = t.weight;
    c.reverse = t.reverse;
    const int m = t.reverse ? -1 : 1;
    if (t.kind == TrackerKind::File) {
        if (t.weight == 0) {
            c.fault = (t.file_value != 0) != t.reverse;
            return c;
        }
        int64_t s = std::clamp<int64_t>(t.file_value * t.weight * m, kFileFault, 253);
        if (s == kFileFault) c.fault = true;
        else c.delta = static_cast<int>(s);
        return c;
    }
    if (t.state == TrackState::Init) {
        c.pending = t.weight == 0;
        return c;
    }
    const bool up = t.state == TrackState::Up;
    if (t.weight == 0) {
        c.fault = up != !t.reverse;
        return c;
    }
    if (up && t.weight > 0) c.delta = t.weight * m;
    if (!up && t.weight < 0) c.delta = t.weight * m;
    return c;
}

EffectivePriority effectivePriority(uint8_t base, std::span<const TrackerInput> trackers) {
    EffectivePriority r;
    r.base = base;
    r.total = base;
    const bool owner = base == kOwner;
    for (const auto& t : trackers) {
        Contribution c = contribution(t);
        if (c.fault && !r.fault) {
            r.fault = true;
            r.fault_reason = std::string(trackerKindName(c.kind)) + " " + c.name + " " +
                             (c.kind == TrackerKind::File ? "value " + std::to_string(c.file_value)
                                                          : trackStateName(c.state));
        }
        r.pending = r.pending || c.pending;
        if (owner && c.delta) c.ignored = true;
        else r.total += c.delta;
        r.breakdown.push_back(std::move(c));
    }
    r.priority = owner ? kOwner : static_cast<uint8_t>(std::clamp(r.total, 1, kOwner - 1));
    return r;
}

}  // namespace xvrrp::track
