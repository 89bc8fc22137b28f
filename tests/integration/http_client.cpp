#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "lab/netns.hpp"

namespace xvrrp::itest {

std::string urlEncode(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

std::optional<HttpReply> httpGet(const std::string& netnsPath, const std::string& host, int port,
                                 const std::string& target, std::chrono::milliseconds timeout) {
    int fd = -1;
    // The socket belongs to the namespace it was created in; the I/O can happen anywhere.
    lab::inNetns(netnsPath, [&] { fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); });
    if (fd < 0) return std::nullopt;
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    std::optional<HttpReply> reply;
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) == 1 &&
        ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string req = "GET " + target + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
            std::string in;
            char buf[65536];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) in.append(buf, static_cast<size_t>(n));
            int status = 0;
            const auto head = in.find("\r\n\r\n");
            if (head != std::string::npos && std::sscanf(in.c_str(), "HTTP/%*s %d", &status) == 1)
                reply = HttpReply{status, in.substr(head + 4)};
        }
    }
    ::close(fd);
    return reply;
}

}  // namespace xvrrp::itest
