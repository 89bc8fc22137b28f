#include "loop_util.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace xvrrp::bench {
namespace {
const char* gProgram = "xvrrp-bench";
}  // namespace

void setProgramName(const char* name) { gProgram = name; }

void die(const std::string& what) {
    std::fprintf(stderr, "%s: %s: %s\n", gProgram, what.c_str(), std::strerror(errno));
    std::exit(1);
}

int64_t clockNs(clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int openSignalFd() {
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&mask, s);
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) die("sigprocmask");
    int sigFd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigFd < 0) die("signalfd");
    return sigFd;
}

SignalsRead readSignals(int sigFd) {
    SignalsRead r;
    signalfd_siginfo si;
    while (read(sigFd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGUSR1)
            r.mark = true;
        else
            r.stop = true;
    }
    return r;
}

void writeReport(const std::string& json, const std::string& out) {
    if (out.empty()) {
        std::printf("%s\n", json.c_str());
        return;
    }
    std::ofstream f(out);
    f << json << "\n";
    if (!f) die("write(" + out + ")");
}

}  // namespace xvrrp::bench
