#include "daemon/ledger.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace xvrrp::daemon {

bool Ledger::record(const std::string& key, std::string what, Undo undo) {
    if (has(key)) return false;
    entries_.push_back({key, std::move(what), std::move(undo)});
    return true;
}

void Ledger::forgetPrefix(const std::string& prefix) {
    std::erase_if(entries_, [&](const Entry& e) { return e.key.compare(0, prefix.size(), prefix) == 0; });
}

bool Ledger::has(const std::string& key) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const Entry& e) { return e.key == key; });
}

void Ledger::forget(const std::string& key) {
    std::erase_if(entries_, [&](const Entry& e) { return e.key == key; });
}

void Ledger::run(Entry& e) {
    try {
        e.undo();
    } catch (const std::exception& ex) {
        spdlog::warn("undoing {}: {}", e.what, ex.what());
    }
}

void Ledger::undo(const std::string& key) {
    undoIf([&](const std::string& k) { return k == key; });
}

void Ledger::undoPrefix(const std::string& prefix) {
    undoIf([&](const std::string& k) { return k.compare(0, prefix.size(), prefix) == 0; });
}

void Ledger::undoIf(const std::function<bool(const std::string&)>& match) {
    for (size_t i = entries_.size(); i-- > 0;) {
        if (!match(entries_[i].key)) continue;
        Entry e = std::move(entries_[i]);
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
        run(e);
        i = std::min(i, entries_.size());  // an undo may have forgotten other entries
    }
}

void Ledger::unwind() {
    while (!entries_.empty()) {
        Entry e = std::move(entries_.back());
        entries_.pop_back();
        run(e);
    }
}

std::vector<std::string> Ledger::describe() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.what);
    return out;
}

}  // namespace xvrrp::daemon
