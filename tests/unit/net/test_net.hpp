#pragma once
// Test scaffolding: two uniquely named network namespaces joined by a veth pair
// (xva in side A, xvb in side B), both up, DAD off. Bodies run on a thread that entered
// the namespace with setns(2), because setns only affects the calling thread.
// Everything is removed in the destructor, also when an assertion failed.

#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/ip.hpp"
#include "config/config.hpp"

namespace xvrrp::net::test {

inline IpAddr ip(const char* s) { return *IpAddr::parse(s); }

inline config::VirtualAddress vip(const char* prefix) {
    config::VirtualAddress va;
    va.prefix = *IpPrefix::parse(prefix);
    return va;
}

// Closes a socket the test opened, also when an assertion returns early.
struct Fd {
    int fd;
    ~Fd() { ::close(fd); }
};

inline bool isRoot() { return ::geteuid() == 0; }

// Runs fn on a fresh thread inside the netns behind ns_fd and rethrows its exception.
inline void runIn(int ns_fd, const std::function<void()>& fn) {
    std::exception_ptr failure;
    std::thread t([&] {
        try {
            if (::setns(ns_fd, CLONE_NEWNET) < 0)
                throw std::runtime_error(std::string("setns: ") + std::strerror(errno));
            fn();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    t.join();
    if (failure) std::rethrow_exception(failure);
}

class NamedNetns {
public:
    explicit NamedNetns(std::string name) : name_(std::move(name)), path_("/run/netns/" + name_) {
        ::mkdir("/run/netns", 0755);
        int fd = ::open(path_.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (fd < 0) throw std::runtime_error("create " + path_ + ": " + std::strerror(errno));
        ::close(fd);
        std::string err;
        // A thread of its own unshares, so this thread keeps its namespace.
        std::thread([&] {
            if (::unshare(CLONE_NEWNET) < 0)
                err = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
            else if (::mount("/proc/thread-self/ns/net", path_.c_str(), nullptr, MS_BIND, nullptr) < 0)
                err = "bind mount netns on " + path_ + ": " + std::strerror(errno);
        }).join();
        if (!err.empty()) {
            ::unlink(path_.c_str());
            throw std::runtime_error(err);
        }
        fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) {
            cleanup();
            throw std::runtime_error("open " + path_ + ": " + std::strerror(errno));
        }
    }
    ~NamedNetns() { cleanup(); }
    NamedNetns(const NamedNetns&) = delete;
    NamedNetns& operator=(const NamedNetns&) = delete;

    int fd() const { return fd_; }
    const std::string& name() const { return name_; }
    void run(const std::function<void()>& fn) const { runIn(fd_, fn); }

private:
    void cleanup() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        ::umount2(path_.c_str(), MNT_DETACH);
        ::unlink(path_.c_str());
    }
    std::string name_, path_;
    int fd_ = -1;
};

inline void writeSysctl(const std::string& path, const std::string& value) {
    std::ofstream f(path);
    f << value;
    if (!f.flush()) throw std::runtime_error("write " + path);
}

// Two namespaces joined by veth xva (A) <-> xvb (B). Defined in test_net.cpp (libnl).
class VethPair {
public:
    VethPair();
    ~VethPair() = default;

    NamedNetns a, b;
    static constexpr const char* kNameA = "xva";
    static constexpr const char* kNameB = "xvb";
    int ifindex_a = 0, ifindex_b = 0;

    void inA(const std::function<void()>& fn) const { a.run(fn); }
    void inB(const std::function<void()>& fn) const { b.run(fn); }

private:
    static std::string uniqueName(char side);
};

// An AF_PACKET socket on ifindex, created inside ns (it keeps that namespace).
int packetSocketIn(const NamedNetns& ns, int ifindex);

using Clock = std::chrono::steady_clock;
inline constexpr auto kDeadline = std::chrono::seconds(5);

// Reads frames from a packet socket until pred accepts one or the deadline passes.
std::optional<std::vector<uint8_t>> waitFrame(
    int fd, const std::function<bool(const std::vector<uint8_t>&)>& pred,
    Clock::duration timeout = kDeadline);

// Polls cond until it holds or the deadline passes (for state the kernel settles, such
// as DAD or carrier). Each wait is on a condition, never a fixed sleep.
bool waitFor(const std::function<bool()>& cond, Clock::duration timeout = kDeadline);

}  // namespace xvrrp::net::test
