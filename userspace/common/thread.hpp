#pragma once
// Threads started beside an event loop: a stack of a stated size (all of it resident under
// vrrp_no_swap's mlockall, and kept in glibc's stack cache after the join), every signal
// blocked for the thread's whole life (the loop's signalfd takes them all), a name for ps
// and top, and a scheduling policy chosen rather than inherited by accident (a real-time
// loop's SCHED_RESET_ON_FORK would reset a thread it starts to SCHED_OTHER).

#include <pthread.h>

#include <cstddef>

namespace xvrrp {

struct ThreadOptions {
    size_t stack_bytes = 0;
    const char* name = nullptr;  // at most 15 bytes
    // The caller's policy and priority (work it waits for); otherwise SCHED_OTHER, so the
    // thread never competes with a real-time loop or counts against its RLIMIT_RTTIME.
    bool like_caller = false;
};

// Starts FN(ARG); 0, or the errno value of the pthread call that failed.
int startThread(pthread_t& out, const ThreadOptions& options, void* (*fn)(void*), void* arg);

}  // namespace xvrrp
