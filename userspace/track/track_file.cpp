// track_file values and their inotify watch (see track_file.hpp).
#include "track/track_file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace xvrrp::track {

std::optional<int64_t> parseTrackFileValue(std::string_view contents) {
    std::string buf(contents.substr(0, 127));  // keepalived reads at most 127 bytes
    errno = 0;
    long long v = strtoll(buf.c_str(), nullptr, 0);
    if (errno || v < INT32_MIN || v > static_cast<long long>(INT32_MAX) + 1) return std::nullopt;
    return v;
}

std::optional<int64_t> readTrackFile(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    return parseTrackFileValue(std::string_view(buf, static_cast<size_t>(n)));
}

std::vector<std::string> initTrackFile(const config::TrackFile& f) {
    std::vector<std::string> msgs;
    if (!f.init_file) return msgs;
    struct stat st {};
    if (stat(f.file.c_str(), &st) == 0) {
        if (!f.overwrite) return msgs;
        if (!S_ISREG(st.st_mode)) {
            msgs.push_back("Cannot initialise track file " + f.name + " - it is not a regular file");
            return msgs;
        }
    }
    int fd = open(f.file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    std::string line = std::to_string(f.init_value.value_or(0)) + "\n";
    if (fd < 0 || write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        msgs.push_back("Unable to initialise track file " + f.name + " (" + f.file + ": " + strerror(errno) + ")");
    if (fd >= 0) close(fd);
    return msgs;
}

FileTrackers::FileTrackers(const config::Config& cfg, ChangeHandler on_change,
                           const std::vector<std::string>& names)
    : on_change_(std::move(on_change)) {
    fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1 for track files");
    for (const auto& [name, f] : cfg.track_files) {
        if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
        for (auto& m : initTrackFile(f)) messages_.push(std::move(m));
        Watched w;
        w.name = name;
        std::string path = f.file;
        bool exists = false;
        if (char* r = realpath(path.c_str(), nullptr)) {
            path = r;
            free(r);
            exists = true;
        } else if (errno == ENOENT) {
            size_t slash = path.rfind('/');
            std::string dir = slash == std::string::npos ? "." : path.substr(0, slash ? slash : 1);
            std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
            char* r = realpath(dir.c_str(), nullptr);
            struct stat st {};
            if (!r || stat(r, &st) != 0 || !S_ISDIR(st.st_mode)) {
                free(r);
                messages_.push("Track file directory for " + name + " does not exist - removing");
                continue;
            }
            path = std::string(r) + (std::string(r) == "/" ? "" : "/") + base;
            free(r);
        } else {
            messages_.push("track file " + name + " is not accessible - ignoring");
            continue;
        }
        size_t slash = path.rfind('/');
        w.path = path;
        w.file_part = path.substr(slash + 1);
        std::string dir = path.substr(0, slash ? slash : 1);
        w.wd = inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_DELETE | IN_MOVE);
        if (w.wd < 0) {
            messages_.push("inotify_add_watch " + dir + " for track file " + name + ": " + strerror(errno));
            continue;
        }
        if (exists) w.value = readTrackFile(path).value_or(0);
        files_.push_back(std::move(w));
    }
}

FileTrackers::~FileTrackers() { close(fd_); }

void FileTrackers::update(Watched& w, int64_t v) {
    if (v == w.value) return;
    w.value = v;
    if (on_change_) on_change_(w.name, v);
}

void FileTrackers::onReadable() {
    alignas(inotify_event) char buf[sizeof(inotify_event) * 16 + NAME_MAX + 1];
    while (true) {
        ssize_t len = read(fd_, buf, sizeof buf);
        if (len < 0 && errno == EINTR) continue;
        if (len <= 0) return;  // EAGAIN: drained
        for (char* p = buf; p < buf + len;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            p += sizeof(inotify_event) + ev->len;
            if (ev->mask & IN_ISDIR) continue;
            const char* evname = ev->len ? ev->name : "";
            for (auto& w : files_) {
                if (w.wd != ev->wd || w.file_part != evname) continue;
                if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
                    update(w, 0);  // gone: reads as 0
                } else if (auto v = readTrackFile(w.path)) {
                    update(w, *v);
                }
            }
        }
    }
}

std::optional<int64_t> FileTrackers::value(const std::string& name) const {
    for (const auto& w : files_)
        if (w.name == name) return w.value;
    return std::nullopt;
}

}  // namespace xvrrp::track
