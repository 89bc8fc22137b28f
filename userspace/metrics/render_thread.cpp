#include "metrics/render_thread.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "common/thread.hpp"

namespace xvrrp::metrics {

RenderThread::RenderThread() {
    event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (event_fd_ < 0)
        throw std::runtime_error(std::string("eventfd for the metrics render thread: ") +
                                 std::strerror(errno));
    // SCHED_OTHER from the start, whatever the creator runs (xvrrpd is real-time by then),
    // and a small stack: under vrrp_no_swap (mlockall MCL_FUTURE) all of it stays resident.
    const int err = startThread(thread_, {.stack_bytes = kStackBytes, .name = "xvrrp-metrics"},
                                [](void* self) -> void* {
                                    static_cast<RenderThread*>(self)->run();
                                    return nullptr;
                                },
                                this);
    if (err != 0) {
        ::close(event_fd_);
        throw std::runtime_error(std::string("metrics render thread (pthread_create): ") +
                                 std::strerror(err));
    }
}

RenderThread::~RenderThread() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_one();
    ::pthread_join(thread_, nullptr);
    ::close(event_fd_);
}

void RenderThread::submit(Job job) {
    {
        std::lock_guard lock(mu_);
        job_ = std::move(job);
    }
    busy_ = true;
    cv_.notify_one();
}

std::optional<RenderThread::Done> RenderThread::collect() {
    uint64_t n;
    while (::read(event_fd_, &n, sizeof n) > 0) {
    }
    std::lock_guard lock(mu_);
    if (!done_) return std::nullopt;
    std::optional<Done> d = std::move(done_);
    done_.reset();
    busy_ = false;
    return d;
}

int RenderThread::policy() const {
    std::lock_guard lock(mu_);
    return policy_;
}

int RenderThread::policyError() const {
    std::lock_guard lock(mu_);
    return policy_error_;
}

void RenderThread::run() {
    // Made SCHED_OTHER already (a real-time render would compete with the loop and count
    // against RLIMIT_RTTIME); said again in case the attribute was not honoured.
    sched_param none{};
    const int err = ::pthread_setschedparam(::pthread_self(), SCHED_OTHER, &none);
    {
        std::lock_guard lock(mu_);
        policy_error_ = err;
        policy_ = ::sched_getscheduler(0);
    }
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stop_ || job_; });
            if (!job_) return;  // stopping with nothing to do
            job = std::move(*job_);
            job_.reset();
        }
        Done d;
        const auto t0 = std::chrono::steady_clock::now();
        try {
            d.body = job();
        } catch (const std::exception& e) {
            d.error = e.what();
        } catch (...) {
            d.error = "unknown exception";
        }
        d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        job = nullptr;  // the snapshot it owned goes here, off the loop
        {
            std::lock_guard lock(mu_);
            done_ = std::move(d);
        }
        const uint64_t one = 1;
        [[maybe_unused]] ssize_t w = ::write(event_fd_, &one, sizeof one);
    }
}

}  // namespace xvrrp::metrics
