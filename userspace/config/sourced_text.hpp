#pragma once
// Internal: a line of keepalived.conf being expanded ($PARAM substitution, multiline values,
// ~SEQ/~LST), with where each byte was written, so a diagnostic about expanded text still
// points into the original file and names the expansion it came through.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace xvrrp::config {

// One substitution: $NAME (or ${NAME}) replaced at `use`, itself inside `parent`'s text.
struct Via {
    Via(std::string n, Location u, std::shared_ptr<const Via> p, int d)
        : name(std::move(n)), use(std::move(u)), parent(std::move(p)), depth(d) {}

    std::string name;
    Location use;
    std::shared_ptr<const Via> parent;
    int depth = 1;  // substitutions nested, this one included

    bool mentions(std::string_view n) const;
    // "from $B at a.conf:9:7, from $A at a.conf:8:6" (innermost first).
    std::shared_ptr<const std::string> describe() const;

private:
    mutable std::shared_ptr<const std::string> described_;
};

class SourcedText {
public:
    // Bytes [begin, next span's begin) were written from `at` on (one column per byte), or
    // all at `at` when `fixed` (a generated value: a ~SEQ number, ${_RANDOM}).
    struct Span {
        size_t begin = 0;
        Location at;
        std::shared_ptr<const Via> via;
        bool fixed = false;
    };

    SourcedText() = default;
    SourcedText(std::string text, Location at, std::shared_ptr<const Via> via = {}, bool fixed = false);

    const std::string& str() const { return s_; }
    size_t size() const { return s_.size(); }
    bool empty() const { return s_.empty(); }
    char operator[](size_t i) const { return s_[i]; }

    // Where byte i was written (i == size(): just past the last byte).
    Location locationAt(size_t i) const;
    // The innermost substitution any byte of [begin, end) came through, or null.
    std::shared_ptr<const Via> viaIn(size_t begin, size_t end) const;

    SourcedText substr(size_t pos, size_t len = std::string::npos) const;
    void replace(size_t pos, size_t len, const SourcedText& with);
    void erase(size_t pos, size_t len) { replace(pos, len, SourcedText{}); }
    void append(const SourcedText& more) { replace(s_.size(), 0, more); }
    // Every byte now also came through `via` (the text was substituted for a reference).
    SourcedText through(const std::shared_ptr<const Via>& via) const;

private:
    size_t spanAt(size_t i) const;

    std::string s_;
    std::vector<Span> spans_;  // sorted by begin; spans_[0].begin == 0 unless empty
};

}  // namespace xvrrp::config
