// Hitless restart (xvrrpctl restart). The running daemon has the binary it was started
// from (an upgrade replaced the file there) check the configuration, then stops its loop
// without the graceful path: every master sends one more advert (vrrp::Handover), the
// heartbeat is fresh, and a record of the instances' states, the ledger and the trackers
// goes into a memfd. It then execs the binary with the same arguments plus --handover:
// same pid (systemd's MAINPID, the pid file), the pin-root lock and the record cross the
// exec as fds. The new process reuses the pinned maps, swaps its programs in for the old
// ones, adopts each instance in its state (vrrp::Adopt: no transition, no GARP), takes the
// ledger over and undoes what its configuration no longer has.
//
// When something fails the node is never left without a daemon: a binary that is missing,
// not executable or refuses the configuration is never exec'd (the old process carries
// on); a failed execve returns to the running loop; a new binary that cannot start execs
// the old one again from an fd of its file (kept open since the old one started), which
// adopts from the same record; a record that cannot be used means a start as after a
// crash, which keeps the VIPs an instance holds once it is master again.
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "config/parser.hpp"
#include "daemon/bfd_worker.hpp"
#include "daemon/carry.hpp"
#include "daemon/daemon.hpp"
#include "daemon/handover.hpp"
#include "daemon/tracking.hpp"
#include "dataplane/dataplane.hpp"

extern char** environ;

namespace xvrrp::daemon {
namespace {

using nlohmann::json;

constexpr auto kCheckTimeout = std::chrono::seconds(20);
constexpr size_t kCheckOutputMax = 4096;

void setCloexec(int fd, bool on) {
    if (fd < 0) return;
    const int fl = ::fcntl(fd, F_GETFD);
    if (fl >= 0) ::fcntl(fd, F_SETFD, on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC));
}

std::vector<char*> cArgv(std::vector<std::string>& args) {
    std::vector<char*> out;
    for (auto& a : args) out.push_back(a.data());
    out.push_back(nullptr);
    return out;
}

// The arguments the daemon was started with, an earlier --handover replaced by PATH.
std::vector<std::string> successorArgv(const std::vector<std::string>& argv,
                                       const std::string& path) {
    std::vector<std::string> out;
    for (size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] == "--handover") {
            ++i;
            continue;
        }
        if (argv[i].rfind("--handover=", 0) == 0) continue;
        out.push_back(argv[i]);
    }
    out.push_back("--handover");
    out.push_back(path);
    return out;
}

json scriptsJson(const track::ScriptTrackers::Checks& checks) {
    json out = json::object();
    for (const auto& [name, sc] : checks) {
        const auto& [s, c] = sc;
        out[name] = {{"script", s.script},
                     {"interval_s", s.interval_s},
                     {"timeout_s", s.timeout_s ? json(*s.timeout_s) : json()},
                     {"weight", s.weight},
                     {"weight_reverse", s.weight_reverse},
                     {"rise", s.rise},
                     {"fall", s.fall},
                     {"init_fail", s.init_fail},
                     {"user", s.user},
                     {"group", s.group},
                     {"result", c.result()},
                     {"init", c.initial()}};
    }
    return out;
}

// The counters of the scripts the record names, for those the configuration defines the
// same way (ScriptTrackers compares the definitions).
track::ScriptTrackers::Checks scriptsFrom(const json& j, const config::Config& cfg) {
    track::ScriptTrackers::Checks out;
    for (const auto& [name, s] : cfg.scripts) {
        if (!j.contains(name)) continue;
        try {
            const json& e = j[name];
            config::Script old = s;
            old.script = e.at("script").get<std::string>();
            old.interval_s = e.at("interval_s").get<uint32_t>();
            old.timeout_s = e.at("timeout_s").is_null()
                                ? std::nullopt
                                : std::optional<uint32_t>(e.at("timeout_s").get<uint32_t>());
            old.weight = e.at("weight").get<int>();
            old.weight_reverse = e.at("weight_reverse").get<bool>();
            old.rise = e.at("rise").get<uint32_t>();
            old.fall = e.at("fall").get<uint32_t>();
            old.init_fail = e.at("init_fail").get<bool>();
            old.user = e.at("user").get<std::string>();
            old.group = e.at("group").get<std::string>();
            out.emplace(name, std::pair{old, track::ScriptCheck::restore(
                                                 old.rise, old.fall, e.at("result").get<int>(),
                                                 e.at("init").get<bool>())});
        } catch (const std::exception& e) {
            spdlog::warn("handover: vrrp_script {}: {}; it starts over", name, e.what());
        }
    }
    return out;
}

