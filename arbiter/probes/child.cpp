#include "probes/child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xvrrp::arbiter {

namespace {

std::runtime_error sysError(const std::string& what, const std::string& obj, int err) {
    return std::runtime_error(what + " " + obj + ": " + std::strerror(err));
}

}  // namespace

Child::Child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             CaptureLimits limits)
    : limits_(limits) {
    if (argv.empty()) throw std::invalid_argument("Child: empty argv");
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) < 0) throw sysError("pipe2 for", argv[0], errno);
    if (::pipe2(err, O_CLOEXEC) < 0) {
        int e = errno;
        ::close(out[0]);
        ::close(out[1]);
        throw sysError("pipe2 for", argv[0], e);
    }
    // Only our ends are non-blocking: the child's writes block on a full pipe (a program
    // that does not expect EAGAIN on stdout would otherwise stop at 64 KiB).
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    ::fcntl(err[0], F_SETFL, O_NONBLOCK);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    // The child starts with default signal dispositions and an empty mask: we block
    // SIGCHLD/SIGTERM/SIGHUP for the signalfd, and ssh must not inherit that.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    std::vector<char*> cenv;
    for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, argv[0].c_str(), &fa, &attr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (rc != 0) {
        closeFd(out_fd_);
        closeFd(err_fd_);
        throw sysError("posix_spawn", argv[0], rc);
    }
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0) {
        int e = errno;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        closeFd(out_fd_);
        closeFd(err_fd_);
        throw sysError("pidfd_open for", argv[0], e);
    }
}

Child::~Child() {
    if (!exited_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    closeFd(out_fd_);
    closeFd(err_fd_);
    closeFd(pidfd_);
}

void Child::closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

bool Child::readFrom(int fd) {
    if (fd < 0 || (fd != out_fd_ && fd != err_fd_)) return false;
    const bool is_out = fd == out_fd_;
    std::string& buf = is_out ? out_ : err_;
    char tmp[8192];
    for (;;) {
        ssize_t n = ::read(fd, tmp, sizeof(tmp));
        if (n > 0) {
            buf.append(tmp, static_cast<size_t>(n));
            if (is_out && buf.size() > limits_.out) {
                // Past the bound nothing it says will be used: stop it now.
                out_overflow_ = true;
                buf.resize(limits_.out);
                closeFd(out_fd_);
                kill();
                return true;
            }
            if (!is_out && buf.size() > limits_.err) buf.erase(0, buf.size() - limits_.err);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return true;
        closeFd(fd == out_fd_ ? out_fd_ : err_fd_);  // EOF or error
        return true;
    }
}

void Child::reap() {
    if (exited_) return;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r != pid_) return;
    exited_ = true;
    if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) term_signal_ = WTERMSIG(status);
}

void Child::kill() {
    if (!exited_ && pid_ > 0) ::kill(pid_, SIGKILL);
}

}  // namespace xvrrp::arbiter
