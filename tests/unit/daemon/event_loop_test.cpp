// The event loop keeps going when one handler throws: the error is counted under the
// handler's name and the other handlers still run.
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

#include "daemon/event_loop.hpp"

namespace xvrrp::daemon {
namespace {

struct EventFd {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ~EventFd() { ::close(fd); }
    void fire() const {
        uint64_t one = 1;
        ASSERT_EQ(::write(fd, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
    }
    void drain() const {
        uint64_t v;
        (void)!::read(fd, &v, sizeof(v));
    }
};

TEST(EventLoop, AThrowingHandlerIsCountedAndTheOthersRun) {
    EventLoop loop;
    EventFd bad, good;
    int good_runs = 0, after = 0;
    loop.add(bad.fd, "control", [&](uint32_t) {
        bad.drain();
        throw std::runtime_error("[json.exception.type_error.316] invalid UTF-8 byte");
    });
    loop.add(good.fd, "adverts", [&](uint32_t) {
        good.drain();
        ++good_runs;
    });
    loop.setAfterEach([&] { ++after; });
    bad.fire();
    good.fire();
    loop.runOnce(1000);
    EXPECT_EQ(good_runs, 1);
    EXPECT_EQ(after, 2);
    EXPECT_EQ(loop.errors().at("control"), 1u);
    bad.fire();
    loop.runOnce(1000);
    EXPECT_EQ(loop.errors().at("control"), 2u);
    EXPECT_EQ(loop.totalErrors(), 2u);
}

TEST(EventLoop, NonStandardExceptionsAreCaughtToo) {
    EventLoop loop;
    EventFd e;
    loop.add(e.fd, "trackers", [&](uint32_t) {
        e.drain();
        throw 42;
    });
    e.fire();
    EXPECT_NO_THROW(loop.runOnce(1000));
    EXPECT_EQ(loop.errors().at("trackers"), 1u);
}

TEST(EventLoop, AHandlerMayRemoveItself) {
    EventLoop loop;
    EventFd e;
    int runs = 0;
    loop.add(e.fd, "once", [&](uint32_t) {
        ++runs;
        loop.remove(e.fd);
    });
    e.fire();
    loop.runOnce(1000);
    loop.runOnce(0);  // removed: not called again although the fd stays readable
    EXPECT_EQ(runs, 1);
}

TEST(EventLoop, UnknownFdsGoToTheFallback) {
    EventLoop loop;
    EventFd e;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = e.fd;
    ASSERT_EQ(::epoll_ctl(loop.epollFd(), EPOLL_CTL_ADD, e.fd, &ev), 0);
    int seen = -1;
    loop.setFallback("control client", [&](int fd, uint32_t) {
        seen = fd;
        e.drain();
    });
    e.fire();
    loop.runOnce(1000);
    EXPECT_EQ(seen, e.fd);
}

}  // namespace
}  // namespace xvrrp::daemon