uint64_t monotonicNs() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

Daemon::RestartCheck::~RestartCheck() {
    if (pid > 0 && pidfd >= 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);  // the daemon stops while a check runs
        ::waitpid(pid, nullptr, 0);
    }
    for (int fd : {pidfd, out})
        if (fd >= 0) ::close(fd);
}

std::string startedBinary(const std::vector<std::string>& argv) {
    const std::string a0 = argv.empty() ? "" : argv[0];
    if (a0.find('/') == std::string::npos) {  // found on $PATH: the file the kernel ran
        char buf[PATH_MAX];
        const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        std::string path = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
        if (const auto del = path.rfind(" (deleted)"); del != std::string::npos) path.erase(del);
        return path;
    }
    if (a0[0] == '/') return a0;
    char cwd[PATH_MAX];
    return ::getcwd(cwd, sizeof(cwd)) ? std::string(cwd) + "/" + a0 : a0;
}

bool execFallback(HandoverRecord record, const std::string& reason, int lock_fd) {
    const int exe = record.fallback_exe_fd;
    if (exe < 0) return false;
    spdlog::critical("handover: {}; going back to the binary that handed over (version {})", reason,
                     record.version);
    record.fallback_exe_fd = -1;  // the way back is taken once
    record.fallback_reason = reason;
    record.written_ns = monotonicNs();
    int fd = -1;
    try {
        fd = writeRecordFd(record);
    } catch (const std::exception& e) {
        spdlog::critical("handover: {}", e.what());
        return false;
    }
    // The old process's own command line: this one's may be what failed.
    auto args = successorArgv(record.argv, "/proc/self/fd/" + std::to_string(fd));
    auto argv = cArgv(args);
    setCloexec(lock_fd, false);  // the exe fd stays close-on-exec: fexecve needs it only to start
    spdlog::default_logger()->flush();
    ::fexecve(exe, argv.data(), environ);
    const int err = errno;
    setCloexec(lock_fd, true);
    ::close(fd);
    spdlog::critical("handover: fexecve of the previous binary: {}", std::strerror(err));
    return false;
}

// ---- the old process ----

// Children an exec hands to the next image: our scripts and those we took over.
std::vector<int64_t> Daemon::runningChildren() const {
    std::vector<int64_t> out = inherited_children_.pids();
    if (tracking_)
        for (pid_t p : tracking_->runningScripts()) out.push_back(p);
    return out;
}

nlohmann::json Daemon::restartCommand() {
    if (check_) throw std::invalid_argument("a restart is already being checked");
    if (exe_path_.empty() || ::access(exe_path_.c_str(), X_OK) != 0)
        throw std::invalid_argument("cannot restart: " +
                                    (exe_path_.empty() ? std::string("the binary is unknown")
                                                       : exe_path_ + ": " + std::strerror(errno)) +
                                    "; xvrrpd keeps running");
    ++restart_attempt_;
    startRestartCheck();
    last_restart_ = {{"attempt", restart_attempt_},
                     {"result", "checking"},
                     {"error", nullptr},
                     {"binary", exe_path_},
                     {"restarts", restarts_}};
    spdlog::info("Restart requested: checking {} -t -f {}", exe_path_, options_.config_file);
    return {{"restarting", true},
            {"attempt", restart_attempt_},
            {"binary", exe_path_},
            {"pid", ::getpid()}};
}

