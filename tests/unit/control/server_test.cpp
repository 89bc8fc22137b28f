// unit.control: the control server never lets a client's bytes end the process, and holds
// its bounds (clients, idle time, request and answer size, fd exhaustion) from one epoll
// loop, as the daemon runs it.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "control/server.hpp"

using namespace std::chrono_literals;
using nlohmann::json;
using xvrrp::control::Limits;
using xvrrp::control::respondLine;
using xvrrp::control::Server;

namespace {

json statusHandler(const json& req) {
    if (req["cmd"] == "status") return json{{"instances", json::array()}};
    throw std::invalid_argument("unknown cmd");
}

json parsed(const std::string& line) {
    json j = json::parse(line);  // throws (fails the test) if the answer is not JSON
    EXPECT_TRUE(j.is_object());
    EXPECT_TRUE(j.contains("ok"));
    return j;
}

TEST(RespondLine, NonUtf8ByteIsABadRequestNotAThrow) {
    // Issue 9 item 1: the parse error quoting 0xff made dump() throw type_error.316.
    json j = parsed(respondLine("\xff", statusHandler));
    EXPECT_FALSE(j["ok"].get<bool>());
    EXPECT_NE(j["error"].get<std::string>().find("bad request"), std::string::npos);
    j = parsed(respondLine("{\"cmd\":\"\xc3\"}", statusHandler));
    EXPECT_FALSE(j["ok"].get<bool>());
}

TEST(RespondLine, EveryHandlerFailureIsAnError) {
    auto answer = [](Server::Handler h) { return parsed(respondLine("{\"cmd\":\"x\"}", h)); };
    EXPECT_EQ(answer([](const json&) -> json { throw std::invalid_argument("nope"); })["error"],
              "nope");
    EXPECT_FALSE(answer([](const json&) -> json { throw 42; })["ok"].get<bool>());
    // Bytes that are not UTF-8 show as \xHH (common/utf8.hpp), as status shows names.
    json j = answer([](const json&) -> json { throw std::runtime_error("bad \xfe byte"); });
    EXPECT_EQ(j["error"], "bad \\xfe byte");
    EXPECT_FALSE(answer([](const json&) { return json("a string"); })["ok"].get<bool>());
    // A failure always says why, and "ok" is always a boolean (found by fuzz_control).
    j = answer([](const json&) { return json{{"ok", false}}; });
    EXPECT_FALSE(j["ok"].get<bool>());
    EXPECT_TRUE(j["error"].is_string());
    EXPECT_FALSE(answer([](const json&) { return json{{"ok", "yes"}}; })["ok"].get<bool>());
    j = answer([](const json&) { return json{{"name", "VI_\xff"}, {"VI_\xfe", {"\xc0"}}}; });
    EXPECT_TRUE(j["ok"].get<bool>());
    EXPECT_EQ(j["name"], "VI_\\xff");
    EXPECT_EQ(j["VI_\\xfe"], json::array({"\\xc0"}));
}

TEST(RespondLine, ShapeOfTheRequest) {
    EXPECT_FALSE(parsed(respondLine("[1]", statusHandler))["ok"].get<bool>());
    EXPECT_FALSE(parsed(respondLine("{\"cmd\":1}", statusHandler))["ok"].get<bool>());
    EXPECT_TRUE(parsed(respondLine("{\"cmd\":\"status\"}", statusHandler))["ok"].get<bool>());
}

std::string tempDir() {
    char tmpl[] = "/tmp/xvrrp-control-XXXXXX";
    return ::mkdtemp(tmpl);
}

int connectTo(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strcpy(sa.sun_path, path.c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0) << strerror(errno);
    return fd;
}

// A server in this thread's own epoll loop, as the daemon runs it; clients are non-blocking
// sockets of the test.
class ServerLoop : public ::testing::Test {
protected:
    void SetUp() override { dir_ = tempDir(); }
    void TearDown() override {
        server_.reset();
        for (int fd : clients_) ::close(fd);
        if (ep_ >= 0) ::close(ep_);
        std::filesystem::remove_all(dir_);
    }
    void start(Limits limits = {}, Server::Handler h = statusHandler) {
        path_ = dir_ + "/ctl.sock";
        server_ = std::make_unique<Server>(path_, std::move(h), limits);
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = server_->listenFd();
        ASSERT_EQ(::epoll_ctl(ep_, EPOLL_CTL_ADD, server_->listenFd(), &ev), 0);
    }
    // One pass of the owner's loop; returns how many events it handled.
    int pass(int timeout_ms) {
        epoll_event evs[64];
        int n = ::epoll_wait(ep_, evs, 64, timeout_ms);
        // An event for a client closed earlier in this batch is not the server's any more.
        for (int i = 0; i < n; ++i)
            if (server_->owns(evs[i].data.fd)) server_->handle(ep_, evs[i].data.fd, evs[i].events);
        return n;
    }
    bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
        auto end = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            if (std::chrono::steady_clock::now() > end) return false;
            pass(20);
        }
        return true;
    }
    int client() {
        int fd = connectTo(path_);
        clients_.push_back(fd);
        return fd;
    }
    // Everything the server sent until it closed (runs the loop meanwhile); "" on timeout.
    std::string drain(int fd, std::chrono::milliseconds limit = 5s) {
        std::string got;
        bool closed = runUntil(
            [&] {
                char buf[65536];
                for (;;) {
                    ssize_t n = ::read(fd, buf, sizeof(buf));
                    if (n > 0) {
                        got.append(buf, static_cast<size_t>(n));
                        continue;
                    }
                    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
                }
            },
            limit);
        return closed ? got : std::string();
    }
    std::string ask(const std::string& bytes) {
        int fd = client();
        EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(bytes.size()));
        return drain(fd);
    }
    bool status() {
        std::string got = ask("{\"cmd\":\"status\"}\n");
        return !got.empty() && json::parse(got).value("ok", false);
    }

    std::string dir_, path_;
    std::unique_ptr<Server> server_;
    int ep_ = -1;
    std::vector<int> clients_;
};

