// docs/grafana/xvrrp.json, the dashboard docs/metrics.md ships: every PromQL expression in it
// (panel targets and variable queries) parses (promtool check rules) and names only metrics
// that docs/metrics.md lists. unit.daemon and unit.arbiter check that the list is exactly
// what the two daemons write, so a renamed or dropped metric fails here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// docs/metrics.md's tables: family -> type.
std::map<std::string, std::string> documented() {
    const std::string doc = readFile(XVRRP_DOCS_DIR "/metrics.md");
    std::map<std::string, std::string> out;
    static const std::regex row(R"(\n\| `([a-z_:][a-z0-9_:]*)` \| (counter|gauge|histogram) \|)");
    for (std::sregex_iterator it(doc.begin(), doc.end(), row), end; it != end; ++it)
        out[(*it)[1]] = (*it)[2];
    return out;
}

// Grafana's $variables and ${variables} as PromQL would see them after substitution.
std::string substitute(const std::string& e) {
    static const std::regex var(R"(\$\{?(__rate_interval|__interval|__range)\}?)");
    static const std::regex other(R"(\$\{[A-Za-z0-9_:]+\}|\$[A-Za-z_][A-Za-z0-9_]*)");
    return std::regex_replace(std::regex_replace(e, var, "5m"), other, "x");
}

// Metric names in a PromQL expression: identifiers not followed by '(' (functions,
// aggregations), outside strings, label matchers, ranges and by/without/on/ignoring lists.
std::set<std::string> metricNames(std::string e) {
    static const std::vector<std::regex> strip = {
        std::regex(R"("(\\.|[^"\\])*"|'(\\.|[^'\\])*'|`[^`]*`)"),
        std::regex(R"(\{[^}]*\})"),
        std::regex(R"(\[[^\]]*\])"),
        std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"),
    };
    for (const auto& r : strip) e = std::regex_replace(e, r, " ");
    static const std::set<std::string> keywords = {
        "by",  "without", "on",     "ignoring", "group_left", "group_right", "bool", "offset",
        "and", "or",      "unless", "inf",      "nan",        "Inf",         "NaN"};
    std::set<std::string> out;
    for (size_t i = 0; i < e.size();) {
        const unsigned char c = static_cast<unsigned char>(e[i]);
        if (std::isdigit(c) || c == '.') {  // a number or a duration: skip it whole
            while (i < e.size() && (std::isalnum(static_cast<unsigned char>(e[i])) || e[i] == '.'))
                ++i;
            continue;
        }
        if (!std::isalpha(c) && c != '_' && c != ':') {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < e.size() &&
               (std::isalnum(static_cast<unsigned char>(e[j])) || e[j] == '_' || e[j] == ':'))
            ++j;
        std::string word = e.substr(i, j - i);
        size_t k = j;
        while (k < e.size() && std::isspace(static_cast<unsigned char>(e[k]))) ++k;
        if ((k >= e.size() || e[k] != '(') && !keywords.count(word)) out.insert(word);
        i = j;
    }
    return out;
}

// Names in EXPR that are not a documented family (or a histogram's _bucket/_sum/_count).
std::vector<std::string> unknownNames(const std::string& expr,
                                      const std::map<std::string, std::string>& families) {
    std::vector<std::string> bad;
    for (const auto& n : metricNames(substitute(expr))) {
        if (families.count(n)) continue;
        bool series = false;
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
            const std::string s(suffix);
            if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0) {
                auto it = families.find(n.substr(0, n.size() - s.size()));
                series = series || (it != families.end() && it->second == "histogram");
            }
        }
        if (!series) bad.push_back(n);
    }
    return bad;
}

// Every "expr" of the panels (rows' nested panels too) and every variable's query.
void collect(const json& panels, std::vector<std::pair<std::string, std::string>>& out) {
    for (const auto& p : panels) {
        for (const auto& t : p.value("targets", json::array()))
            if (t.contains("expr")) out.emplace_back(p.value("title", "?"), t["expr"]);
        if (p.contains("panels")) collect(p["panels"], out);
    }
}