// The candidate must run and accept the configuration before anything is given up.
void Daemon::startRestartCheck() {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    // Also whether it can take our record over: an older xvrrpd refuses the option.
    std::vector<std::string> args = {
        exe_path_,    "-t",
        "-f",         options_.config_file,
        "--handover", "check:" + std::to_string(HandoverRecord::kFormat)};
    auto argv = cArgv(args);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int err = errno;
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(err));
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, 0);
        ::dup2(pipefd[1], 1);
        ::dup2(pipefd[1], 2);
        ::execv(args[0].c_str(), argv.data());
        dprintf(2, "exec %s: %s\n", args[0].c_str(), std::strerror(errno));
        ::_exit(127);
    }
    ::close(pipefd[1]);
    auto c = std::make_unique<RestartCheck>();
    c->pid = pid;
    c->out = pipefd[0];
    ::fcntl(c->out, F_SETFL, ::fcntl(c->out, F_GETFL) | O_NONBLOCK);
    c->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    c->deadline = std::chrono::steady_clock::now() + kCheckTimeout;
    if (c->pidfd < 0) {
        const int err = errno;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(err));
    }
    loop_.add(c->out, "restart check", [this](uint32_t) { readRestartCheck(); });
    loop_.add(c->pidfd, "restart check", [this](uint32_t) { onRestartCheck(); });
    check_ = std::move(c);
}

void Daemon::readRestartCheck() {
    if (!check_) return;
    char buf[1024];
    ssize_t n;
    while ((n = ::read(check_->out, buf, sizeof(buf))) > 0)
        if (check_->output.size() < kCheckOutputMax)
            check_->output.append(buf, static_cast<size_t>(n));
    if (n == 0) loop_.remove(check_->out);  // EOF: the pidfd tells the rest
}

void Daemon::onRestartCheck() {
    if (!check_) return;
    readRestartCheck();
    int st = 0;
    if (::waitpid(check_->pid, &st, WNOHANG) == 0) return;
    loop_.remove(check_->out);
    loop_.remove(check_->pidfd);
    std::string out = check_->output;
    check_.reset();
    while (!out.empty() && out.back() == '\n') out.pop_back();
    // Usable: 0, or keepalived's exit status for warnings its -t reports too (the file runs
    // on keepalived as it does here, so it does not stop an upgrade).
    if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 ||
                          WEXITSTATUS(st) == config::kExitKeepalivedWarnings)) {
        if (WEXITSTATUS(st) != 0) spdlog::warn("Restart: {}", out);
        handover();  // returns only if the exec failed
        return;
    }
    const std::string how = WIFEXITED(st) ? "exited with status " + std::to_string(WEXITSTATUS(st))
                                          : "was killed by signal " + std::to_string(WTERMSIG(st));
    failRestart(exe_path_ + " -t (configuration and handover check) " + how +
                (out.empty() ? "" : ": " + out) + "; xvrrpd keeps running");
}

void Daemon::checkRestartTimeout() {
    if (check_ && std::chrono::steady_clock::now() > check_->deadline) {
        spdlog::warn("restart check of {} did not finish in {} s; killing it", exe_path_,
                     kCheckTimeout.count());
        ::kill(check_->pid, SIGKILL);  // the pidfd reports it
    }
}

void Daemon::cancelRestartCheck() {
    if (!check_) return;
    loop_.remove(check_->out);
    loop_.remove(check_->pidfd);
    check_.reset();  // kills and reaps the child
    failRestart("the daemon is stopping");
}

void Daemon::failRestart(const std::string& why) {
    spdlog::error("Restart failed: {}", why);
    last_restart_["result"] = "failed";
    last_restart_["error"] = why;
}

