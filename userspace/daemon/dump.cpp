// keepalived's dump signals: SIGUSR1 /tmp/keepalived.data, SIGUSR2 /tmp/keepalived.stats,
// SIGRTMAX-1 the same and clears the counters it shows, SIGRTMIN+2 /tmp/keepalived.json.
//
// /tmp is world-writable: a file or symlink planted at one of these names must not make
// root write elsewhere. Each dump goes to a new file created with O_EXCL|O_NOFOLLOW (mode
// 0600, like keepalived's) in the same directory and is renamed over the name; rename
// replaces a symlink itself, never its target (keepalived 2.2.7 measured here leaves a
// planted symlink's target alone too). Readers never see a half-written file.
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "daemon/daemon.hpp"
#include "daemon/dump.hpp"
#include "daemon/dump_render.hpp"

namespace xvrrp::daemon {
namespace {

std::runtime_error sysError(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

void replaceFile(const std::string& path, std::string_view text) {
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 16; ++attempt) {
        uint64_t r = 0;
        if (::getrandom(&r, sizeof r, 0) != sizeof r) r = static_cast<uint64_t>(::getpid()) << 16 | attempt;
        char suffix[24];
        std::snprintf(suffix, sizeof suffix, ".%016llx", static_cast<unsigned long long>(r));
        tmp = dir + "." + base + suffix;
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) throw sysError("creating " + tmp);
    }
    if (fd < 0) throw sysError("creating a temporary file for " + path);
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            auto e = sysError("writing " + tmp);
            ::close(fd);
            ::unlink(tmp.c_str());
            throw e;
        }
        done += static_cast<size_t>(n);
    }
    ::fchmod(fd, 0600);  // whatever the umask left
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        auto e = sysError("renaming " + tmp + " to " + path);
        ::unlink(tmp.c_str());
        throw e;
    }
}

std::string dumpPath(DumpKind k) {
    switch (k) {
        case DumpKind::Data: return "/tmp/keepalived.data";
        case DumpKind::Stats:
        case DumpKind::StatsClear: return "/tmp/keepalived.stats";
        case DumpKind::Json: return "/tmp/keepalived.json";
    }
    return {};
}

bool Daemon::onDumpSignal(int signo) {
    auto kind = dumpKindOf(signo);
    if (!kind) return false;
    const int pid = static_cast<int>(::getpid());
    // keepalived's log lines for these signals.
    switch (*kind) {
        case DumpKind::Data: spdlog::info("Printing VRRP data for process({}) on signal", pid); break;
        case DumpKind::Stats: spdlog::info("Printing VRRP stats for process({}) on signal", pid); break;
        case DumpKind::StatsClear:
            spdlog::info("Printing and clearing VRRP stats for process({}) on signal", pid);
            break;
        case DumpKind::Json: spdlog::info("Printing VRRP as json for process({}) on signal", pid); break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto snap = snapshot();
    std::string text = *kind == DumpKind::Data   ? renderData(snap)
                       : *kind == DumpKind::Json ? renderJson(snap, stats_baseline_)
                                                 : renderStats(snap, stats_baseline_);
    const std::string path = dumpPath(*kind);
    try {
        replaceFile(path, text);
    } catch (const std::exception& e) {
        spdlog::error("Unable to write {}: {}", path, e.what());
    }
    if (*kind == DumpKind::StatsClear)
        for (const auto& i : snap.instances) stats_baseline_[i.cfg->name] = keepalivedStats(i);
    telemetry_.dumped(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return true;
}

}  // namespace xvrrp::daemon
