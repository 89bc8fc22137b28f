#pragma once
// A daemon snapshot with a value in every field, for the pure renderers of /metrics and
// keepalived's dumps: two instances (VI_1: v2 IPv4 unicast BACKUP in sync group G with a
// tracked script; VI_2: v3 IPv6 MASTER), one vrrp_script, a track_file, kernel counters
// all distinct.

#include <cstring>
#include <memory>

#include "daemon/snapshot.hpp"
#include "daemon/telemetry.hpp"
#include "fakes.hpp"

namespace xvrrp::daemon::test {

inline const char* kSnapshotConfig = R"(
global_defs {
    router_id r1
    enable_script_security
}
vrrp_script chk {
    script "/bin/true x"
    interval 2
    timeout 3
    weight 0
    rise 2
    fall 3
}
vrrp_track_file tf {
    file /tmp/tf
    weight 2
}
vrrp_sync_group G {
    group {
        VI_1
    }
    notify_master "/bin/true gm"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    unicast_src_ip 192.0.2.1
    unicast_peer {
        192.0.2.2
    }
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
    virtual_ipaddress_excluded {
        198.51.100.1/24
    }
    virtual_routes {
        203.0.113.0/24 via 192.0.2.254
    }
    track_script {
        chk
    }
    track_interface {
        eth1 weight -10
    }
    notify_master "/bin/true m"
    notify "/bin/true n"
}
vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    priority 100
    version 3
    advert_int 0.5
    preempt_delay 2
    track_file {
        tf
    }
    virtual_ipaddress {
        fd00::2/64
    }
}
)";

struct SnapshotRig {
    std::shared_ptr<const config::Config> config =
        std::make_shared<const config::Config>(load(kSnapshotConfig));
    const config::Config& cfg = *config;
    Telemetry telemetry;
    nlohmann::json report1, report2;
    DaemonSnapshot s;