HandoverRecord Daemon::handoverRecord(vrrp::TimePoint t) const {
    HandoverRecord r;
    r.abi = XV_ABI_VERSION;
    r.bpf = dataplane::Dataplane::programsFingerprint();
    r.version = XVRRP_VERSION;
    r.pid = ::getpid();
    r.written_ns = static_cast<uint64_t>(t.since_boot.count());
    r.boot_id = bootId();
    r.pin_root = options_.pin_root;
    r.argv = options_.argv;
    for (const auto& rt : table_) {
        if (!rt->bound()) continue;
        r.instances.push_back({rt->cfg().name, rt->cfg().vrid, rt->cfg().interface, rt->family(),
                               rt->machine().state, rt->machine().counters,
                               rt->oldUnicastChecksum()});
    }
    r.ledger = ledger_.handoff();
    if (tracking_) r.scripts = scriptsJson(tracking_->scriptChecks());
    if (bfd_) r.bfd = bfd_->handoff();
    r.children = runningChildren();
    r.fallback_exe_fd = exe_fd_;
    r.restarts = restarts_;
    r.attempt = restart_attempt_;
    return r;
}

void Daemon::handover() {
    systemd_.reloading();
    drain();
    auto t = now();
    spdlog::info("Restarting: handing over to {} (pid {} stays)", exe_path_, ::getpid());
    for (const auto& rt : table_)
        if (rt->bound())
            loop_.guarded("(" + rt->cfg().name + ") handover",
                          [&] { rt->handle(vrrp::Handover{}, t); });
    loop_.guarded("advert flush", [this] { adverts_.flush(); });
    int fd = -1;
    try {
        fd = writeRecordFd(handoverRecord(now()));
    } catch (const std::exception& e) {
        systemd_.ready();
        failRestart(std::string(e.what()) + "; xvrrpd keeps running");
        return;
    }
    auto args = successorArgv(options_.argv, "/proc/self/fd/" + std::to_string(fd));
    auto argv = cArgv(args);
    const int lock = dataplane_->lockFd();
    setCloexec(lock, false);
    setCloexec(exe_fd_, false);
    // Real-time, rlimits and affinity cross an exec: the new image must start from what
    // this process started with, or its BPF loads run under RLIMIT_RTTIME and a reload that
    // drops vrrp_rt_priority restores real-time.
    releaseTuning();
    dataplane_->heartbeat(static_cast<uint64_t>(now().since_boot.count()));
    // The next process numbers its xv_bfd_seen slots afresh and reads none before its
    // program load: until then every BFD packet must reach its socket.
    if (bfd_) loop_.guarded("BFD detach", [this] { bfd_->detachKernel(); });
    spdlog::default_logger()->flush();
    ::execv(exe_path_.c_str(), argv.data());
    // Still here: nothing was given up, the loop goes on.
    const int err = errno;
    setCloexec(lock, true);
    setCloexec(exe_fd_, true);
    ::close(fd);
    applyTuning();
    armTuning();
    attachBfdKernel();
    systemd_.ready();
    failRestart("execv " + exe_path_ + ": " + std::strerror(err) + "; xvrrpd keeps running");
}

// ---- the new process ----

void Daemon::loadHandover() {
    if (options_.handover.empty()) return;
    auto loaded = loadRecord(options_.handover, options_.pin_root, monotonicNs());
    // The record's fd (/proc/self/fd/N) and the old binary's must not reach scripts.
    int record_fd = -1;
    if (std::sscanf(options_.handover.c_str(), "/proc/self/fd/%d", &record_fd) == 1)
        handover_fds_.push_back(record_fd);
    if (!loaded.record) {
        spdlog::error(
            "handover record {} cannot be used ({}); starting as after a crash: "
            "instances start afresh, VIPs already held are kept once master again",
            options_.handover, loaded.error);
        last_restart_ = {{"attempt", nullptr},
                         {"result", "failed"},
                         {"error", "handover record unusable: " + loaded.error},
                         {"binary", exe_path_},
                         {"restarts", 0}};
    } else {
        inherited_ = std::move(loaded.record);
        handover_fds_.push_back(inherited_->fallback_exe_fd);
        inherited_children_.adopt(inherited_->children);
        spdlog::info("handover from xvrrpd {} (ABI {}): {} instance(s), {} change(s) on the system",
                     inherited_->version, inherited_->abi, inherited_->instances.size(),
                     inherited_->ledger.size());
    }
    for (int fd : handover_fds_) setCloexec(fd, true);
}

