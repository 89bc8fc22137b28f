// Pin root preparation: the maps must live on a bpffs to be pinned.
#include <linux/magic.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

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

// Who holds a flock on the file with this device and inode (/proc/locks), 0 when unknown.
pid_t lockHolder(dev_t dev, ino_t ino) {
    std::ifstream locks("/proc/locks");
    std::string line;
    char want[64];
    std::snprintf(want, sizeof want, "%02x:%02x:%llu", major(dev), minor(dev),
                  static_cast<unsigned long long>(ino));
    while (std::getline(locks, line)) {
        // "1: FLOCK  ADVISORY  WRITE 4242 00:1f:2345 0 EOF"
        std::istringstream in(line);
        std::string n, kind, mode, rw, id;
        pid_t pid = 0;
        if (in >> n >> kind >> mode >> rw >> pid >> id && kind == "FLOCK" && id == want)
            return pid;
    }
    return 0;
}

// The lock this process already holds through an fd it inherited across an exec (a hitless
// restart), or -1. flock belongs to the open file, so only that fd can take it again.
int inheritedLock(const struct stat& dir) {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return -1;
    int found = -1;
    while (dirent* e = ::readdir(d)) {
        const int fd = std::atoi(e->d_name);
        struct stat st {};
        if (fd < 0 || e->d_name[0] == '.' || fd == ::dirfd(d) || ::fstat(fd, &st) != 0 ||
            !S_ISDIR(st.st_mode) || st.st_dev != dir.st_dev || st.st_ino != dir.st_ino)
            continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            found = fd;
            break;
        }
    }
    ::closedir(d);
    if (found >= 0) ::fcntl(found, F_SETFD, FD_CLOEXEC);  // scripts must not inherit it
    return found;
}

}  // namespace

// One daemon per pin root: an exclusive flock on the directory itself (bpffs allows it),
// held for the daemon's lifetime. A second daemon there would call the first one's maps
// stale and replace its programs. The one exception is this very process after the exec of
// a hitless restart: it holds the lock through the fd it inherited and takes that over.
int lockPinRoot(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw DataplaneError("open " + dir + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
    const int err = errno;
    struct stat st {};
    pid_t holder = ::fstat(fd, &st) == 0 ? lockHolder(st.st_dev, st.st_ino) : 0;
    ::close(fd);
    if (err == EWOULDBLOCK && holder == ::getpid()) {
        if (int mine = inheritedLock(st); mine >= 0) {
            spdlog::info("pin root {}: keeping the lock this process inherited (fd {})", dir, mine);
            return mine;
        }
    }
    if (err != EWOULDBLOCK) throw DataplaneError("flock " + dir + ": " + std::strerror(err));
    std::string who = holder ? "xvrrpd pid " + std::to_string(holder) : "another xvrrpd";
    if (holder) {
        std::ifstream cmd("/proc/" + std::to_string(holder) + "/cmdline");
        std::string exe;
        std::getline(cmd, exe, '\0');
        if (!exe.empty()) who += " (" + exe + ")";
    }
    throw PinRootBusy(dir, who);
}

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
