#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace xvrrp::metrics {
namespace {

TEST(Exposition, FamilyHelpTypeAndSamples) {
    Exposition out;
    out.family("x_total", Type::Counter, "Things.");
    out.sample(Labels().add("a", "b").str(), uint64_t{3});
    out.sample("", int64_t{-2});
    out.family("y", Type::Gauge, "Level.");
    out.sample(Labels().add("n", uint64_t{7}).add("m", "z").str(), 0.5);
    EXPECT_EQ(out.text(),
              "# HELP x_total Things.\n# TYPE x_total counter\nx_total{a=\"b\"} 3\nx_total -2\n"
              "# HELP y Level.\n# TYPE y gauge\ny{n=\"7\",m=\"z\"} 0.5\n");
}

TEST(Exposition, LabelValuesAndHelpAreEscaped) {
    Exposition out;
    out.family("z", Type::Gauge, "back\\slash\nnewline \"quotes stay\"");
    out.sample(Labels().add("v", "a\"b\\c\nd").str(), uint64_t{1});
    EXPECT_EQ(out.text(),
              "# HELP z back\\\\slash\\nnewline \"quotes stay\"\n# TYPE z gauge\n"
              "z{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Exposition, AFamilyTwiceIsRefused) {
    Exposition out;
    out.family("z", Type::Gauge, "h");
    EXPECT_THROW(out.family("z", Type::Gauge, "h"), std::logic_error);
}

TEST(Exposition, SpecialFloats) {
    EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(formatValue(std::nan("")), "NaN");
    EXPECT_EQ(formatValue(0.25), "0.25");
}

TEST(Exposition, HistogramBucketsAreCumulativeWithInfSumAndCount) {
    Histogram h({0.1, 1});
    h.observe(0.05);
    h.observe(0.1);  // on the bound: counts in le="0.1"
    h.observe(0.5);
    h.observe(7);
    Exposition out;
    out.family("h_seconds", Type::Histogram, "H.");
    out.histogram(Labels().add("k", "v"), h);
    EXPECT_EQ(out.text(),
              "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
              "h_seconds_bucket{k=\"v\",le=\"0.1\"} 2\n"
              "h_seconds_bucket{k=\"v\",le=\"1\"} 3\n"
              "h_seconds_bucket{k=\"v\",le=\"+Inf\"} 4\n"
              "h_seconds_sum{k=\"v\"} 7.65\n"
              "h_seconds_count{k=\"v\"} 4\n");
}

TEST(Exposition, HistogramBoundsMustAscend) {
    EXPECT_THROW(Histogram({1, 0.5}), std::logic_error);
}

}  // namespace
}  // namespace xvrrp::metrics