TEST_F(ServerLoop, HostileBytesGetAnErrorAndTheServerGoesOn) {
    start();
    for (std::string bytes : {std::string("\xff\n"), std::string("{\"cmd\":\"\xc0\xaf\"}\n"),
                              std::string("\0\n", 2), std::string("{\"cmd\":\"nope\"}\n")}) {
        std::string got = ask(bytes);
        ASSERT_FALSE(got.empty());
        EXPECT_EQ(got.back(), '\n');
        EXPECT_FALSE(json::parse(got)["ok"].get<bool>()) << got;
    }
    EXPECT_TRUE(status());
}

// xvrrpctl fence NAME with a name that is not UTF-8 (as keepalived.conf may hold it): the
// request carries it as \xHH, the form status shows and fence matches, not as U+FFFD.
TEST_F(ServerLoop, ClientSendsBytesThatAreNotUtf8Escaped) {
    start({}, [](const json& req) { return json{{"instance", req["instance"]}}; });
    auto reply = std::async(std::launch::async, [&] {
        return xvrrp::control::request(path_, json{{"cmd", "fence"}, {"instance", "VI_\xff"}});
    });
    ASSERT_TRUE(runUntil([&] { return reply.wait_for(0s) == std::future_status::ready; }));
    EXPECT_EQ(reply.get()["instance"], "VI_\\xff");
}

TEST_F(ServerLoop, RequestSizeAtAndOverTheBound) {
    start({}, [](const json& req) { return json{{"got", req["pad"].get<std::string>().size()}}; });
    const std::string head = "{\"cmd\":\"x\",\"pad\":\"";
    const std::string tail = "\"}";
    auto line = [&](size_t total) {
        return head + std::string(total - head.size() - tail.size(), 'a') + tail + "\n";
    };
    json at = json::parse(ask(line(xvrrp::control::kMaxRequestBytes)));
    EXPECT_TRUE(at["ok"].get<bool>()) << at;
    json over = json::parse(ask(line(xvrrp::control::kMaxRequestBytes + 1)));
    EXPECT_FALSE(over["ok"].get<bool>());
    EXPECT_NE(over["error"].get<std::string>().find("request larger than"), std::string::npos);
    EXPECT_EQ(server_->stats().too_large, 1u);
}

