#pragma once
// The audit trail: one JSON object per line, each a decision with the evidence behind it.

#include <nlohmann/json.hpp>
#include <string>

#include "decision.hpp"
#include "evidence.hpp"

namespace xvrrp::arbiter {

nlohmann::json toJson(const InstanceEvidence& ev);
nlohmann::json toJson(const Decision& d);

// Appends lines to a file opened O_APPEND (safe to rotate: reopen() after SIGHUP).
class AuditLog {
  public:
    AuditLog() = default;
    explicit AuditLog(std::string path);
    ~AuditLog();
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;

    // Opens path (again, for rotation, or a new one after a reload) and only then lets go
    // of the old file. Throws std::runtime_error naming the file and errno text.
    void reopen(const std::string& path);
    // Writes one line; returns false (and keeps running) when the write fails.
    bool write(const nlohmann::json& line);
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    int fd_ = -1;
};

// One JSON line that never throws on invalid UTF-8 (such bytes become \xHH, common/utf8.hpp).
std::string dumpLine(const nlohmann::json& line);

// "2026-11-22T13:53:39.123Z"
std::string isoNow();

}  // namespace xvrrp::arbiter
