#pragma once
// The Prometheus text exposition format (version 0.0.4), written straight into one string:
// a scrape of hundreds of instances must cost the event loop well under a millisecond, so
// nothing here allocates per sample beyond the output buffer.
//
//   Exposition out;
//   out.family("xvrrp_adverts_sent_total", Type::Counter, "Adverts sent.");
//   out.sample(Labels().add("iname", "VI_1").str(), 42);
//   std::string body = out.take();
//
// Every sample of a family follows its # HELP/# TYPE lines (the format requires a family's
// samples to be contiguous); family() refuses a name that was already started.

#include <concepts>
#include <cstdint>
#include <type_traits>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xvrrp::metrics {

enum class Type { Counter, Gauge, Histogram };

// `{name="value",...}` with the values escaped as the format requires (\\, \", \n).
class Labels {
public:
    Labels() = default;
    Labels& add(std::string_view name, std::string_view value);
    Labels& add(std::string_view name, uint64_t value);
    // Appends the pairs of OTHER (its braces dropped).
    Labels& merge(const Labels& other);
    // "" when there are no labels.
    std::string str() const { return inner_.empty() ? std::string() : "{" + inner_ + "}"; }
    const std::string& inner() const { return inner_; }
    bool empty() const { return inner_.empty(); }

private:
    std::string inner_;
};

// Fixed upper bounds (seconds, ascending) and cumulative counts: a Prometheus histogram.
class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double v);
    const std::vector<double>& bounds() const { return bounds_; }
    // counts()[i]: observations <= bounds()[i] (not cumulative; the writer sums them).
    const std::vector<uint64_t>& counts() const { return counts_; }
    uint64_t count() const { return count_; }
    double sum() const { return sum_; }

private:
    std::vector<double> bounds_;
    std::vector<uint64_t> counts_;
    uint64_t count_ = 0;
    double sum_ = 0;
};

class Exposition {
public:
    explicit Exposition(size_t reserve = 64 * 1024) { out_.reserve(reserve); }

    // Starts a family: its # HELP and # TYPE lines. Throws std::logic_error when NAME was
    // already started (two families of one name make the exposition invalid).
    void family(std::string_view name, Type type, std::string_view help);
    // One sample of the current family; LABELS as from Labels::str() (may be empty).
    template <std::integral T>
    void sample(std::string_view labels, T value) {
        line("", labels);
        if constexpr (std::is_signed_v<T>)
            number(static_cast<int64_t>(value));
        else
            number(static_cast<uint64_t>(value));
    }
    void sample(std::string_view labels, double value);
    // The _bucket/_sum/_count series of the current (histogram) family.
    void histogram(const Labels& labels, const Histogram& h);

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    void line(std::string_view suffix, std::string_view labels);
    void number(uint64_t v);
    void number(int64_t v);
    void number(double v);

    std::string out_;
    std::string current_;
    std::set<std::string, std::less<>> seen_;
};

// A metric or label value as the format writes it: "+Inf", "NaN", shortest round-trip.
std::string formatValue(double v);

}  // namespace xvrrp::metrics
