#pragma once
// Every change xvrrpd makes to the system (addresses, routes, rules, links, sysctls, XDP and
// TC attachments) is recorded here with how to undo it. Normal operation forgets an entry
// when it undoes the change itself (a VIP removed on leaving MASTER); a stop, a failed start
// and the destructor unwind whatever is left, newest first, so the system ends as it was.
//
// A hitless restart (xvrrpctl restart) hands the entries to the next process: each one that
// carries a Carry (its kind and the data its undo needs) goes into the handover record, and
// the successor rebuilds the undo from it (inherit). An inherited entry is claimed when the
// successor makes the same change again (record) or still wants it (claim); what nobody
// claims belonged to configuration that is gone and is undone after the start.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xvrrp::daemon {

class Ledger {
public:
    using Undo = std::function<void()>;
    // What a successor needs to undo the change: "vip", "sysctl", ... and their data.
    struct Carry {
        std::string kind;
        nlohmann::json data;
    };
    using Rebuild = std::function<Undo(const std::string& kind, const nlohmann::json& data)>;

    Ledger() = default;
    ~Ledger() { unwind(); }
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // KEY names the change uniquely ("addr 3 192.0.2.1/24"); recording a key again keeps
    // the first entry (the change is already there) and returns false. An inherited entry
    // recorded again is claimed and takes this undo.
    bool record(const std::string& key, std::string what, Undo undo, Carry carry = {});
    // The change was undone by the caller: drop its entry. Unknown keys are fine.
    void forget(const std::string& key);
    // Forgets every entry whose key starts with PREFIX (what must outlive the daemon).
    void forgetPrefix(const std::string& prefix);
    bool has(const std::string& key) const;
    // Undoes one entry now (e.g. a reload removed what it was for).
    void undo(const std::string& key);
    // Undoes every entry whose key starts with PREFIX, newest first.
    void undoPrefix(const std::string& prefix);
    // Undoes everything, newest first. A failing undo is logged and the rest still run.
    void unwind();

    // ---- hitless restart ----
    // The entries that carry their undo, oldest first: [{key, what, kind, data}].
    nlohmann::json handoff() const;
    // Takes a predecessor's handoff(); REBUILD makes each undo (it may throw: that entry is
    // logged and dropped). Returns how many were taken.
    size_t inherit(const nlohmann::json& entries, const Rebuild& rebuild);
    // An inherited change this process keeps without making it again. False: not inherited.
    bool claim(const std::string& key);
    bool inherited(const std::string& key) const;
    // Undoes the inherited entries nobody claimed, newest first; returns their descriptions.
    std::vector<std::string> undoUnclaimed();
    // Undoes what this process added itself, newest first; inherited entries stay (a start
    // that failed hands them back to the process it took them from).
    void unwindOwn();

    size_t size() const { return entries_.size(); }
    std::vector<std::string> describe() const;  // what is recorded, oldest first

private:
    struct Entry {
        std::string key;
        std::string what;
        Undo undo;
        Carry carry;
        bool inherited = false;
        bool claimed = false;
    };
    void run(Entry& e);
    void undoIf(const std::function<bool(const Entry&)>& match);
    Entry* find(const std::string& key);

    std::vector<Entry> entries_;
};

}  // namespace xvrrp::daemon
