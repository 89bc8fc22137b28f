#pragma once
// A child process started inside a network namespace, killed on destruction.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace xvrrp::lab {

class Process {
  public:
    // Forks, joins the netns at `netnsPath` (empty = stay in the current one),
    // starts its own process group, redirects stdout+stderr to `logPath`
    // (truncated) and execs argv[0] from PATH. Throws std::system_error.
    static Process spawn(const std::string& netnsPath, const std::vector<std::string>& argv,
                         const std::string& logPath);

    Process() = default;
    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    // TERM to the process group, KILL after a grace period, then reap.
    ~Process();

    pid_t pid() const { return pid_; }
    const std::string& logPath() const { return logPath_; }
    bool running();
    // Signals the whole process group (daemons fork helpers).
    void sendSignal(int sig);
    // Waits for exit; returns the raw wait status, or nullopt at the deadline.
    std::optional<int> waitExit(std::chrono::steady_clock::duration timeout);
    // TERM, wait up to `grace`, then KILL. Returns the wait status.
    int stop(std::chrono::steady_clock::duration grace = std::chrono::seconds(3));
    std::string readLog() const;

  private:
    bool reap(int options);

    pid_t pid_ = -1;
    bool exited_ = false;
    int status_ = 0;
    std::string logPath_;
};

}  // namespace xvrrp::lab
