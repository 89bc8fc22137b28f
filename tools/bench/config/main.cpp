// xvrrp-bench-config: what loading keepalived.conf costs at the reader's bounds
// (docs/bounds.md). Each case is a file written to a fresh directory and loaded as
// `xvrrpd -t` and a reload do, in a child process, so its peak RSS is its own. Prints one
// JSON document: per case the bytes, the seconds (best of --repeat) and the peak RSS.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "config/bounds.hpp"
#include "config/parser.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Case {
    const char* name;
    std::function<std::string(const fs::path& dir)> text;  // main.conf (may write others)
};

std::string instances(int n) {
    std::string s;
    for (int k = 0; k < n; ++k)
        s += "vrrp_instance I" + std::to_string(k) + " {\n    interface eth" + std::to_string(k / 255) +
             "\n    virtual_router_id " + std::to_string(k % 255 + 1) +
             "\n    priority 100\n    advert_int 1\n    authentication {\n        auth_type PASS\n"
             "        auth_pass secret\n    }\n    virtual_ipaddress {\n        10.70." +
             std::to_string(k / 250) + "." + std::to_string(k % 250 + 1) + "/32\n    }\n}\n";
    return s;
}

std::string fill(const std::string& line, size_t bytes) {
    std::string s;
    while (s.size() + line.size() <= bytes) s += line;
    return s;
}

const std::vector<Case> kCases = {
    {"instances_1024", [](const fs::path&) { return instances(1024); }},
    {"words_at_bound",
     [](const fs::path&) {
         std::string line;
         for (int i = 0; i < 500; ++i) line += i ? " w" : "w";
         return "virtual_server x {\n" + fill(line + "\n", 2 * xvrrp::config::bounds::kMaxWords) + "}\n";
     }},
    {"comments_at_bytes_bound",
     [](const fs::path&) { return fill("# " + std::string(97, 'c') + "\n", xvrrp::config::bounds::kMaxFileBytes); }},
    {"unknown_keywords_at_bytes_bound", [](const fs::path&) { return fill("frobnicate_it x\n", xvrrp::config::bounds::kMaxFileBytes); }},
    {"open_braces_20000", [](const fs::path&) { return "vrrp_instance VI_1 " + fill("{\n", 40000); }},
    {"keyword_10MB", [](const fs::path&) { return "global_defs {\n " + std::string(10 << 20, 'x') + "\n}\n"; }},
    {"self_include_twice",
     [](const fs::path& dir) {
         return "include " + (dir / "main.conf").string() + "\ninclude " + (dir / "main.conf").string() + "\n";
     }},
};

double loadOnce(const fs::path& file) {
    xvrrp::config::LoadOptions o;
    auto t0 = std::chrono::steady_clock::now();
    auto r = xvrrp::config::loadConfigFile(file.string(), o);
    auto t1 = std::chrono::steady_clock::now();
    (void)r;
    return std::chrono::duration<double>(t1 - t0).count();
}

// Runs the case in a child: best time of `repeat` loads, and the child's peak RSS.
json run(const Case& c, int repeat) {
    fs::path dir = fs::temp_directory_path() / ("xvrrp-bench-config-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path file = dir / "main.conf";
    std::ofstream(file, std::ios::trunc) << c.text(dir);
    int pipefd[2];
    if (::pipe(pipefd) != 0) throw std::runtime_error("pipe");
    pid_t pid = ::fork();
    if (pid == 0) {
        double best = 1e9;
        for (int i = 0; i < repeat; ++i) best = std::min(best, loadOnce(file));
        (void)!::write(pipefd[1], &best, sizeof best);
        ::_exit(0);
    }
    ::close(pipefd[1]);
    double best = -1;
    (void)!::read(pipefd[0], &best, sizeof best);
    ::close(pipefd[0]);
    int status = 0;
    rusage ru{};
    ::wait4(pid, &status, 0, &ru);
    json j = {{"case", c.name},
              {"bytes", fs::file_size(file)},
              {"seconds", best},
              {"peak_rss_mb", ru.ru_maxrss / 1024.0},
              {"exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1}};
    fs::remove_all(dir);
    return j;
}

}  // namespace

int main(int argc, char** argv) {
    int repeat = 3;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) {
            repeat = std::max(1, std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: %s [--repeat N]\n", argv[0]);
            return 2;
        }
    }
    json out = {{"bench", "config"}, {"repeat", repeat}, {"cases", json::array()}};
    for (const auto& c : kCases) {
        std::fprintf(stderr, "config bench: %s\n", c.name);
        out["cases"].push_back(run(c, repeat));
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
}
