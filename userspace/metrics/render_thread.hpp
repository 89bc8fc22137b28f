#pragma once
// One thread that renders /metrics bodies away from the caller's event loop. The loop hands
// it a job that owns everything it reads (a snapshot copied on the loop), at most one at a
// time; when the body is ready the thread writes an eventfd the loop watches, and the loop
// collects it. The thread runs SCHED_OTHER whatever its creator runs (a real-time loop's
// RLIMIT_RTTIME never counts its work) and with every signal blocked (the loop's signalfd
// gets them all). The destructor waits for a job in progress and joins.

#include <pthread.h>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace xvrrp::metrics {

class RenderThread {
public:
    using Job = std::function<std::string()>;  // may throw: the message becomes the error
    struct Done {
        std::string body;
        std::optional<std::string> error;  // set when the job threw
        double seconds = 0;                // the job's wall-clock time on the thread
    };

    // Throws std::runtime_error when the eventfd or the thread cannot be made.
    RenderThread();
    ~RenderThread();
    RenderThread(const RenderThread&) = delete;
    RenderThread& operator=(const RenderThread&) = delete;

    int eventFd() const { return event_fd_; }  // readable when a job is done
    bool busy() const { return busy_; }        // a job submitted and not yet collected
    // Starts JOB; the caller checks busy() first (one job at a time).
    void submit(Job job);
    // The finished job, once eventFd() was readable; nothing while it still runs.
    std::optional<Done> collect();

    // What the thread runs at: its policy (SCHED_OTHER expected) and the result of setting
    // it (0 or an errno value), read after the first job (tests).
    int policy() const;
    int policyError() const;

private:
    // The text goes to the heap; the stack holds a few frames of the renderers.
    static constexpr size_t kStackBytes = 512 * 1024;
    void run();

    int event_fd_ = -1;
    bool busy_ = false;  // the loop's side only
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::optional<Job> job_;
    std::optional<Done> done_;
    bool stop_ = false;
    int policy_ = -1;
    int policy_error_ = 0;
    pthread_t thread_{};
};

}  // namespace xvrrp::metrics
