#include "probes/control_query.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/printable.hpp"
#include "status_view.hpp"

namespace xvrrp::arbiter {


ControlQuery::ControlQuery(const std::string& path, const nlohmann::json& request,
                           std::chrono::steady_clock::time_point deadline)
    : path_(path), deadline_(deadline) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error_ = "socket(AF_UNIX) for " + path + ": " + std::strerror(errno);
        return;
    }
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path)) {
        finish("control socket path too long: " + path);
        return;
    }
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
        finish("connect to control socket " + path + ": " + std::strerror(errno));
        return;
    }
    std::string out = request.dump() + "\n";
    ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(out.size()))
        finish("send to control socket " + path + ": " +
               (n < 0 ? std::strerror(errno) : "short write"));
}

ControlQuery::~ControlQuery() {
    if (fd_ >= 0) ::close(fd_);
}

void ControlQuery::finish(std::string error) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    error_ = std::move(error);
}

void ControlQuery::onReadable() {
    char buf[8192];
    while (fd_ >= 0) {
        ssize_t n = ::read(fd_, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n < 0) {
            finish("read from control socket " + path_ + ": " + std::strerror(errno));
            return;
        }
        if (n > 0) in_.append(buf, static_cast<size_t>(n));
        auto nl = in_.find('\n');
        if ((nl == std::string::npos ? in_.size() : nl) > kMaxStatusBytes) {
            finish("answer on control socket " + path_ + " larger than " +
                   std::to_string(kMaxStatusBytes) + " bytes; not read");
            return;
        }
        if (n > 0 && nl == std::string::npos) continue;
        try {
            answer_ = nlohmann::json::parse(in_.substr(0, in_.find('\n')));
            finish({});
        } catch (const nlohmann::json::exception& e) {
            finish("malformed answer on control socket " + path_ + ": " + printable(e.what(), 512));
        }
        return;
    }
}

void ControlQuery::expire(std::chrono::steady_clock::time_point now) {
    if (fd_ >= 0 && now >= deadline_) finish("no answer on control socket " + path_ + " in time");
}

}  // namespace xvrrp::arbiter
