// keepalived.conf with includes. One input holds several files: the text up to the first
// line "=== NAME" is main.conf, each such line starts file NAME (relative; bytes outside
// [A-Za-z0-9._-/] become '_', ".." parts are dropped; at most 16 files). They are written
// to a fresh directory and main.conf is loaded as xvrrpd -t would, so includes, globs,
// loops and the bounds all run on the fuzzer's files.
//
// Beyond not crashing: the load stays within its bounds, every diagnostic is valid JSON
// text (reload reports them over the control socket), a configuration that loads without
// errors fits the kernel maps and its adverts fit what the receive path takes, and the
// expanded configuration (`-t -d`) reads back to itself where it can be written.
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/bounds.hpp"
#include "config/capacity.hpp"
#include "config/parser.hpp"
#include "xvrrp/abi.h"

namespace fs = std::filesystem;
using namespace xvrrp;

namespace {

constexpr size_t kMaxFuzzFiles = 16;
constexpr std::string_view kSeparator = "\n=== ";

// Globs such as /*/* reach every file on the machine. Reading is harmless except where a
// read consumes something: the kernel log and trace pipes. A private mount namespace
// hides them behind /dev/null (a device, which the reader refuses).
void hideDestructiveFiles() {
    if (::unshare(CLONE_NEWNS) != 0) return;  // not root: nothing to protect
    ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    for (const char* p : {"/proc/kmsg", "/sys/kernel/tracing/trace_pipe",
                          "/sys/kernel/debug/tracing/trace_pipe"})
        ::mount("/dev/null", p, nullptr, MS_BIND, nullptr);
}

struct Sandbox {
    fs::path dir;
    Sandbox() {
        hideDestructiveFiles();
        // tmpfs when there is one: a run writes and removes a directory per input.
        char shm[] = "/dev/shm/xvrrp-fuzz-config-XXXXXX";
        char tmp[] = "/tmp/xvrrp-fuzz-config-XXXXXX";
        const char* made = ::mkdtemp(shm);
        if (!made) made = ::mkdtemp(tmp);
        if (!made) std::abort();
        dir = made;
    }
    ~Sandbox() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

std::string cleanName(std::string_view raw) {
    std::string out;
    for (char c : raw.substr(0, 64)) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == '/';
        out += ok ? c : '_';
    }
    fs::path clean;
    for (const auto& part : fs::path(out)) {
        if (part == ".." || part == "." || part == "/" || part.empty()) continue;
        clean /= part;
    }
    return clean.empty() ? "unnamed" : clean.string();
}

// Writes the files of one input under `dir`; main.conf first.
void writeFiles(const fs::path& dir, std::string_view in) {
    std::vector<std::pair<std::string, std::string_view>> files;
    size_t pos = in.find(kSeparator);
    files.emplace_back("main.conf", in.substr(0, pos));
    while (pos != std::string_view::npos && files.size() < kMaxFuzzFiles) {
        size_t nameStart = pos + kSeparator.size();
        size_t nameEnd = in.find('\n', nameStart);
        if (nameEnd == std::string_view::npos) nameEnd = in.size();
        size_t next = in.find(kSeparator, nameEnd);
        size_t bodyStart = std::min(in.size(), nameEnd + 1);
        size_t bodyEnd = next == std::string_view::npos ? in.size() : next;
        files.emplace_back(cleanName(in.substr(nameStart, nameEnd - nameStart)),
                           in.substr(bodyStart, bodyEnd - bodyStart));
        pos = next;
    }
    for (const auto& [name, body] : files) {
        fs::path p = dir / name;
        std::error_code ec;
        fs::create_directories(p.parent_path(), ec);
        std::ofstream(p, std::ios::binary | std::ios::trunc).write(body.data(), body.size());
    }
}

void check(bool ok) {
    if (!ok) std::abort();
}

void checkUsable(const config::Config& c) {
    check(c.instances.size() <= XV_MAX_INSTANCES);
    for (const auto& i : c.instances) {
        const int version = config::effectiveVersion(c, i);
        const Family fam = config::instanceFamily(i);
        const size_t n = config::advertisedVips(i).size();
        // RFC 5798 section 5.1: 8 header bytes, the addresses, v2's 8 authentication bytes.
        const size_t bytes = 8 + n * (fam == Family::V6 ? 16 : 4) + (version == 2 ? 8 : 0);
        check(n <= config::receiveCapacity(version, fam) && n <= 255 && bytes <= XV_VRRP_MAX);
        for (const auto& v : i.vips) check(v.prefix.addr.family() == fam);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Sandbox box;
    const fs::path dir = box.dir / "in";
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    writeFiles(dir, std::string_view(reinterpret_cast<const char*>(data), size));

    config::LoadOptions o;
    o.interface_mtu = [](const std::string& name) -> std::optional<uint32_t> {
        if (name.rfind("jumbo", 0) == 0) return 9000;
        if (name.rfind("eth", 0) == 0) return 1500;
        return std::nullopt;
    };
    o.config_id = "fuzz";  // @fuzz lines are read, @^fuzz lines not
    o.random_seed = 1;
    o.dump = true;
    auto r = config::loadConfigFile((dir / "main.conf").string(), o);

    check(r.diagnostics.size() <= config::bounds::kMaxDiagnostics + 1);
    check(r.config.files.size() <= config::bounds::kMaxFiles);
    for (const auto& d : r.diagnostics) (void)nlohmann::json(d.str()).dump();
    if (r.ok()) checkUsable(r.config);
    // `xvrrpd -t -d` output reads back to the same statements, where keepalived's syntax can
    // write them (config/lexer.hpp dumpStatements).
    if (r.expanded_exact && r.expanded.size() <= config::bounds::kMaxFileBytes) {
        auto again = config::loadConfigText(r.expanded, (dir / "dump.conf").string(), o);
        check(again.expanded == r.expanded);
    }
    return 0;
}
