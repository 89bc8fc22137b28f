#include "daemon/systemd.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>

namespace xvrrp::daemon {

SystemdNotify::SystemdNotify() {
    const char* sock = std::getenv("NOTIFY_SOCKET");
    enabled_ = sock && *sock;
    uint64_t usec = 0;
    // The variables stay in the environment (sd_notify reads NOTIFY_SOCKET on every call);
    // with NotifyAccess=main, systemd ignores anything a notify script would send.
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        watchdog_ = std::chrono::microseconds(usec / 2);
}

void SystemdNotify::send(const std::string& state) {
    if (!enabled_) return;
    if (int err = sd_notify(0, state.c_str()); err < 0)
        spdlog::warn("sd_notify({}): {}", state.substr(0, state.find('\n')), std::strerror(-err));
}

void SystemdNotify::ready() { send("READY=1"); }

// systemd >= 253 wants MONOTONIC_USEC with RELOADING=1 (Type=notify-reload); older ones
// ignore it.
void SystemdNotify::reloading() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const unsigned long long us =
        static_cast<unsigned long long>(ts.tv_sec) * 1000000ull + ts.tv_nsec / 1000;
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(us));
}

void SystemdNotify::stopping() { send("STOPPING=1"); }

void SystemdNotify::status(const std::string& line) {
    if (line == last_status_) return;
    last_status_ = line;
    send("STATUS=" + line);
}

void SystemdNotify::watchdog() { send("WATCHDOG=1"); }

}  // namespace xvrrp::daemon
