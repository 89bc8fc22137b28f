// Shared by the bpf tests: a private bpffs pin root, the clock, test_run wrappers.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/pkt_cls.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "dataplane/dataplane.hpp"
#include "support/packet_builder.hpp"

namespace xvrrp::test {

inline uint64_t monoNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

// A fresh directory under /tmp; whatever got mounted on it is unmounted on the way out.
class TmpPinRoot {
  public:
    TmpPinRoot() {
        char tmpl[] = "/tmp/xvt-pin-XXXXXX";
        if (::mkdtemp(tmpl)) path_ = tmpl;
    }
    ~TmpPinRoot() {
        while (!path_.empty() && dataplane::isBpffs(path_) &&
               ::umount2(path_.c_str(), MNT_DETACH) == 0) {
        }
        if (!path_.empty()) ::rmdir(path_.c_str());
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// One bpf_prog_test_run_opts of FRAME through PROG_FD; returns the program's verdict.
inline int testRun(int prog_fd, const Bytes& frame, uint32_t repeat = 1,
                   uint32_t* duration_ns = nullptr) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<uint32_t>(frame.size()),
                .repeat = static_cast<int>(repeat));
    int err = bpf_prog_test_run_opts(prog_fd, &opts);
    EXPECT_EQ(err, 0) << "bpf_prog_test_run_opts: " << std::strerror(errno);
    if (duration_ns) *duration_ns = opts.duration;
    return err ? -1 : static_cast<int>(opts.retval);
}

// True when the ring's epoll fd reports a wakeup now (does not consume records).
inline bool woken(int epoll_fd) {
    epoll_event ev{};
    return ::epoll_wait(epoll_fd, &ev, 1, 0) > 0;
}

}  // namespace xvrrp::test
