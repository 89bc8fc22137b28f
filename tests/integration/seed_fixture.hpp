#pragma once
// Issue 5, acceptance 2: the users' own keepalived.conf files (XVRRP_SEEDS_DIR) run on
// an xvrrpd pair. Only interface names, addresses and script/notify paths are rewritten;
// scripts are copies of tests/integration/scripts in the lab's root-owned 0700 directory,
// so enable_script_security accepts them.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "pair_fixture.hpp"

namespace xvrrp::itest {

using Subs = std::vector<std::pair<std::string, std::string>>;

// Every occurrence of each `from`, in order; a `from` that does not occur is a test bug
// (the seed changed under us), so it throws.
inline std::string rewrite(std::string text, const Subs& subs) {
    for (const auto& [from, to] : subs) {
        size_t pos = text.find(from);
        if (pos == std::string::npos) throw std::runtime_error("rewrite: '" + from + "' not in seed");
        for (; pos != std::string::npos; pos = text.find(from, pos + to.size()))
            text.replace(pos, from.size(), to);
    }
    return text;
}

inline std::string readText(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Lines of a notify log; empty when the file does not exist yet.
inline std::vector<std::string> logLines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

inline std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += "  [" + l + "]\n";
    return s;
}

class SeedFixture : public PairFixture {
  protected:
    using PairFixture::PairFixture;

    void SetUp() override {
        PairFixture::SetUp();
        if (IsSkipped()) return;
        namespace fs = std::filesystem;
        ASSERT_TRUE(fs::is_directory(XVRRP_SEEDS_DIR)) << XVRRP_SEEDS_DIR << " is missing";
        for (const char* s : {"check_flag.sh", "notify_log.sh"}) {
            const std::string to = lab_->logDir() + "/" + s;
            fs::copy_file(std::string(XVRRP_SEED_SCRIPTS) + "/" + s, to,
                          fs::copy_options::overwrite_existing);
            ::chmod(to.c_str(), 0755);
        }
    }

    // The seed's text, as the user wrote it.
    static std::string seed(const std::string& file) {
        return readText(std::string(XVRRP_SEEDS_DIR) + "/" + file);
    }

    std::string dir() const { return lab_->logDir(); }
    // "<check_flag.sh> <flag>": fails while flag(node, name) exists.
    std::string check(const std::string& node, const std::string& name) const {
        return dir() + "/check_flag.sh " + flag(node, name);
    }
    std::string flag(const std::string& node, const std::string& name) const {
        return dir() + "/" + node + "." + name + ".fail";
    }
    // "<notify_log.sh> <log> <tag>": each run appends "<tag> <keepalived's args>".
    std::string notify(const std::string& node, const std::string& log, const std::string& tag) const {
        return dir() + "/notify_log.sh " + notifyLog(node, log) + (tag.empty() ? "" : " " + tag);
    }
    std::string notifyLog(const std::string& node, const std::string& log) const {
        return dir() + "/" + node + "." + log + ".log";
    }
    void setFlag(const std::string& node, const std::string& name, bool on) const {
        if (on)
            std::ofstream(flag(node, name)) << "x";
        else
            std::filesystem::remove(flag(node, name));
    }

    // Waits until the log has exactly `want` (order kept); true on match.
    bool waitLog(const std::string& path, const std::vector<std::string>& want,
                 Clock::duration timeout = std::chrono::seconds(10)) const {
        return waitUntil([&] { return logLines(path) == want; }, timeout, Ms(50));
    }

    // `name`'s entry in the node's status, or null.
    static nlohmann::json inst(const XvrrpdNode& n, const std::string& name) {
        auto s = n.status();
        if (!s || !s->contains("instances")) return nullptr;
        for (const auto& i : (*s)["instances"])
            if (i.value("name", "") == name) return i;
        return nullptr;
    }
    static std::string stateOf(const XvrrpdNode& n, const std::string& name) {
        auto i = inst(n, name);
        return i.is_null() ? "" : i.value("state", "");
    }
    static int effective(const XvrrpdNode& n, const std::string& name) {
        auto i = inst(n, name);
        return i.is_null() ? -1 : i["priority"].value("effective", -1);
    }
    static bool waitInst(const XvrrpdNode& n, const std::string& name, const std::string& st,
                         Clock::duration timeout) {
        return waitUntil([&] { return stateOf(n, name) == st; }, timeout, Ms(50));
    }

    // Which of n1/n2 holds `vip` on `ifname`: "n1", "n2", "both" or "none".
    std::string holder(const IpAddr& vip, const std::string& ifname = "eth0") const {
        const bool a = lab::hasAddress(lab_->node("n1"), ifname, vip);
        const bool b = lab::hasAddress(lab_->node("n2"), ifname, vip);
        return a && b ? "both" : a ? "n1" : b ? "n2" : "none";
    }
    bool waitHolder(const IpAddr& vip, const std::string& who, Clock::duration timeout,
                    const std::string& ifname = "eth0") const {
        return waitUntil([&] { return holder(vip, ifname) == who; }, timeout, Ms(50));
    }
};

}  // namespace xvrrp::itest