    SnapshotRig() {
        using vrrp::State;
        using vrrp::TimePoint;
        using namespace std::chrono_literals;
        s.config = config;
        s.pid = 4242;
        s.uptime_s = 99.5;
        s.wall_now_s = 1800000000.25;
        s.mono_now = TimePoint{1000s};
        InstanceSnapshot a;
        a.cfg = &cfg.instances.at(0);
        a.bound = true;
        a.ifindex = 2;
        a.family = Family::V4;
        a.version = 2;
        a.primary = *IpAddr::parse("192.0.2.1");
        a.machine.state = State::Backup;
        a.machine.effective_priority = 150;
        a.machine.master_addr = *IpAddr::parse("192.0.2.2");
        a.machine.master_priority = 200;
        a.machine.master_advert_int_cs = 100;
        a.machine.last_advert = TimePoint{998s};
        a.machine.counters = {11, 12, 13, 14, 15, 16};  // rx, tx, became, released, pz rx/tx
        a.machine.master_down_due = TimePoint{1002s};
        a.counters.rejected_by = {{"bad_ttl", 21},      {"too_short", 22},
                                  {"bad_length", 23},   {"bad_type", 24},
                                  {"interval_mismatch", 25}, {"address_count_mismatch", 26},
                                  {"address_list_mismatch", 27}, {"bad_auth_type", 28},
                                  {"auth_unsupported", 29},  {"auth_type_mismatch", 30},
                                  {"auth_failure", 31},  {"bad_checksum", 32}};
        a.counters.address_errors = 33;
        a.tx_errors = 34;
        a.kernel = xv_vrid_rx{999'500'000'000ull, 41, 42, 43, 44};
        a.fenced_by = XV_FENCE_ARBITER;
        a.fd_in = 7;
        a.fd_out = 8;
        a.faults = {{"fence", "fenced (xv_fence entry)"}};
        report1 = {{"base", 150}, {"total", 140}, {"effective", 150},
                   {"trackers", {{{"kind", "script"}, {"name", "chk"}, {"state", "UP"}, {"weight", 0},
                                  {"reverse", false}, {"delta", 0}, {"fault", false}},
                                 {{"kind", "interface"}, {"name", "eth1"}, {"state", "DOWN"},
                                  {"weight", -10}, {"reverse", false}, {"delta", -10},
                                  {"fault", false}}}}};
        a.track_report = std::make_shared<const nlohmann::json>(report1);
        a.last_transition_wall = 1799999990.5;
        InstanceSnapshot b;
        b.cfg = &cfg.instances.at(1);
        b.bound = true;
        b.ifindex = 3;
        b.family = Family::V6;
        b.version = 3;
        b.primary = *IpAddr::parse("fe80::1");
        b.machine.state = State::Master;
        b.machine.effective_priority = 102;
        b.machine.master_advert_int_cs = 50;
        b.machine.advert_due = TimePoint{1000s + 300ms};
        b.machine.counters = {1, 2, 3, 4, 5, 6};
        b.vips_installed = true;
        b.accept = true;
        b.fd_in = 7;
        b.fd_out = 9;
        report2 = {{"base", 100}, {"total", 102}, {"effective", 102},
                   {"trackers", {{{"kind", "file"}, {"name", "tf"}, {"state", "UP"}, {"weight", 2},
                                  {"reverse", false}, {"delta", 2}, {"fault", false}}}}};
        b.track_report = std::make_shared<const nlohmann::json>(report2);
        s.instances = {a, b};
        ScriptSnapshot sc;
        sc.cfg = &cfg.scripts.at("chk");
        sc.state = track::TrackState::Up;
        sc.running = true;
        sc.result = 4;
        s.scripts["chk"] = sc;
        s.track_files["tf"] = 1;
        BfdSnapshot bs;
        bs.name = "b1";
        bs.neighbor = "192.0.2.2";
        bs.state = 3;
        bs.remote_state = 3;
        bs.detect_time_s = 0.05;
        bs.packets_rx = 71;
        bs.packets_tx = 72;
        bs.tx_errors = 73;
        bs.absorbed_xdp = 74;
        bs.up = 2;
        bs.down = 1;
        bs.rejected_by["bad_ttl"] = 4;
        s.bfd.push_back(bs);
        // Every xv_stats field distinct: field i holds 1000 + i.
        for (size_t i = 0; i < sizeof(xv_stats) / 8; ++i) {
            const uint64_t v = 1000 + i;
            std::memcpy(reinterpret_cast<uint8_t*>(&s.kernel) + i * 8, &v, 8);
        }
        s.heartbeat_age_ns = 2'500'000;
        s.ring_bad_records = 51;
        s.rx_unknown_vrid = 52;
        s.rx_undecodable = 53;
        s.loop_errors = {{"adverts", 54}};
        s.interfaces = {{2, "eth0"}, {3, "eth1"}};
        s.xdp_modes = {{2, "native"}, {3, "generic"}};
        s.notify = {61, 62, 63};
        xv_addr_key k{};
        k.ifindex = 2;
        k.family = XV_FAMILY_V4;
        const uint8_t vip[4] = {192, 0, 2, 100};
        std::memcpy(k.addr, vip, 4);
        xv_vip v{};
        v.inst = xv_inst_key{2, XV_FAMILY_V4, 51, {0, 0}};
        v.verdict = XV_VERDICT_DROP_ALL;
        s.vips = {{k, v}};
        telemetry.transition("VI_1", State::Init, State::Backup, TimePoint{10s}, 1.0, std::nullopt);
        telemetry.transition("VI_2", State::Backup, State::Master, TimePoint{20s}, 2.0,
                             TimePoint{19950ms});
        telemetry.ringPass(3);
        telemetry.ringPass(0);
        telemetry.reloaded({{"kept", {"VI_1"}}, {"restarted", nlohmann::json::array()},
                            {"added", {"VI_2"}}, {"removed", nlohmann::json::array()}});
        telemetry.reloaded({{"ok", false}});
        telemetry.dumped(0.002);
        s.telemetry = telemetry.totals();
    }
};

}  // namespace xvrrp::daemon::test