TEST_F(ServerLoop, AnswerSizeAtAndOverTheBound) {
    size_t want = 0;
    start({}, [&](const json&) {
        const size_t frame = json{{"ok", true}, {"p", ""}}.dump().size();
        return json{{"ok", true}, {"p", std::string(want - frame, 'b')}};
    });
    want = xvrrp::control::kMaxResponseBytes;
    std::string got = ask("{\"cmd\":\"x\"}\n");
    EXPECT_EQ(got.size(), want + 1);  // with its newline
    want = xvrrp::control::kMaxResponseBytes + 1;
    json over = json::parse(ask("{\"cmd\":\"x\"}\n"));
    EXPECT_FALSE(over["ok"].get<bool>());
    EXPECT_NE(over["error"].get<std::string>().find("exceeds the limit"), std::string::npos);
}

TEST_F(ServerLoop, ClientsAtAndOverTheBound) {
    start();
    std::vector<int> idle;
    for (size_t i = 0; i < xvrrp::control::kMaxClients; ++i) idle.push_back(client());
    ASSERT_TRUE(runUntil([&] { return server_->clients() == xvrrp::control::kMaxClients; }));
    EXPECT_EQ(server_->stats().evicted, 0u);
    // One more: the oldest silent client makes room and is told why.
    ASSERT_TRUE(status());
    EXPECT_EQ(server_->stats().evicted, 1u);
    std::string told = drain(idle.front());
    EXPECT_NE(told.find("too many control clients"), std::string::npos) << told;
    EXPECT_LE(server_->clients(), xvrrp::control::kMaxClients);
}

TEST_F(ServerLoop, EverySlotAnsweringRefusesTheNext) {
    Limits l;
    l.max_clients = 2;
    l.write_timeout = 1500ms;  // longer than making two 4 MiB answers under ASan
    start(l, [](const json&) { return json{{"p", std::string(4 << 20, 'c')}}; });
    // Two clients that ask for a large answer and never read it.
    std::vector<pollfd> slow;
    for (int i = 0; i < 2; ++i) {
        int fd = client();
        ASSERT_EQ(::send(fd, "{\"cmd\":\"x\"}\n", 12, 0), 12);
        slow.push_back({fd, POLLIN, 0});
    }
    // Both are answering once their answers start arriving.
    ASSERT_TRUE(runUntil([&] { return ::poll(slow.data(), slow.size(), 0) == 2; }));
    std::string got = ask("{\"cmd\":\"x\"}\n");
    ASSERT_FALSE(got.empty());
    EXPECT_NE(got.find("too many control clients"), std::string::npos) << got.substr(0, 200);
    EXPECT_EQ(server_->stats().refused_busy, 1u);
    // Their buffered answers go when they do not take them in time.
    ASSERT_TRUE(runUntil([&] { return server_->clients() == 0; }));
    EXPECT_EQ(server_->stats().timed_out, 2u);
}

// The write timeout's other side: a client that takes a long answer in time gets all of it.
TEST_F(ServerLoop, AnswerTakenWithinTheWriteTimeoutArrivesWhole) {
    Limits l;
    l.write_timeout = 1500ms;
    start(l, [](const json&) { return json{{"p", std::string(4 << 20, 'c')}}; });
    int fd = client();
    ASSERT_EQ(::send(fd, "{\"cmd\":\"x\"}\n", 12, 0), 12);
    pollfd p{fd, POLLIN, 0};
    ASSERT_TRUE(runUntil([&] { return ::poll(&p, 1, 0) == 1; }));  // answering, socket full
    std::string got = drain(fd);
    EXPECT_EQ(json::parse(got)["p"].get<std::string>().size(), 4u << 20);
    EXPECT_EQ(server_->stats().timed_out, 0u);
}

// The listen backlog (kBacklog) is the kernel's queue of connects the loop has not accepted
// yet: a Unix socket queues backlog + 1 (af_unix.c unix_recvq_full), then a non-blocking
// connect fails with EAGAIN; the loop then serves the queue.
TEST_F(ServerLoop, BacklogAtAndOverTheBound) {
    start();
    int queued = 0;
    for (int i = 0; i < 2 * xvrrp::control::kBacklog; ++i) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strcpy(sa.sun_path, path_.c_str());
        clients_.push_back(fd);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
            EXPECT_EQ(errno, EAGAIN) << strerror(errno);
            break;
        }
        ++queued;
    }
    EXPECT_EQ(queued, xvrrp::control::kBacklog + 1);
    for (int fd : clients_) ::close(fd);
    clients_.clear();
    // The loop takes the queue (those clients are gone: each is accepted and closed).
    ASSERT_TRUE(runUntil([&] {
        return server_->stats().accepted >= static_cast<uint64_t>(queued) && server_->clients() == 0;
    }));
    EXPECT_TRUE(status());
}

