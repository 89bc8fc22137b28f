// xvrrpd: keepalived-compatible VRRP daemon with an XDP receive path.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "config/parser.hpp"
#include "daemon/cleanup.hpp"
#include "daemon/daemon.hpp"
#include "daemon/handover.hpp"
#include "daemon/options.hpp"
#include "dataplane/dataplane.hpp"

namespace {

using xvrrp::daemon::Options;

// keepalived's VRRP child logs as "Keepalived_vrrp" on LOG_DAEMON unless told otherwise,
// and operators' log watchers and rsyslog rules match on that.
void setupLogging(const Options& o) {
    std::vector<spdlog::sink_ptr> sinks;
    if (o.log_console) {
        auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        console->set_pattern("%a %b %d %H:%M:%S.%e %Y: %v");
        sinks.push_back(console);
    }
    if (!o.no_syslog) {
        auto sys = std::make_shared<spdlog::sinks::syslog_sink_mt>(o.syslog_ident, LOG_PID,
                                                                   o.syslog_facility, false);
        sys->set_pattern("%v");
        sinks.push_back(sys);
    }
    if (!o.log_file.empty()) {
        auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(o.log_file);
        file->set_pattern("%a %b %d %H:%M:%S.%e %Y: %v");
        sinks.push_back(file);
    }
    auto logger = std::make_shared<spdlog::logger>("xvrrpd", sinks.begin(), sinks.end());
    logger->set_level(o.log_detail ? spdlog::level::debug : spdlog::level::info);
    logger->flush_on(o.flush_log_file ? spdlog::level::trace : spdlog::level::info);
    spdlog::set_default_logger(logger);
}

// -s/--namespace: everything after this runs in /run/netns/NAME (iproute2's named ones).
bool enterNamespace(const std::string& name) {
    const std::string path = "/run/netns/" + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "xvrrpd: -s/--namespace %s: %s: %s\n", name.c_str(), path.c_str(),
                     std::strerror(errno));
        if (fd >= 0) ::close(fd);
        return false;
    }
    ::close(fd);
    return true;
}

// -m/-M: core dumps for a daemon that ends abnormally; -M also sets the kernel's pattern.
void enableCoreDumps(const Options& o) {
    rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_CORE, &unlimited) != 0)
        std::fprintf(stderr, "xvrrpd: -m: setrlimit(RLIMIT_CORE): %s\n", std::strerror(errno));
    if (!o.core_pattern.empty()) {
        std::ofstream out("/proc/sys/kernel/core_pattern");
        out << o.core_pattern << "\n";
        if (!out)
            std::fprintf(stderr, "xvrrpd: -M: cannot write /proc/sys/kernel/core_pattern\n");
    }
}

uint64_t monotonicNs() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// A restart's new process that cannot even begin (its configuration fails) goes back to
// the binary that handed over, if the record allows.
void fallBackBeforeStart(const Options& o, const std::string& reason) {
    setupLogging(o);
    auto loaded = xvrrp::daemon::loadRecord(o.handover, o.pin_root, monotonicNs());
    if (!loaded.record) {
        spdlog::critical("handover record {}: {}", o.handover, loaded.error);
        return;
    }
    xvrrp::daemon::execFallback(*loaded.record, reason, -1);
}

// Refuses to start over a live daemon's pid file; a stale one is replaced.
bool writePidFile(const std::string& path) {
    if (path.empty()) return true;
    if (std::ifstream in(path); in) {
        pid_t pid = 0;
        if (in >> pid && pid > 0 && pid != ::getpid() && ::kill(pid, 0) == 0) {
            spdlog::error("pid file {} names running process {}; is xvrrpd already running?",
                          path, pid);
            return false;
        }
    }
    std::ofstream out(path, std::ios::trunc);
    if (!out) {
        spdlog::error("cannot write pid file {}: {}", path, std::strerror(errno));
        return false;
    }
    out << ::getpid() << "\n";
    return true;
}

