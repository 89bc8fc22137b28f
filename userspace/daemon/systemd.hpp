#pragma once
// systemd's notify protocol (sd_notify(3), libsystemd) for Type=notify units: READY=1 once
// every instance is bound, RELOADING=1/READY=1 around a reload, STOPPING=1, a one-line
// STATUS=, and WATCHDOG=1 from the event loop itself, so a hung loop stops feeding it.
// Without $NOTIFY_SOCKET every call is a no-op.

#include <chrono>
#include <optional>
#include <string>

namespace xvrrp::daemon {

class SystemdNotify {
public:
    SystemdNotify();
    bool enabled() const { return enabled_; }
    void ready();
    void reloading();
    void stopping();
    // Sent only when it changed.
    void status(const std::string& line);
    void watchdog();
    // Half of WatchdogSec= (sd_watchdog_enabled), the interval to send WATCHDOG=1 at.
    std::optional<std::chrono::microseconds> watchdogInterval() const { return watchdog_; }

private:
    void send(const std::string& state);

    bool enabled_ = false;
    std::optional<std::chrono::microseconds> watchdog_;
    std::string last_status_;
};

}  // namespace xvrrp::daemon
