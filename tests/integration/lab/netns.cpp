#include "lab/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "lab/child.hpp"
#include "lab/wait.hpp"

namespace xvrrp::lab {

namespace {

std::atomic<int> gCounter{0};

std::string joined(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
    return s;
}

std::system_error sysError(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

// Identity of a network namespace: the inode behind its nsfs file.
bool nsInode(const std::string& path, ino_t& ino, dev_t& dev) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    ino = st.st_ino;
    dev = st.st_dev;
    return true;
}

}  // namespace

RunResult runIn(const std::string& netnsPath, const std::vector<std::string>& argv,
                std::chrono::steady_clock::duration timeout) {
    if (argv.empty()) throw std::invalid_argument("runIn: empty argv");
    const std::vector<char*> cargv = detail::execArgv(argv);
    int nsFd = detail::openNetnsFd(netnsPath);
    int outPipe[2], errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0) throw sysError("pipe2");
    if (::pipe2(errPipe, O_CLOEXEC) != 0) throw sysError("pipe2");
    pid_t pid = ::fork();
    if (pid < 0) throw sysError("fork for " + argv[0]);
    if (pid == 0) detail::execChild(nsFd, cargv, outPipe[1], errPipe[1]);
    if (nsFd >= 0) ::close(nsFd);
    ::close(outPipe[1]);
    ::close(errPipe[1]);

    RunResult res;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    int open = 2;
    bool timedOut = false;
    while (open > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timedOut = true;
            break;
        }
        int n = ::poll(fds, 2, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
            if (r > 0) {
                (i == 0 ? res.out : res.err).append(buf, static_cast<size_t>(r));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    if (timedOut) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    res.exitCode = (!timedOut && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
    if (timedOut) res.err += "\n[lab] timed out: " + joined(argv);
    return res;
}

void inNetns(const std::string& netnsPath, const std::function<void()>& fn) {
    std::exception_ptr error;
    std::thread t([&] {
        try {
            int fd = ::open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) throw sysError("open(" + netnsPath + ")");
            int rc = ::setns(fd, CLONE_NEWNET);
            int saved = errno;
            ::close(fd);
            errno = saved;
            if (rc != 0) throw sysError("setns(" + netnsPath + ", CLONE_NEWNET)");
            fn();
        } catch (...) {
            error = std::current_exception();
        }
    });
    t.join();
    if (error) std::rethrow_exception(error);
}

Netns::Netns(const std::string& tag) {
    name_ = "xvt-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(gCounter++);
    auto r = runIn("", {"ip", "netns", "add", name_});
    if (!r.ok()) throw std::runtime_error("ip netns add " + name_ + ": " + r.err);
}

Netns::~Netns() {
    try {
        for (auto& p : procs_) p->stop(std::chrono::seconds(2));
        procs_.clear();
        // Anything else inside (grandchildren, daemons that double-forked).
        for (int round = 0; round < 2; ++round) {
            auto left = pids();
            if (left.empty()) break;
            for (int pid : left) ::kill(pid, round == 0 ? SIGTERM : SIGKILL);
            waitUntil([&] { return pids().empty(); }, std::chrono::seconds(2));
        }
        runIn("", {"ip", "netns", "del", name_});
    } catch (...) {
        // A destructor must not throw; removeStale() is the fallback.
    }
}

RunResult Netns::run(const std::vector<std::string>& argv,
                     std::chrono::steady_clock::duration timeout) const {
    return runIn(path(), argv, timeout);
}

std::string Netns::runOk(const std::vector<std::string>& argv) const {
    auto r = run(argv);
    if (!r.ok())
        throw std::runtime_error("in " + name_ + ": " + joined(argv) + " -> exit " +
                                 std::to_string(r.exitCode) + ": " + r.err);
    return r.out;
}

Process& Netns::spawn(const std::vector<std::string>& argv, const std::string& logPath) {
    procs_.push_back(std::make_unique<Process>(Process::spawn(path(), argv, logPath)));
    return *procs_.back();
}

std::vector<int> Netns::pids() const {
    std::vector<int> out;
    ino_t ino;
    dev_t dev;
    if (!nsInode(path(), ino, dev)) return out;
    DIR* d = ::opendir("/proc");
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) continue;
        ino_t pino;
        dev_t pdev;
        // Zombies have no namespace link any more, so they are not counted.
        if (nsInode("/proc/" + std::string(e->d_name) + "/ns/net", pino, pdev) && pino == ino &&
            pdev == dev)
            out.push_back(static_cast<int>(pid));
    }
    ::closedir(d);
    return out;
}

int Netns::removeStale(const std::string& tag) {
    const std::string prefix = "xvt-" + tag + "-";
    int removed = 0;
    DIR* d = ::opendir("/run/netns");
    if (!d) return 0;
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.rfind(prefix, 0) != 0) continue;
        std::string rest = n.substr(prefix.size());  // <pid>-<counter>
        auto dash = rest.find('-');
        if (dash == std::string::npos || rest.find_first_not_of("0123456789-") != std::string::npos)
            continue;
        int owner = std::atoi(rest.substr(0, dash).c_str());
        if (owner <= 0 || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
        stale.push_back(n);
    }
    ::closedir(d);
    for (const auto& n : stale) {
        ino_t ino;
        dev_t dev;
        bool busy = false;
        if (nsInode("/run/netns/" + n, ino, dev)) {
            DIR* p = ::opendir("/proc");
            while (p && !busy) {
                dirent* e = ::readdir(p);
                if (!e) break;
                ino_t pino;
                dev_t pdev;
                busy = std::isdigit(static_cast<unsigned char>(e->d_name[0])) &&
                       nsInode("/proc/" + std::string(e->d_name) + "/ns/net", pino, pdev) &&
                       pino == ino && pdev == dev;
            }
            if (p) ::closedir(p);
        }
        if (!busy && runIn("", {"ip", "netns", "del", n}).ok()) ++removed;
    }
    return removed;
}

}  // namespace xvrrp::lab
