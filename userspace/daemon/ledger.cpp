#include "daemon/ledger.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace xvrrp::daemon {

Ledger::Entry* Ledger::find(const std::string& key) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.key == key; });
    return it == entries_.end() ? nullptr : &*it;
}

bool Ledger::record(const std::string& key, std::string what, Undo undo, Carry carry) {
    if (Entry* e = find(key)) {
        // The predecessor made this change; this process made it again (a no-op on the
        // system) and now owns it, with its own view of how to undo it.
        if (e->inherited && !e->claimed) {
            e->claimed = true;
            e->what = std::move(what);
            e->undo = std::move(undo);
            e->carry = std::move(carry);
        }
        return false;
    }
    entries_.push_back({key, std::move(what), std::move(undo), std::move(carry)});
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
    undoIf([&](const Entry& e) { return e.key == key; });
}

void Ledger::undoPrefix(const std::string& prefix) {
    undoIf([&](const Entry& e) { return e.key.compare(0, prefix.size(), prefix) == 0; });
}

void Ledger::undoIf(const std::function<bool(const Entry&)>& match) {
    for (size_t i = entries_.size(); i-- > 0;) {
        if (!match(entries_[i])) continue;
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

nlohmann::json Ledger::handoff() const {
    auto out = nlohmann::json::array();
    for (const auto& e : entries_) {
        if (e.carry.kind.empty()) continue;
        out.push_back({{"key", e.key}, {"what", e.what}, {"kind", e.carry.kind},
                       {"data", e.carry.data}});
    }
    return out;
}

size_t Ledger::inherit(const nlohmann::json& entries, const Rebuild& rebuild) {
    size_t n = 0;
    if (!entries.is_array()) return 0;
    for (const auto& j : entries) {
        std::string key = "?";
        try {
            key = j.at("key").get<std::string>();
            Carry carry{j.at("kind").get<std::string>(), j.at("data")};
            Undo undo = rebuild(carry.kind, carry.data);
            if (find(key)) continue;
            Entry e{key, j.value("what", key), std::move(undo), std::move(carry)};
            e.inherited = true;
            entries_.push_back(std::move(e));
            ++n;
        } catch (const std::exception& ex) {
            spdlog::warn("handover: cannot take over ledger entry {}: {}", key, ex.what());
        }
    }
    return n;
}

bool Ledger::claim(const std::string& key) {
    Entry* e = find(key);
    if (!e || !e->inherited) return false;
    e->claimed = true;
    return true;
}

bool Ledger::inherited(const std::string& key) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const Entry& e) { return e.key == key && e.inherited; });
}

std::vector<std::string> Ledger::undoUnclaimed() {
    std::vector<std::string> done;
    undoIf([&](const Entry& e) {
        if (!e.inherited || e.claimed) return false;
        done.push_back(e.what);
        return true;
    });
    return done;
}

void Ledger::unwindOwn() {
    undoIf([](const Entry& e) { return !e.inherited; });
}

std::vector<std::string> Ledger::describe() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.what);
    return out;
}

}  // namespace xvrrp::daemon
