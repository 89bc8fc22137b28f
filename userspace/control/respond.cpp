// The control protocol's pure half (one request line in, one answer line out) and the client.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "common/utf8.hpp"
#include "control/server.hpp"

namespace xvrrp::control {
namespace {

using nlohmann::json;

std::string dumpLine(json j) {
    escapeInvalidUtf8(j);  // dump() throws on bytes that are not UTF-8
    return j.dump();
}

std::string failure(const std::string& error) {
    return dumpLine(json{{"ok", false}, {"error", error}});
}

std::string answer(std::string_view line, const Handler& handler) {
    json req;
    try {
        req = json::parse(line);
    } catch (const json::exception& e) {
        return failure(std::string("bad request: ") + e.what());
    }
    if (!req.is_object() || !req.contains("cmd") || !req["cmd"].is_string())
        return failure("bad request: expected {\"cmd\": \"...\"}");
    json resp;
    try {
        resp = handler(req);
    } catch (const std::exception& e) {
        return failure(e.what());
    } catch (...) {
        return failure("internal error: the handler threw a non-standard exception");
    }
    if (!resp.is_object()) return failure("internal error: the handler's answer is not an object");
    if (!resp.contains("ok")) resp["ok"] = true;
    if (!resp["ok"].is_boolean())
        return failure("internal error: the handler's \"ok\" is not a boolean");
    if (!resp["ok"].get<bool>() && !(resp.contains("error") && resp["error"].is_string()))
        resp["error"] = "failed (the handler gave no reason)";
    return dumpLine(std::move(resp));
}

std::runtime_error sysError(const std::string& what, const std::string& object) {
    return std::runtime_error(what + " " + object + ": " + std::strerror(errno));
}

}  // namespace

std::string respondLine(std::string_view line, const Handler& handler) noexcept {
    try {
        return answer(line, handler);
    } catch (...) {  // bad_alloc or a dump failure: still one well-formed line
        return "{\"ok\":false,\"error\":\"internal error while answering\"}";
    }
}

nlohmann::json request(const std::string& path, const nlohmann::json& req, int timeout_ms) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw sysError("socket(AF_UNIX) for", path);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path))
        throw std::runtime_error("control socket path too long: " + path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0)
        throw sysError("connect to control socket", path);
    std::string out = dumpLine(req) + "\n";
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
        if (in.size() > kMaxResponseBytes + 1)
            throw std::runtime_error("answer on control socket " + path + " exceeds " +
                                     std::to_string(kMaxResponseBytes) + " bytes");
        if (in.find('\n') != std::string::npos) break;
    }
    try {
        return json::parse(in);
    } catch (const json::exception& e) {
        throw std::runtime_error("malformed answer on control socket " + path + ": " + e.what());
    }
}

}  // namespace xvrrp::control
