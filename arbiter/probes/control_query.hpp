#pragma once
// One request on xvrrpd's control socket without blocking the loop: connect and send at once
// (a Unix socket either accepts or refuses immediately), then read the answer line as epoll
// reports it. No answer by the deadline is itself evidence.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace xvrrp::arbiter {

class ControlQuery {
  public:
    ControlQuery(const std::string& path, const nlohmann::json& request,
                 std::chrono::steady_clock::time_point deadline);
    ~ControlQuery();
    ControlQuery(const ControlQuery&) = delete;
    ControlQuery& operator=(const ControlQuery&) = delete;

    int fd() const { return fd_; }  // -1 once done
    std::chrono::steady_clock::time_point deadline() const { return deadline_; }
    void onReadable();
    void expire(std::chrono::steady_clock::time_point now);

    bool done() const { return fd_ < 0; }
    const std::optional<nlohmann::json>& answer() const { return answer_; }
    const std::string& error() const { return error_; }  // why there is no answer

  private:
    void finish(std::string error);

    int fd_ = -1;
    std::string path_;
    std::string in_;
    std::chrono::steady_clock::time_point deadline_;
    std::optional<nlohmann::json> answer_;
    std::string error_;
};

}  // namespace xvrrp::arbiter
