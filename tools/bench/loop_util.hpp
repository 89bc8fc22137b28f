#pragma once
// What xvrrp-probe and xvrrp-advert-watch share: error exit, the monotonic clock,
// the SIGINT/SIGTERM/SIGUSR1 signalfd that ends a run or marks the cut, and the
// JSON report's destination.
#include <time.h>

#include <cstdint>
#include <string>

namespace xvrrp::bench {

// Names the tool in die() messages; call once at the top of main.
void setProgramName(const char* name);

// Prints "<program>: WHAT: strerror(errno)" and exits 1.
[[noreturn]] void die(const std::string& what);

// CLOCK in ns; CLOCK_MONOTONIC is the clock every bench tool reports on.
int64_t clockNs(clockid_t clock = CLOCK_MONOTONIC);

// Blocks SIGINT, SIGTERM and SIGUSR1 and returns a non-blocking signalfd for them.
int openSignalFd();

struct SignalsRead {
    bool mark = false;  // SIGUSR1: the harness marks the cut
    bool stop = false;  // SIGINT or SIGTERM
};

// Drains every pending signal from openSignalFd()'s descriptor.
SignalsRead readSignals(int sigFd);

// One JSON line to stdout, or to OUT when not empty (dies when the write fails).
void writeReport(const std::string& json, const std::string& out);

}  // namespace xvrrp::bench
