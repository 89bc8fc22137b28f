#pragma once
// Every change xvrrpd makes to the system (addresses, routes, rules, links, sysctls, XDP and
// TC attachments) is recorded here with how to undo it. Normal operation forgets an entry
// when it undoes the change itself (a VIP removed on leaving MASTER); a stop, a failed start
// and the destructor unwind whatever is left, newest first, so the system ends as it was.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace xvrrp::daemon {

class Ledger {
public:
    using Undo = std::function<void()>;

    Ledger() = default;
    ~Ledger() { unwind(); }
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    // KEY names the change uniquely ("addr 3 192.0.2.1/24"); recording a key again keeps
    // the first entry (the change is already there) and returns false.
    bool record(const std::string& key, std::string what, Undo undo);
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

    size_t size() const { return entries_.size(); }
    std::vector<std::string> describe() const;  // what is recorded, oldest first

private:
    struct Entry {
        std::string key;
        std::string what;
        Undo undo;
    };
    void run(Entry& e);
    void undoIf(const std::function<bool(const std::string&)>& match);

    std::vector<Entry> entries_;
};

}  // namespace xvrrp::daemon
