#include "control/server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "control/protocol.hpp"

namespace xvrrp::control {
namespace {

std::runtime_error sysError(const std::string& what, const std::string& object) {
    return std::runtime_error(what + " " + object + ": " + std::strerror(errno));
}

sockaddr_un unixAddress(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path))
        throw std::runtime_error("control socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    return sa;
}

}  // namespace

// A daemon already answering on path means another xvrrpd runs with this control socket.
bool someoneListens(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    auto sa = unixAddress(path);
    bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
    ::close(fd);
    return live;
}

Server::Server(const std::string& path, Handler handler) : path_(path), handler_(std::move(handler)) {
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec)
            throw std::runtime_error("mkdir " + parent.string() + ": " + ec.message());
    }
    if (someoneListens(path))
        throw std::runtime_error("control socket " + path +
                                 " is in use by a running daemon (use --control for another)");
    ::unlink(path.c_str());
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw sysError("socket(AF_UNIX) for", path);
    auto sa = unixAddress(path);
    mode_t old = ::umask(0177);  // root-only: 0600
    int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    ::umask(old);
    if (rc < 0) {
        auto err = sysError("bind", path);
        ::close(listen_fd_);
        throw err;
    }
    if (::listen(listen_fd_, 16) < 0) {
        auto err = sysError("listen", path);
        ::close(listen_fd_);
        throw err;
    }
}

Server::~Server() {
    for (auto& [fd, conn] : conns_) ::close(fd);
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        ::unlink(path_.c_str());
    }
}

void Server::handle(int epoll_fd, int fd, uint32_t events) {
    if (fd == listen_fd_) {
        accept(epoll_fd);
        return;
    }
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    if (events & (EPOLLERR | EPOLLHUP)) {
        close(epoll_fd, fd);
        return;
    }
    if (events & EPOLLIN) readable(epoll_fd, fd, it->second);
    it = conns_.find(fd);
    if (it != conns_.end() && (events & EPOLLOUT)) writable(epoll_fd, fd, it->second);
}

void Server::accept(int epoll_fd) {
    for (;;) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN or a transient error: the listener stays armed
        ucred cred{};
        socklen_t len = sizeof(cred);
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
            static const char kDenied[] = "{\"ok\":false,\"error\":\"permission denied: root only\"}\n";
            (void)!::write(fd, kDenied, sizeof(kDenied) - 1);
            ::close(fd);
            continue;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            ::close(fd);
            continue;
        }
        conns_[fd] = Conn{};
    }
}

void Server::readable(int epoll_fd, int fd, Conn& c) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n > 0) {
            c.in.append(buf, static_cast<size_t>(n));
            if (c.in.size() > kMaxRequestBytes) {
                c.out = "{\"ok\":false,\"error\":\"request larger than 64 KiB\"}\n";
                break;
            }
            auto nl = c.in.find('\n');
            if (nl != std::string::npos) {
                c.out = respond(c.in.substr(0, nl)) + "\n";
                break;
            }
            continue;
        }
        if (n == 0) {  // peer closed: answer what we have, if anything
            if (c.in.empty()) {
                close(epoll_fd, fd);
                return;
            }
            c.out = respond(c.in) + "\n";
            break;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        close(epoll_fd, fd);
        return;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
    writable(epoll_fd, fd, c);
}

void Server::writable(int epoll_fd, int fd, Conn& c) {
    while (c.sent < c.out.size()) {
        ssize_t n = ::send(fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        break;
    }
    if (c.out.empty()) return;
    close(epoll_fd, fd);
}

void Server::close(int epoll_fd, int fd) {
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);
}

std::string Server::respond(const std::string& line) {
    nlohmann::json req;
    try {
        req = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
        return nlohmann::json{{"ok", false}, {"error", std::string("bad request: ") + e.what()}}
            .dump();
    }
    if (!req.is_object() || !req.contains("cmd") || !req["cmd"].is_string())
        return nlohmann::json{{"ok", false}, {"error", "bad request: expected {\"cmd\": \"...\"}"}}
            .dump();
    try {
        nlohmann::json resp = handler_(req);
        if (!resp.contains("ok")) resp["ok"] = true;
        return resp.dump();
    } catch (const std::exception& e) {
        return nlohmann::json{{"ok", false}, {"error", e.what()}}.dump();
    }
}

nlohmann::json request(const std::string& path, const nlohmann::json& req, int timeout_ms) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw sysError("socket(AF_UNIX) for", path);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    auto sa = unixAddress(path);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0)
        throw sysError("connect to control socket", path);
    std::string out = req.dump() + "\n";
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
        throw sysError("send to control socket", path);
    std::string in;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[8192];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) throw std::runtime_error("no answer on control socket " + path);
        pollfd p{fd, POLLIN, 0};
        int rc = ::poll(&p, 1, static_cast<int>(left));
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) throw std::runtime_error("no answer on control socket " + path);
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n < 0) throw sysError("read from control socket", path);
        if (n == 0) break;
        in.append(buf, static_cast<size_t>(n));
        if (in.find('\n') != std::string::npos) break;
    }
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("malformed answer on control socket " + path + ": " + e.what());
    }
}

}  // namespace xvrrp::control
