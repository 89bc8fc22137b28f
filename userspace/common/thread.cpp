#include "common/thread.hpp"

#include <sched.h>
#include <signal.h>

namespace xvrrp {

int startThread(pthread_t& out, const ThreadOptions& options, void* (*fn)(void*), void* arg) {
    pthread_attr_t attr;
    if (int e = ::pthread_attr_init(&attr)) return e;
    struct Attr {
        pthread_attr_t& a;
        ~Attr() { ::pthread_attr_destroy(&a); }
    } destroy{attr};
    if (options.stack_bytes != 0)
        if (int e = ::pthread_attr_setstacksize(&attr, options.stack_bytes)) return e;
    int policy = SCHED_OTHER;
    sched_param param{};
    if (options.like_caller)
        if (int e = ::pthread_getschedparam(::pthread_self(), &policy, &param)) return e;
    if (int e = ::pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED)) return e;
    if (int e = ::pthread_attr_setschedpolicy(&attr, policy)) return e;
    if (int e = ::pthread_attr_setschedparam(&attr, &param)) return e;
    sigset_t all, old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    const int err = ::pthread_create(&out, &attr, fn, arg);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (err == 0 && options.name) ::pthread_setname_np(out, options.name);  // cosmetic
    return err;
}

}  // namespace xvrrp