bool Daemon::reusePinned() const { return inherited_ && inherited_->abi == XV_ABI_VERSION; }

bool Daemon::keepPrograms() const {
    return reusePinned() && inherited_->bpf == dataplane::Dataplane::programsFingerprint();
}

void Daemon::inheritLedger() {
    if (!inherited_) return;
    const size_t n = ledger_.inherit(inherited_->ledger, rebuilder(*netlink_, *dataplane_));
    spdlog::info("handover: took over {} change(s) on the system", n);
}

track::ScriptTrackers::Checks Daemon::inheritedScripts() const {
    return inherited_ ? scriptsFrom(inherited_->scripts, *config_)
                      : track::ScriptTrackers::Checks{};
}

// An instance that is still the same router (name, VRID, interface, family) goes on in
// the state the previous process left it in.
bool Daemon::adoptInherited(InstanceRuntime& rt, vrrp::TimePoint t) {
    if (!inherited_ || rt.machine().state != vrrp::State::Init) return false;
    const auto* h = inherited_->find(rt.cfg().name);
    if (!h || h->vrid != rt.cfg().vrid || h->interface != rt.cfg().interface ||
        h->family != rt.family())
        return false;
    if (h->state != vrrp::State::Master && h->state != vrrp::State::Backup) return false;
    if (h->old_unicast_checksum) rt.useOldUnicastChecksum();
    spdlog::info("({}) taking over as {} from the previous process", rt.cfg().name,
                 vrrp::stateName(h->state));
    rt.handle(vrrp::Adopt{h->state, h->counters}, t);
    ++adopted_;
    return true;
}

// After the start: what the previous configuration had and this one does not goes.
void Daemon::finishHandover() {
    auto closeFds = [this] {
        for (int fd : handover_fds_)
            if (fd >= 0) ::close(fd);
        handover_fds_.clear();
    };
    if (!inherited_) return closeFds();
    for (const auto& what : ledger_.undoUnclaimed())
        spdlog::info("handover: {} removed (not in this configuration)", what);
    if (dataplane_->reusedMaps())
        loop_.guarded("handover map cleanup", [this] { dataplane_->pruneUnknown(); });
    restarts_ = inherited_->restarts + (inherited_->fallback_reason.empty() ? 1 : 0);
    restart_attempt_ = inherited_->attempt;
    if (inherited_->fallback_reason.empty())
        last_restart_ = {{"attempt", inherited_->attempt},
                         {"result", "done"},
                         {"error", nullptr},
                         {"binary", exe_path_},
                         {"restarts", restarts_},
                         {"previous_version", inherited_->version},
                         {"adopted", adopted_},
                         {"handover_ns", inherited_->written_ns}};
    else
        last_restart_ = {
            {"attempt", inherited_->attempt},
            {"result", "failed"},
            {"error", "the new binary could not start (" + inherited_->fallback_reason +
                          "); the previous binary took over again"},
            {"binary", exe_path_},
            {"restarts", restarts_},
            {"previous_version", inherited_->version},
            {"adopted", adopted_}};
    spdlog::info("handover done: {} instance(s) adopted", adopted_);
    inherited_.reset();
    closeFds();
}

bool Daemon::fallBack(const std::string& reason) {
    if (!inherited_) return false;
    // What this process added itself goes; what it took over goes back with the record.
    ledger_.unwindOwn();
    if (dataplane_) dataplane_->heartbeat(static_cast<uint64_t>(now().since_boot.count()));
    if (tuning_) releaseTuning();
    inherited_->children = runningChildren();
    return execFallback(*inherited_, reason, dataplane_ ? dataplane_->lockFd() : -1);
}

}  // namespace xvrrp::daemon
