#pragma once
// A child process run from argv (no shell) with stdout and stderr captured through
// non-blocking pipes and its exit seen through a pidfd, all three waited on by epoll.

#include <sys/types.h>

#include <string>
#include <vector>

namespace xvrrp::arbiter {

// What a child may write before we stop listening (docs/bounds.md).
struct CaptureLimits {
    size_t out = 1 << 20;  // stdout beyond this: the child is killed, outOverflow()
    size_t err = 1 << 16;  // stderr: only the last this many bytes are kept
};

class Child {
  public:
    // posix_spawn(argv[0] as a path) with exactly the environment `env` ("NAME=value"
    // words, nothing inherited); stdin is /dev/null. Throws std::runtime_error naming the
    // program and errno text.
    Child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
          CaptureLimits limits = {});
    ~Child();  // kills and reaps a child that is still running
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    int pidFd() const { return pidfd_; }
    int outFd() const { return out_fd_; }
    int errFd() const { return err_fd_; }

    // Drains whichever pipe fd is; closes it on EOF. Returns false for an fd not ours.
    bool readFrom(int fd);
    // After the pidfd turned readable: reaps the child. exited()/status() are valid then.
    void reap();
    void kill();  // SIGKILL; reap() follows when the pidfd fires

    bool exited() const { return exited_; }
    bool outOverflow() const { return out_overflow_; }
    bool pipesClosed() const { return out_fd_ < 0 && err_fd_ < 0; }
    int exitCode() const { return exit_code_; }  // -1 when killed by a signal
    int termSignal() const { return term_signal_; }
    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }

  private:
    void closeFd(int& fd);

    pid_t pid_ = -1;
    int pidfd_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    bool exited_ = false;
    int exit_code_ = -1;
    int term_signal_ = 0;
    std::string out_, err_;
    CaptureLimits limits_;
    bool out_overflow_ = false;
};

}  // namespace xvrrp::arbiter
