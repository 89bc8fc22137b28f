#pragma once
// Log lines a tracker collects for the daemon (keepalived's wording). The daemon takes them
// after each event; lines nobody takes are bounded: past kMaxMessages the oldest go and
// take() says how many were lost. Runtime failures (fork, the proc connector) repeat for as
// long as the daemon runs, so an unbounded list would grow without end.

#include <cstddef>
#include <string>
#include <vector>

namespace xvrrp::track {

inline constexpr size_t kMaxMessages = 1024;

class Messages {
public:
    void push(std::string line) {
        if (lines_.size() >= kMaxMessages) {
            lines_.erase(lines_.begin());
            ++dropped_;
        }
        lines_.push_back(std::move(line));
    }
    // The pending lines, oldest first (with a note of any dropped ones); none are kept.
    std::vector<std::string> take() {
        std::vector<std::string> out;
        if (dropped_)
            out.push_back(std::to_string(dropped_) + " earlier tracker message(s) dropped");
        for (auto& l : lines_) out.push_back(std::move(l));
        std::vector<std::string>().swap(lines_);
        dropped_ = 0;
        return out;
    }
    const std::vector<std::string>& pending() const { return lines_; }

private:
    std::vector<std::string> lines_;
    size_t dropped_ = 0;
};

}  // namespace xvrrp::track
