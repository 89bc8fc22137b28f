#include "net/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace xvrrp::net {

std::string confSysctlPath(Family f, const std::string& ifname, const std::string& key) {
    return std::string("/proc/sys/net/") + (f == Family::V4 ? "ipv4" : "ipv6") + "/conf/" + ifname +
           "/" + key;
}

std::optional<int> readConfSysctl(Family f, const std::string& ifname, const std::string& key) {
    const std::string path = confSysctlPath(f, ifname, key);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        throwErrno("open", path);
    }
    char buf[32];
    ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (n < 0) throwErrno("read", path);
    int v = 0;
    const char* end = buf + n;
    while (end > buf && (end[-1] == '\n' || end[-1] == ' ')) --end;
    auto [p, ec] = std::from_chars(buf, end, v);
    if (ec != std::errc() || p != end || p == buf)
        throw NetError("read " + path + ": not a number");
    return v;
}

void writeConfSysctl(Family f, const std::string& ifname, const std::string& key, int value) {
    const std::string path = confSysctlPath(f, ifname, key);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throwErrno("open", path);
    const std::string text = std::to_string(value) + "\n";
    ssize_t n = ::write(fd, text.data(), text.size());
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (n < 0) throwErrno("write", path);
    if (static_cast<size_t>(n) != text.size()) throw NetError("write " + path + ": short write");
}

bool setPromoteSecondaries(const std::string& ifname, bool on) {
    auto old = readConfSysctl(Family::V4, ifname, "promote_secondaries");
    if (!old) {
        errno = ENOENT;
        throwErrno("promote_secondaries",
                   confSysctlPath(Family::V4, ifname, "promote_secondaries"));
    }
    if ((*old != 0) != on) writeConfSysctl(Family::V4, ifname, "promote_secondaries", on ? 1 : 0);
    return *old != 0;
}

}  // namespace xvrrp::net
