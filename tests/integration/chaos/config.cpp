#include "config.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace xvrrp::chaos {

namespace {

// The value at `choice` among `values`, stepping past `current` so the edit changes something.
template <size_t N>
int pickOther(const int (&values)[N], int choice, int current) {
    int v = values[static_cast<size_t>(choice) % N];
    if (v == current) v = values[(static_cast<size_t>(choice) + 1) % N];
    return v;
}

std::vector<int> rolling(int first) {
    std::vector<int> out;
    for (int i = 0; i < kNodes; ++i) out.push_back((first + i) % kNodes);
    return out;
}

std::string instName(int i) { return "VI_" + std::to_string(i + 1); }

std::string onOff(bool b) { return b ? "on" : "off"; }

}  // namespace

std::string vip(int instance) {
    return std::string(kLanPrefix) + "." + std::to_string(kVipHost[instance]);
}

std::string nodeName(int node) { return "n" + std::to_string(node + 1); }

double advertInt(const Conf& c) { return c.doubled ? 2 * c.advertInt : c.advertInt; }

int effectivePriority(const Conf& c, int instance, int node) {
    const auto& n = c.nodes[static_cast<size_t>(node)];
    return kBasePriority[instance][node] + n.priorityOffset[static_cast<size_t>(instance)] +
           n.weight;
}

int expectedMaster(const Conf& c, int instance) {
    int best = 0;
    for (int n = 1; n < kNodes; ++n)
        if (effectivePriority(c, instance, n) > effectivePriority(c, instance, best)) best = n;
    return best;
}

double maxMasterDownInterval(const Conf& c) {
    int lowest = 255;
    for (int i = 0; i < kInstances; ++i)
        for (int n = 0; n < kNodes; ++n) lowest = std::min(lowest, effectivePriority(c, i, n));
    const double a = advertInt(c);
    return 3 * a + (256 - lowest) * a / 256;
}

Applied applyEdit(const Conf& c, const Fault& f) {
    Applied r{c, {f.node}, ""};
    auto& n = r.conf.nodes[static_cast<size_t>(f.node)];
    const std::string who = nodeName(f.node) + " ";
    const auto inst = static_cast<size_t>(f.editInstance);
    switch (f.edit) {
        case EditKind::NotificationEmail:
            n.email = !n.email;
            r.what = who + "notification_email " + onOff(n.email);
            break;
        case EditKind::NotifyScript:
            n.echoNotify = !n.echoNotify;
            r.what = who + "notify_master " + (n.echoNotify ? "/bin/echo" : "/bin/true");
            break;
        case EditKind::GarpDelay: {
            static constexpr int kDelays[] = {1, 2, 5, 10};
            const int before = n.garpDelay;
            n.garpDelay = pickOther(kDelays, f.editChoice, before);
            r.what = who + "garp_master_delay " + std::to_string(before) + " -> " +
                     std::to_string(n.garpDelay);
            break;
        }
        case EditKind::Priority: {
            static constexpr int kOffsets[] = {-10, -5, 0, 5, 10};
            const int before = effectivePriority(c, f.editInstance, f.node);
            n.priorityOffset[inst] = pickOther(kOffsets, f.editChoice, n.priorityOffset[inst]);
            r.what = who + instName(f.editInstance) + " priority " + std::to_string(before) +
                     " -> " + std::to_string(effectivePriority(r.conf, f.editInstance, f.node));
            break;
        }
        case EditKind::TrackerWeight: {
            static constexpr int kWeights[] = {0, 10, 20};
            const int before = n.weight;
            n.weight = pickOther(kWeights, f.editChoice, before);
            r.what = who + "vrrp_script weight " + std::to_string(before) + " -> " +
                     std::to_string(n.weight);
            break;
        }
        case EditKind::AdvertInt:
            r.conf.doubled = !c.doubled;
            r.nodes = rolling(f.node);
            r.what = "advert_int " + std::to_string(advertInt(c)).substr(0, 4) + " -> " +
                     std::to_string(advertInt(r.conf)).substr(0, 4) + " on every node";
            break;
        case EditKind::ExtraVip:
            r.conf.extraVip[inst] = !c.extraVip[inst];
            r.nodes = rolling(f.node);
            r.what = instName(f.editInstance) + " extra VIP " + onOff(r.conf.extraVip[inst]) +
                     " on every node";
            break;
    }
    return r;
}

std::string render(const Conf& c, int node) {
    const auto& n = c.nodes[static_cast<size_t>(node)];
    char adv[16];
    std::snprintf(adv, sizeof adv, "%.2f", advertInt(c));
    std::ostringstream o;
    o << "global_defs {\n  router_id " << nodeName(node) << "\n  vrrp_version 3\n";
    if (n.email) o << "  notification_email {\n    ops@example.net\n  }\n";
    o << "}\n";
    o << "vrrp_script chk {\n  script \"/bin/true\"\n  interval 1\n  weight " << n.weight
      << "\n}\n";
    for (int i = 0; i < kInstances; ++i) {
        const auto ui = static_cast<size_t>(i);
        o << "vrrp_instance " << instName(i) << " {\n  state BACKUP\n  interface eth0\n"
          << "  virtual_router_id " << kVrid[i] << "\n  priority "
          << kBasePriority[i][node] + n.priorityOffset[ui] << "\n  advert_int " << adv << "\n"
          << "  garp_master_delay " << n.garpDelay << "\n  notify_master \""
          << (n.echoNotify ? "/bin/echo" : "/bin/true") << "\"\n"
          << "  track_script {\n    chk\n  }\n  virtual_ipaddress {\n    " << vip(i)
          << "/24 dev eth0\n";
        if (c.extraVip[ui]) o << "    " << kLanPrefix << "." << kExtraHost[i] << "/24 dev eth0\n";
        o << "  }\n}\n";
    }
    return o.str();
}

}  // namespace xvrrp::chaos