TEST_F(ServerLoop, SilentClientIsClosedAtTheRequestTimeout) {
    Limits l;
    l.request_timeout = 400ms;
    start(l);
    auto t0 = std::chrono::steady_clock::now();
    int fd = client();
    ASSERT_TRUE(runUntil([&] { return server_->clients() == 1; }));
    std::string told = drain(fd);
    auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(waited, 400ms);
    EXPECT_NE(told.find("timed out"), std::string::npos) << told;
    EXPECT_EQ(server_->clients(), 0u);
    EXPECT_EQ(server_->stats().timed_out, 1u);
    // A request sent half-way through the timeout is answered.
    fd = client();
    auto half = std::chrono::steady_clock::now() + 200ms;  // the loop runs meanwhile
    ASSERT_TRUE(runUntil([&] { return std::chrono::steady_clock::now() >= half; }));
    ASSERT_EQ(::send(fd, "{\"cmd\":\"status\"}\n", 17, 0), 17);
    std::string got = drain(fd);
    ASSERT_FALSE(got.empty());
    EXPECT_TRUE(json::parse(got)["ok"].get<bool>()) << got;
    EXPECT_EQ(server_->stats().timed_out, 1u);
}

TEST_F(ServerLoop, NoTimerWhileNobodyIsConnected) {
    start();
    EXPECT_TRUE(status());
    EXPECT_EQ(pass(100), 0);  // nothing wakes the loop once the clients are gone
}

// Issue 9 item 6: at EMFILE the level-triggered listener woke the loop forever.
TEST_F(ServerLoop, OutOfFdsRefusesTheClientWithoutSpinning) {
    start();
    EXPECT_TRUE(status());  // the timerfd is in the loop now
    int fd = client();
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
    std::vector<int> filler;
    int probe = ::dup(0);
    rlimit low = old;
    low.rlim_cur = static_cast<rlim_t>(probe) + 1;
    ::close(probe);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    for (int f; (f = ::dup(0)) >= 0;) filler.push_back(f);
    ASSERT_EQ(errno, EMFILE);
    int handled = 0;
    for (int i = 0; i < 20 && pass(0) > 0; ++i) ++handled;
    for (int f : filler) ::close(f);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
    EXPECT_LE(handled, 2) << "the listener kept waking the loop";
    EXPECT_GE(server_->stats().fd_exhausted, 1u);
    std::string told = drain(fd);
    EXPECT_NE(told.find("out of file descriptors"), std::string::npos) << told;
    EXPECT_TRUE(status());
}

TEST_F(ServerLoop, PathThatIsNotASocketIsLeftAlone) {
    path_ = dir_ + "/precious";
    { std::ofstream(path_) << "keep me\n"; }
    EXPECT_THROW(Server(path_, statusHandler), std::runtime_error);
    std::ifstream in(path_);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "keep me");
    std::string link = dir_ + "/link";
    ASSERT_EQ(::symlink(path_.c_str(), link.c_str()), 0);
    EXPECT_THROW(Server(link, statusHandler), std::runtime_error);
    EXPECT_TRUE(std::filesystem::is_symlink(link));
    EXPECT_THROW(Server(dir_, statusHandler), std::runtime_error);  // a directory
}

TEST_F(ServerLoop, StaleSocketIsReplacedLiveOneRefused) {
    start();
    EXPECT_THROW(Server(path_, statusHandler), std::runtime_error);  // live: we answer there
    server_.reset();
    int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strcpy(sa.sun_path, path_.c_str());
    ASSERT_EQ(::bind(stale, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
    ::close(stale);  // bound, never listened: nobody answers
    EXPECT_NO_THROW(Server(path_, statusHandler));
}

TEST_F(ServerLoop, ParentDirectoryIgnoresALooseUmask) {
    mode_t old = ::umask(0);
    std::string path = dir_ + "/a/b/ctl.sock";
    {
        Server s(path, statusHandler);
        struct stat st{};
        ASSERT_EQ(::stat((dir_ + "/a").c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0755u);
        ASSERT_EQ(::stat((dir_ + "/a/b").c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0755u);
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
    ::umask(old);
}

}  // namespace
