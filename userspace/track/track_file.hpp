#pragma once
// track_file / vrrp_track_file (keepalived 2.2.7 trackers/track_file.c).
//
// The file holds an integer (strtol base 0: "10", "-5", "0x10"); a missing or empty file,
// or text that is not a number, reads as 0; a number outside the int32 range is ignored
// (the last value stays). Effect on an instance: see tracker.hpp (value * weight).
// init_file [VALUE] [overwrite]: at startup write "VALUE\n" (default 0) - only when the
// file does not exist, or always with overwrite (but never over a non-regular file).
// The file's directory is watched with inotify (IN_CLOSE_WRITE | IN_DELETE | IN_MOVE), so
// a write, a rename into place or a delete (value 0) is noticed without polling.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "track/messages.hpp"

namespace xvrrp::track {

// The value keepalived reads from file contents; nullopt = out of range, keep the old one.
std::optional<int64_t> parseTrackFileValue(std::string_view contents);

// Reads the file now (missing -> 0).
std::optional<int64_t> readTrackFile(const std::string& path);

// init_file handling for one track_file; returns messages (keepalived wording) on problems.
std::vector<std::string> initTrackFile(const config::TrackFile& f);

// Watches all track files with one inotify fd.
// Daemon use:
//   FileTrackers ft(cfg, [&](const std::string& name, int64_t value) {...});
//   for (auto& m : ft.messages()) log(m);
//   epoll add ft.fd() -> ft.onReadable();   ft.value("name") feeds effectivePriority().
class FileTrackers {
public:
    using ChangeHandler = std::function<void(const std::string& name, int64_t value)>;

    // Runs init_file for each, resolves paths, adds watches, reads current values. Files
    // whose directory does not exist are dropped ("Track file directory for %s does not
    // exist - removing"). `names` limits to the files some instance tracks (empty: all).
    // Throws std::system_error when inotify_init1 fails.
    FileTrackers(const config::Config& cfg, ChangeHandler on_change,
                 const std::vector<std::string>& names = {});
    ~FileTrackers();
    FileTrackers(const FileTrackers&) = delete;
    FileTrackers& operator=(const FileTrackers&) = delete;

    int fd() const { return fd_; }
    void onReadable();

    std::optional<int64_t> value(const std::string& name) const;
    // Lines not taken yet; the daemon drains them with takeMessages() (track/messages.hpp).
    const std::vector<std::string>& messages() const { return messages_.pending(); }
    std::vector<std::string> takeMessages() { return messages_.take(); }

private:
    struct Watched {
        std::string name;
        std::string path;       // resolved
        std::string file_part;  // name inside the directory
        int wd = -1;
        int64_t value = 0;
    };
    void update(Watched& w, int64_t v);

    int fd_ = -1;
    ChangeHandler on_change_;
    std::vector<Watched> files_;
    Messages messages_;
};

}  // namespace xvrrp::track
