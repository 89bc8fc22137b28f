#pragma once
// The frames a master of every instance in a keepalived.conf would send, built once with
// xvrrpd's own encoder and IP header writer, so the floor sender puts the same bytes on the
// wire as xvrrpd (tools/bench/adverts compares the two).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ip.hpp"

namespace xvrrp::bench {

struct FloorFrame {
    std::string instance;
    uint16_t interval_cs = 0;
    Family family = Family::V4;
    std::array<uint8_t, 6> dst_mac{};
    std::vector<uint8_t> ip;     // IP header + VRRP message (what a SOCK_DGRAM socket takes)
    std::vector<uint8_t> frame;  // Ethernet header + ip (what a SOCK_RAW socket takes)
};

struct FloorInterface {
    std::string name;
    int ifindex = 0;
    std::vector<FloorFrame> frames;  // configuration order
};

// Every instance of CONFIG_FILE as master (its configured priority), grouped by interface.
// Only group adverts on Ethernet links (what xvrrpd frames itself); anything else (unicast
// peers, use_vmac, a missing interface or address) is an error naming the instance.
// Call inside the network namespace of the interfaces.
std::vector<FloorInterface> buildFloorFrames(const std::string& config_file);

}  // namespace xvrrp::bench
