#pragma once
// A named network namespace (/run/netns/NAME) owned by the test.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lab/process.hpp"

namespace xvrrp::lab {

struct RunResult {
    int exitCode = -1;  // -1: killed at the timeout or by a signal
    std::string out;
    std::string err;
    bool ok() const { return exitCode == 0; }
};

// Runs argv inside the netns at `netnsPath` (fork + setns + exec; empty path =
// current namespace) and captures its output. Kills it at `timeout`.
RunResult runIn(const std::string& netnsPath, const std::vector<std::string>& argv,
                std::chrono::steady_clock::duration timeout = std::chrono::seconds(10));

// Runs fn in a fresh thread that has joined the netns; setns(2) changes only
// the calling thread, so the rest of the process keeps its namespace.
// Exceptions from fn are rethrown in the caller.
void inNetns(const std::string& netnsPath, const std::function<void()>& fn);

class Netns {
  public:
    // Creates xvt-<tag>-<pid>-<counter>. Throws std::runtime_error on failure.
    explicit Netns(const std::string& tag);
    Netns(const Netns&) = delete;
    Netns& operator=(const Netns&) = delete;
    // Stops the processes it started, kills anything else still inside, then
    // deletes the namespace. Never throws.
    ~Netns();

    const std::string& name() const { return name_; }
    std::string path() const { return "/run/netns/" + name_; }

    RunResult run(const std::vector<std::string>& argv,
                  std::chrono::steady_clock::duration timeout = std::chrono::seconds(10)) const;
    // run() that throws std::runtime_error with the command and its stderr on failure.
    std::string runOk(const std::vector<std::string>& argv) const;
    // Starts a long-running process inside; the namespace owns it.
    Process& spawn(const std::vector<std::string>& argv, const std::string& logPath);

    // Pids of every live process whose network namespace is this one.
    std::vector<int> pids() const;

    // Deletes xvt-<tag>-<pid>-<n> namespaces whose owner pid no longer exists
    // and that hold no process (a crash skips destructors). Only for tags this
    // caller owns: other people's namespaces share the xvt- prefix.
    static int removeStale(const std::string& tag);

  private:
    std::string name_;
    std::vector<std::unique_ptr<Process>> procs_;
};

}  // namespace xvrrp::lab
