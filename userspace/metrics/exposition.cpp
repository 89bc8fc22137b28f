#include "metrics/exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace xvrrp::metrics {
namespace {

void escapeInto(std::string& out, std::string_view v, bool quote) {
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quote) out += "\\\"";
        else out += c;
    }
}

}  // namespace

Labels& Labels::add(std::string_view name, std::string_view value) {
    if (!inner_.empty()) inner_ += ',';
    inner_.append(name);
    inner_ += "=\"";
    escapeInto(inner_, value, true);
    inner_ += '"';
    return *this;
}

Labels& Labels::add(std::string_view name, uint64_t value) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return add(name, std::string_view(buf, static_cast<size_t>(end - buf)));
}

Labels& Labels::merge(const Labels& other) {
    if (other.inner_.empty()) return *this;
    if (!inner_.empty()) inner_ += ',';
    inner_ += other.inner_;
    return *this;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()))
        throw std::logic_error("Histogram: bounds must ascend");
}

void Histogram::observe(double v) {
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    if (it != bounds_.end()) ++counts_[static_cast<size_t>(it - bounds_.begin())];
    ++count_;
    sum_ += v;
}

std::string formatValue(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, static_cast<size_t>(end - buf));
}

void Exposition::family(std::string_view name, Type type, std::string_view help) {
    if (!seen_.emplace(name).second)
        throw std::logic_error("metric family " + std::string(name) + " written twice");
    current_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    escapeInto(out_, help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += type == Type::Counter ? " counter\n" : type == Type::Gauge ? " gauge\n" : " histogram\n";
}

void Exposition::line(std::string_view suffix, std::string_view labels) {
    out_ += current_;
    out_ += suffix;
    out_ += labels;
    out_ += ' ';
}

void Exposition::number(uint64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
    out_ += '\n';
}

void Exposition::number(int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
    out_ += '\n';
}

void Exposition::number(double v) {
    out_ += formatValue(v);
    out_ += '\n';
}

void Exposition::sample(std::string_view labels, double value) {
    line("", labels);
    number(value);
}

void Exposition::histogram(const Labels& labels, const Histogram& h) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h.bounds().size(); ++i) {
        cumulative += h.counts()[i];
        Labels l = labels;
        l.add("le", formatValue(h.bounds()[i]));
        line("_bucket", l.str());
        number(cumulative);
    }
    Labels inf = labels;
    inf.add("le", "+Inf");
    line("_bucket", inf.str());
    number(h.count());
    line("_sum", labels.str());
    number(h.sum());
    line("_count", labels.str());
    number(h.count());
}

}  // namespace xvrrp::metrics
