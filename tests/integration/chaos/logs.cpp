#include "logs.hpp"

#include <time.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "schedule.hpp"

namespace xvrrp::chaos {

namespace {

constexpr size_t kRecentLines = 4000;

double realtimeNow() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// xvrrpd's console pattern "%a %b %d %H:%M:%S.%e %Y: " (local time), in epoch seconds.
std::optional<double> consoleStamp(const std::string& line) {
    static const std::regex re(R"(^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d)\.(\d{3}) (\d{4}): )");
    std::smatch m;
    if (!std::regex_search(line, m, re)) return std::nullopt;
    tm t{};
    const std::string stamp = m[1].str() + " " + m[2].str() + " " + m[7].str() + " " +
                              m[3].str() + ":" + m[4].str() + ":" + m[5].str();
    if (!::strptime(stamp.c_str(), "%b %d %Y %H:%M:%S", &t)) return std::nullopt;
    t.tm_isdst = -1;
    return static_cast<double>(::mktime(&t)) + std::stoi(m[6].str()) / 1000.0;
}

// The audit log's "ts" (UTC, milliseconds), in epoch seconds.
std::optional<double> isoStamp(const std::string& ts) {
    tm t{};
    const char* rest = ::strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &t);
    if (!rest) return std::nullopt;
    double frac = 0;
    if (*rest == '.') frac = std::atof(rest);
    return static_cast<double>(::timegm(&t)) + frac;
}

}  // namespace

LogFollower::LogFollower(Clock::time_point epoch)
    : epoch_(epoch),
      states_(kNodes, std::vector<std::string>(kInstances)),
      stateLines_(kNodes) {
    thread_ = std::thread([this] { run(); });
}

LogFollower::~LogFollower() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

double LogFollower::now() const {
    return std::chrono::duration<double>(Clock::now() - epoch_).count();
}

double LogFollower::fromRealtime(double epochSeconds) const {
    return epochSeconds - realtimeNow() + now();
}

void LogFollower::followDaemon(int node, const std::string& path) {
    std::lock_guard lock(mu_);
    for (auto& f : files_)
        if (f.node == node && !f.audit) {
            poll(f);  // the old file's last lines, then no more of it
            f.node = -1;
        }
    files_.push_back({node, false, path, 0, ""});
}

void LogFollower::followAudit(int node, const std::string& path) {
    std::lock_guard lock(mu_);
    files_.push_back({node, true, path, 0, ""});
}

void LogFollower::markDown(int node) {
    std::lock_guard lock(mu_);
    for (auto& f : files_)
        if (f.node == node && !f.audit) poll(f);  // what it wrote before it went
    for (auto& s : states_[static_cast<size_t>(node)]) s = "DOWN";
}

std::string LogFollower::state(int node, int instance) const {
    std::lock_guard lock(mu_);
    return states_[static_cast<size_t>(node)][static_cast<size_t>(instance)];
}

double LogFollower::firstStateSince(int node, double since) const {
    std::lock_guard lock(mu_);
    for (double t : stateLines_[static_cast<size_t>(node)])
        if (t >= since) return t;
    return -1;
}

bool LogFollower::saw(int node, const std::string& text, double since) const {
    std::lock_guard lock(mu_);
    for (auto it = recent_.rbegin(); it != recent_.rend() && it->t >= since; ++it)
        if (it->node == node && it->text.find(text) != std::string::npos) return true;
    return false;
}

std::vector<Transition> LogFollower::transitions() const {
    std::lock_guard lock(mu_);
    return transitions_;
}

std::vector<ArbiterAction> LogFollower::actions() const {
    std::lock_guard lock(mu_);
    return actions_;
}

void LogFollower::run() {
    while (!stop_) {
        {
            std::lock_guard lock(mu_);
            for (auto& f : files_)
                if (f.node >= 0) poll(f);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// Called with mu_ held.
void LogFollower::poll(File& f) {
    std::ifstream in(f.path, std::ios::binary);
    if (!in) return;
    in.seekg(0, std::ios::end);
    const auto size = static_cast<size_t>(in.tellg());
    if (size < f.offset) f.offset = 0, f.partial.clear();  // truncated
    if (size == f.offset) return;
    in.seekg(static_cast<std::streamoff>(f.offset));
    std::string chunk(size - f.offset, '\0');
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<size_t>(in.gcount()));
    f.offset += chunk.size();
    f.partial += chunk;
    const double readT = now();
    size_t start = 0;
    for (size_t nl; (nl = f.partial.find('\n', start)) != std::string::npos; start = nl + 1) {
        const std::string line = f.partial.substr(start, nl - start);
        if (f.audit)
            onAuditLine(f.node, line, readT);
        else
            onDaemonLine(f.node, line, readT);
    }
    f.partial.erase(0, start);
}

void LogFollower::onDaemonLine(int node, const std::string& line, double readT) {
    const auto stamp = consoleStamp(line);
    // A stamp later than the read means a clock step: trust the read.
    const double t = stamp ? std::min(fromRealtime(*stamp), readT) : readT;
    recent_.push_back({node, t, line});
    if (recent_.size() > kRecentLines) recent_.pop_front();
    static const std::regex re(R"(\(VI_(\d+)\) Entering (\w+) STATE)");
    std::smatch m;
    if (!std::regex_search(line, m, re)) return;
    const int inst = std::stoi(m[1].str()) - 1;
    if (inst < 0 || inst >= kInstances) return;
    stateLines_[static_cast<size_t>(node)].push_back(t);
    auto& s = states_[static_cast<size_t>(node)][static_cast<size_t>(inst)];
    const std::string to = m[2].str();
    if (s != to) transitions_.push_back({t, node, inst, s.empty() ? "DOWN" : s, to});
    s = to;
}

void LogFollower::onAuditLine(int node, const std::string& line, double readT) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("action") || !j["action"].is_string()) return;
    const std::string action = j["action"];
    if (action != "fence_self" && action != "unfence_self") return;
    double t = readT;
    if (j.contains("ts") && j["ts"].is_string())
        if (auto s = isoStamp(j["ts"].get<std::string>())) t = std::min(fromRealtime(*s), readT);
    actions_.push_back({t, node, j.value("instance", ""), action, j.value("rule", "")});
}

}  // namespace xvrrp::chaos
