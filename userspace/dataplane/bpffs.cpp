// Pin root preparation: the maps must live on a bpffs to be pinned.
#include <linux/magic.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "dataplane/dataplane.hpp"

namespace xvrrp::dataplane {
namespace {

constexpr const char* kSysBpf = "/sys/fs/bpf";

void mountBpffs(const std::string& dir) {
    if (::mount("bpf", dir.c_str(), "bpf", 0, "mode=0700") != 0) {
        throw DataplaneError("mount(bpf) on " + dir + ": " + std::strerror(errno));
    }
    spdlog::info("mounted bpffs on {}", dir);
}

}  // namespace

bool isBpffs(const std::string& path) {
    struct statfs st {};
    return ::statfs(path.c_str(), &st) == 0 &&
           static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC;
}

bool ensureBpffs(const std::string& dir) {
    namespace fs = std::filesystem;
    if (isBpffs(dir)) return false;

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        // /sys/fs/bpf exists on sysfs but refuses mkdir until a bpffs is mounted on it.
        const fs::path parent = fs::path(dir).parent_path();
        if (parent != kSysBpf || isBpffs(kSysBpf)) {
            throw DataplaneError("mkdir " + dir + ": " + ec.message());
        }
        mountBpffs(kSysBpf);
        fs::create_directories(dir, ec);
        if (ec) throw DataplaneError("mkdir " + dir + ": " + ec.message());
    }
    if (isBpffs(dir)) return false;  // created inside an existing bpffs
    mountBpffs(dir);
    return true;
}

}  // namespace xvrrp::dataplane
