#pragma once
// Root-only Unix stream socket serving the control protocol from the daemon's epoll loop.
// Connections are non-blocking; a slow or silent client never stalls the loop.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace xvrrp::control {

// A daemon answers on the Unix socket at PATH (connect succeeds).
bool someoneListens(const std::string& path);

class Server {
public:
    // Handles a parsed request; returns the response object. Throwing std::invalid_argument
    // yields {"ok": false, "error": what()}.
    using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

    // Creates the socket at path (mode 0600, parent directory created 0755); replaces a stale
    // socket but refuses one that a live daemon still answers on.
    Server(const std::string& path, Handler handler);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    int listenFd() const { return listen_fd_; }
    // True if fd belongs to this server (listener or a client connection).
    bool owns(int fd) const { return fd == listen_fd_ || conns_.count(fd) != 0; }
    // Call with the epoll fd and the ready fd/events; registers/unregisters client fds itself.
    void handle(int epoll_fd, int fd, uint32_t events);

private:
    struct Conn {
        std::string in;
        std::string out;
        size_t sent = 0;
    };
    void accept(int epoll_fd);
    void readable(int epoll_fd, int fd, Conn& c);
    void writable(int epoll_fd, int fd, Conn& c);
    void close(int epoll_fd, int fd);
    std::string respond(const std::string& line);

    std::string path_;
    Handler handler_;
    int listen_fd_ = -1;
    std::map<int, Conn> conns_;
};

// Client side (xvrrpctl, arbiter): sends one request, returns the parsed response.
// Throws std::runtime_error with the socket path and errno text on failure.
nlohmann::json request(const std::string& path, const nlohmann::json& req, int timeout_ms = 3000);

}  // namespace xvrrp::control
