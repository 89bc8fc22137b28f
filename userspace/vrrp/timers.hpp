#pragma once
// VRRP timer formulas. Computed in whole microseconds with keepalived 2.2.7's integer
// rounding (include/vrrp.h VRRP_TIMER_SKEW_CALC, VRRP_MS_DOWN_TIMER), so a mixed
// keepalived/xvrrp pair breaks ties at the same moment.

#include <chrono>
#include <cstdint>

#include "vrrp/types.hpp"

namespace xvrrp::vrrp {

inline constexpr uint8_t kPriorityOwner = 255;  // RFC 5798 section 5.2.4
inline constexpr uint8_t kPriorityStop = 0;     // master is leaving (RFC 5798 6.4.3)
inline constexpr unsigned kDownTimerAdverts = 3;  // RFC 5798 section 6.1 "3 *"

constexpr Duration centiseconds(uint32_t cs) { return std::chrono::microseconds(cs * 10000ull); }

// RFC 3768 section 6.1: Skew_Time = (256 - Priority) / 256 seconds.
// RFC 5798 section 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256.
// keepalived: v2 floor((256-p) * 1e6 / 256) us; v3 floor((256-p) * cs * 625 / 16) us
// (625/16 = 10000/256 us per centisecond). v2 ignores the interval.
constexpr Duration skewTime(uint8_t priority, uint16_t master_adv_int_cs, int version) {
    const uint64_t p = 256u - priority;
    const uint64_t us = version == 3 ? (p * master_adv_int_cs * 625u) / 16u
                                     : (p * 1000000u) / 256u;
    return std::chrono::microseconds(us);
}

// RFC 3768 / RFC 5798 section 6.1:
// Master_Down_Interval = 3 * (Master_)Adver_Interval + Skew_Time.
// keepalived makes the 3 configurable (vrrp_down_timer_adverts); kept as a parameter.
constexpr Duration masterDownInterval(uint8_t priority, uint16_t master_adv_int_cs,
                                      int version, unsigned adverts = kDownTimerAdverts) {
    return centiseconds(master_adv_int_cs) * adverts +
           skewTime(priority, master_adv_int_cs, version);
}

// Advert coalescing (Params::coalesce_window): a quarter interval, at most 5 ms. Sending a
// master's advert that much early is harmless: backups time Master_Down_Interval from the
// last advert they heard, and RFC 5798 6.4.3 only bounds the interval from above.
constexpr Duration coalesceWindow(uint16_t adv_int_cs) {
    const Duration quarter = centiseconds(adv_int_cs) / 4;
    return quarter < std::chrono::milliseconds(5) ? quarter : std::chrono::milliseconds(5);
}

// A backup whose master's repeats the kernel absorbs reads the kernel's last-seen stamp this
// long before its Master_Down_Timer (one interval, at most 20 ms), so backups whose timers
// are close together re-arm in one wake-up.
constexpr Duration kernelCheckLead(uint16_t master_adv_int_cs) {
    const Duration interval = centiseconds(master_adv_int_cs);
    return interval < std::chrono::milliseconds(20) ? interval : std::chrono::milliseconds(20);
}

static_assert(coalesceWindow(1) == std::chrono::microseconds(2500));
static_assert(coalesceWindow(100) == std::chrono::milliseconds(5));
static_assert(kernelCheckLead(1) == std::chrono::milliseconds(10));
static_assert(skewTime(100, 100, 3) == std::chrono::microseconds(609375));
static_assert(skewTime(100, 100, 2) == std::chrono::microseconds(609375));
static_assert(skewTime(1, 1, 3) == std::chrono::microseconds(9960));  // 255*625/16 = 9960.9
static_assert(masterDownInterval(255, 100, 3) == std::chrono::microseconds(3003906));

}  // namespace xvrrp::vrrp
