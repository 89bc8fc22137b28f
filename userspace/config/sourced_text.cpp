#include "config/sourced_text.hpp"

#include <algorithm>

#include "config/diagnostic.hpp"

namespace xvrrp::config {

bool Via::mentions(std::string_view n) const {
    for (const Via* v = this; v; v = v->parent.get())
        if (v->name == n) return true;
    return false;
}

std::shared_ptr<const std::string> Via::describe() const {
    if (!described_) {
        // The innermost few; a chain is at most kMaxExpansionDepth long.
        constexpr int kShown = 4;
        std::string s;
        int n = 0;
        for (const Via* v = this; v; v = v->parent.get(), ++n)
            if (n < kShown) s += (s.empty() ? "from $" : ", from $") + v->name + " at " + locationStr(v->use);
        if (n > kShown) s += ", and " + std::to_string(n - kShown) + " more";
        described_ = std::make_shared<const std::string>(std::move(s));
    }
    return described_;
}

SourcedText::SourcedText(std::string text, Location at, std::shared_ptr<const Via> via, bool fixed)
    : s_(std::move(text)) {
    if (!s_.empty()) spans_.push_back({0, std::move(at), std::move(via), fixed});
}

size_t SourcedText::spanAt(size_t i) const {
    auto it = std::upper_bound(spans_.begin(), spans_.end(), i,
                               [](size_t v, const Span& s) { return v < s.begin; });
    return static_cast<size_t>(it - spans_.begin()) - 1;
}

Location SourcedText::locationAt(size_t i) const {
    if (spans_.empty()) return {};
    if (i >= s_.size()) {  // just past the end: one column after the last byte
        Location l = locationAt(s_.size() - 1);
        if (!spans_.back().fixed) ++l.column;
        return l;
    }
    const Span& sp = spans_[spanAt(i)];
    Location l = sp.at;
    if (!sp.fixed) l.column += static_cast<int>(i - sp.begin);
    if (sp.via) l.via = sp.via->describe();
    return l;
}

std::shared_ptr<const Via> SourcedText::viaIn(size_t begin, size_t end) const {
    if (begin >= end || spans_.empty()) return {};
    for (size_t k = spanAt(begin); k < spans_.size() && spans_[k].begin < end; ++k)
        if (spans_[k].via) return spans_[k].via;
    return {};
}

SourcedText SourcedText::substr(size_t pos, size_t len) const {
    SourcedText out;
    pos = std::min(pos, s_.size());
    len = std::min(len, s_.size() - pos);
    if (len == 0) return out;
    out.s_ = s_.substr(pos, len);
    for (size_t k = spanAt(pos); k < spans_.size() && spans_[k].begin < pos + len; ++k) {
        Span sp = spans_[k];
        if (sp.begin < pos) {  // the first span starts before pos: move its start up
            if (!sp.fixed) sp.at.column += static_cast<int>(pos - sp.begin);
            sp.begin = pos;
        }
        sp.begin -= pos;
        out.spans_.push_back(std::move(sp));
    }
    return out;
}

void SourcedText::replace(size_t pos, size_t len, const SourcedText& with) {
    pos = std::min(pos, s_.size());
    len = std::min(len, s_.size() - pos);
    SourcedText tail = substr(pos + len);
    // Keep the spans that start before pos; the rest come back with `with` and `tail`.
    s_.resize(pos);
    while (!spans_.empty() && spans_.back().begin >= pos) spans_.pop_back();
    for (const SourcedText* part : {&with, static_cast<const SourcedText*>(&tail)}) {
        const size_t base = s_.size();
        s_ += part->s_;
        for (Span sp : part->spans_) {
            sp.begin += base;
            spans_.push_back(std::move(sp));
        }
    }
}

SourcedText SourcedText::through(const std::shared_ptr<const Via>& via) const {
    SourcedText out = *this;
    for (auto& sp : out.spans_) sp.via = via;
    return out;
}

}  // namespace xvrrp::config