std::vector<std::pair<std::string, std::string>> dashboardExpressions(const json& d) {
    std::vector<std::pair<std::string, std::string>> out;
    collect(d.at("panels"), out);
    static const std::regex labelValues(R"(^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,)");
    for (const auto& v : d.at("templating").at("list")) {
        if (v.value("type", "") != "query") continue;
        std::string q = v["query"].is_object() ? v["query"].value("query", std::string())
                                               : v["query"].get<std::string>();
        std::smatch m;
        // Grafana's label_values(METRIC, LABEL) is not PromQL; its METRIC is what must exist.
        if (std::regex_search(q, m, labelValues)) q = m[1];
        out.emplace_back("variable " + v.value("name", "?"), q);
    }
    return out;
}

TEST(Dashboard, TheCheckFindsAnUnknownName) {
    const std::map<std::string, std::string> f = {
        {"a_total", "counter"}, {"h_seconds", "histogram"}, {"g", "gauge"}};
    EXPECT_EQ(
        unknownNames(R"(sum by (x, le) (rate(h_seconds_bucket{i=~"$node"}[$__rate_interval])))", f),
        std::vector<std::string>{});
    EXPECT_EQ(unknownNames(
                  R"(histogram_quantile(0.99, rate(a_total[5m])) > 1e3 and on(i) g offset 5m)", f),
              std::vector<std::string>{});
    EXPECT_EQ(unknownNames("time() - g_typo", f), std::vector<std::string>{"g_typo"});
    EXPECT_EQ(unknownNames("rate(a_total_bucket[1m])", f),
              std::vector<std::string>{"a_total_bucket"});
    EXPECT_EQ(unknownNames(R"(count(g{x="not_a_metric"}) by (not_one_either))", f),
              std::vector<std::string>{});
}

TEST(Dashboard, EveryExpressionNamesADocumentedMetric) {
    const auto families = documented();
    ASSERT_GT(families.size(), 50u) << "docs/metrics.md's tables were not found";
    const json d = json::parse(readFile(XVRRP_DOCS_DIR "/grafana/xvrrp.json"));
    const auto exprs = dashboardExpressions(d);
    ASSERT_GT(exprs.size(), 20u);
    std::set<std::string> used;
    for (const auto& [where, e] : exprs) {
        for (const auto& n : metricNames(substitute(e))) used.insert(n);
        EXPECT_EQ(unknownNames(e, families), std::vector<std::string>{}) << where << ": " << e;
    }
    // Both daemons are on it.
    EXPECT_TRUE(used.count("keepalived_vrrp_state"));
    EXPECT_TRUE(used.count("xvrrp_arbiter_verdicts_total"));
}

// promtool parses each expression as a recording rule's.
TEST(Dashboard, EveryExpressionIsValidPromQL) {
    const json d = json::parse(readFile(XVRRP_DOCS_DIR "/grafana/xvrrp.json"));
    json rules = json::array();
    int n = 0;
    for (const auto& [where, e] : dashboardExpressions(d))
        rules.push_back(
            {{"record", "dashboard:expr_" + std::to_string(n++)}, {"expr", substitute(e)}});
    const json file = {{"groups", json::array({{{"name", "dashboard"}, {"rules", rules}}})}};
    char path[] = "/tmp/xvt-dashboard-XXXXXX";
    int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    const std::string text = file.dump();  // JSON is YAML
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    FILE* f = ::popen((std::string("promtool check rules ") + path + " 2>&1").c_str(), "r");
    ASSERT_TRUE(f) << "cannot run promtool (tools/test installs the prometheus package)";
    std::string said;
    char buf[512];
    while (size_t k = std::fread(buf, 1, sizeof buf, f)) said.append(buf, k);
    const int rc = ::pclose(f);
    ::unlink(path);
    EXPECT_EQ(rc, 0) << said;
}

}  // namespace