// Forks into the background, but the parent stays until the daemon has started or failed:
// its exit status and stderr tell which (keepalived's parent exits 0 even when the child
// dies at once). Returns, in the daemon, the pipe to report on (StartReport); -1 on error.
int daemonize() {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) return -1;
    pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid > 0) {
        ::close(report[1]);
        std::string msg;
        char buf[512];
        ssize_t n;
        while ((n = ::read(report[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
            if (n > 0) msg.append(buf, static_cast<size_t>(n));
        int st = 0;
        ::waitpid(pid, &st, 0);  // the intermediate child
        if (msg == "ok\n") ::_exit(0);
        std::fputs(msg.empty() ? "xvrrpd: the daemon exited during start-up (see syslog)\n"
                               : msg.c_str(),
                   stderr);
        ::_exit(1);
    }
    ::close(report[0]);
    ::setsid();
    pid = ::fork();
    if (pid < 0) ::_exit(1);
    if (pid > 0) ::_exit(0);
    if (::chdir("/") != 0) return -1;
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        if (null > 2) ::close(null);
    }
    return report[1];
}

// Tells a waiting parent (daemonize) how the start went; once.
class StartReport {
public:
    explicit StartReport(int fd) : fd_(fd) {}
    ~StartReport() { failed("xvrrpd: the daemon stopped during start-up (see syslog)"); }
    void ok() { send("ok\n"); }
    void failed(const std::string& why) { send(why + "\n"); }

private:
    void send(const std::string& text) {
        if (fd_ < 0) return;
        (void)!::write(fd_, text.data(), text.size());
        ::close(fd_);
        fd_ = -1;
    }
    int fd_;
};

}  // namespace

int main(int argc, char** argv) {
    auto parsed = xvrrp::daemon::parseOptions(argc, argv);
    if (!parsed.options) {
        std::fputs(parsed.message.c_str(), parsed.exit_code ? stderr : stdout);
        return parsed.exit_code;
    }
    Options opts = *parsed.options;
    // xvrrpctl restart exec'd this process: the dead-man switch first, before anything
    // slow, so the VIPs the old process served keep answering. Anything that ends this
    // start from here on goes back to the binary that handed over.
    const bool handover = !opts.handover.empty() && !opts.config_test;
    if (handover) xvrrp::dataplane::writePinnedHeartbeat(opts.pin_root, monotonicNs());
    auto giveUp = [&](const std::string& why) {
        if (handover) fallBackBeforeStart(opts, why);
        return 1;
    };
    if (opts.umask) ::umask(*opts.umask);
    if (!opts.net_namespace.empty() && !enterNamespace(opts.net_namespace))
        return giveUp("-s/--namespace " + opts.net_namespace + " failed");
    if (opts.cleanup) return xvrrp::daemon::runCleanup(opts, std::cout, std::cerr);
    if (opts.config_test && !opts.handover.empty()) {
        auto answer = xvrrp::daemon::handoverCheck(opts.handover);
        if (!answer) {
            std::fprintf(stderr, "xvrrpd: -t takes --handover check:FORMAT only\n");
            return 2;
        }
        if (!answer->empty()) {
            std::fprintf(stderr, "%s\n", answer->c_str());
            return 1;
        }
    }
    if (opts.config_test) {
        const auto load = xvrrp::daemon::configLoadOptions(opts);
        std::ostream* dump = opts.dump_conf ? &std::cout : nullptr;
        if (opts.config_test_log.empty()) return xvrrp::config::checkConfig(opts.config_file, std::cerr, load, dump);
        std::ofstream log(opts.config_test_log, std::ios::app);
        if (!log) {
            std::fprintf(stderr, "xvrrpd: -t: cannot write %s: %s\n", opts.config_test_log.c_str(),
                         std::strerror(errno));
            return 1;
        }
        return xvrrp::config::checkConfig(opts.config_file, log, load, dump);
    }
    if (opts.core_dump) enableCoreDumps(opts);
    // Memory after many reloads is what the daemon holds, not the gaps reloads left in the
    // heap (fresh_thread.hpp; docs/bench.md, scale). Set before any thread starts: one heap
    // for every thread, as a reload parses on a thread of its own, and a thread's own arena
    // keeps its top pages (malloc_trim shrinks only the main heap's top); no fast bins,
    // whose freed small blocks stay unmerged. A master's adverts allocate nothing
    // (unit.daemon_alloc), so slower small frees do not reach them.
    if (::mallopt(M_ARENA_MAX, 1) != 1) opts.notices.push_back("mallopt(M_ARENA_MAX, 1) failed");
    if (::mallopt(M_MXFAST, 0) != 1) opts.notices.push_back("mallopt(M_MXFAST, 0) failed");

    auto loaded = xvrrp::config::loadConfigFile(opts.config_file, xvrrp::daemon::configLoadOptions(opts));
    for (const auto& d : loaded.diagnostics) std::cerr << d.str() << "\n";
    if (!loaded.ok()) {
        std::cerr << "xvrrpd: " << opts.config_file << " has errors; not starting\n";
        return giveUp(opts.config_file + " has errors");
    }
    int report_fd = -1;
    // After a restart's exec the process is the daemon already (its pid is systemd's).
    if (!opts.foreground && !handover && (report_fd = daemonize()) < 0) {
        std::perror("xvrrpd: daemonize");
        return 1;
    }
    StartReport report(report_fd);
    setupLogging(opts);
    for (const auto& n : opts.notices) spdlog::warn("{}", n);
    if (::geteuid() != 0) {
        spdlog::error("xvrrpd must run as root (XDP, raw sockets, addresses)");
        report.failed("xvrrpd: must run as root (XDP, raw sockets, addresses)");
        return giveUp("not running as root");
    }
    if (!writePidFile(opts.pid_file) || !writePidFile(opts.vrrp_pid_file)) {
        report.failed("xvrrpd: cannot take the pid file (see syslog); is xvrrpd already running?");
        return giveUp("cannot take the pid file");
    }
    int rc = 1;
    try {
        xvrrp::daemon::Daemon d(std::move(loaded.config), opts);
        try {
            d.start();
        } catch (const std::exception& e) {
            if (handover) d.fallBack(e.what());  // returns only if there is no way back
            throw;
        }
        report.ok();
        rc = d.run();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        report.failed(std::string("xvrrpd: ") + e.what());
        rc = 1;
    }
    for (const auto& p : {opts.pid_file, opts.vrrp_pid_file})
        if (!p.empty()) ::unlink(p.c_str());
    return rc;
}
