// Issue 13, acceptance 1: every scenario in tests/differential/scenarios runs on a keepalived
// 2.2.7 pair (or trio), on xvrrpd and on mixed ones, each in a lab of its own; every
// checkpoint of every run must match the keepalived run, or the difference must be listed
// in tests/differential/KNOWN.md with its reason.
//
// Scenarios run ahead of their test on XVRRP_DIFF_JOBS workers (default 2), each playing its
// variants side by side. XVRRP_KEEP_LOGS=1 keeps every run's directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "differential/known.hpp"
#include "differential/runner.hpp"
#include "interop/harness.hpp"

namespace xvrrp::diff {
namespace {

namespace fs = std::filesystem;

struct Outcome {
    Scenario scenario;
    std::vector<Trace> traces;  // traces[0] is the keepalived run
    std::string error;          // the scenario could not be read
    double seconds = 0;
};

RunOptions runOptions() {
    const auto bin = interop::binaries();
    return RunOptions{bin.xvrrpd, bin.keepalived, ::getenv("XVRRP_KEEP_LOGS") != nullptr};
}

Outcome play(const std::string& path) {
    Outcome out;
    const auto t0 = std::chrono::steady_clock::now();
    try {
        out.scenario = loadScenario(path);
    } catch (const std::exception& e) {
        out.error = e.what();
        return out;
    }
    const RunOptions opts = runOptions();
    std::vector<std::future<Trace>> runs;
    for (const auto& v : variantsOf(out.scenario))
        runs.push_back(std::async(std::launch::async, [&, v] { return runVariant(out.scenario, v, opts); }));
    for (auto& r : runs) out.traces.push_back(r.get());
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

// Runs the scenarios of the tests gtest will run, a few at a time, ahead of those tests.
class Scheduler {
public:
    static Scheduler& get() {
        static Scheduler s;
        return s;
    }
    void start(std::vector<std::string> paths, int jobs) {
        std::lock_guard lock(mu_);
        for (const auto& p : paths) {
            auto promise = std::make_shared<std::promise<Outcome>>();
            results_[p] = promise->get_future().share();
            queue_.push_back({p, promise});
        }
        for (int i = 0; i < jobs; ++i) workers_.emplace_back([this] { work(); });
    }
    std::shared_future<Outcome> result(const std::string& path) {
        std::lock_guard lock(mu_);
        auto it = results_.find(path);
        if (it != results_.end()) return it->second;
        std::promise<Outcome> p;  // not scheduled (a filter gtest did not tell us about)
        p.set_value(play(path));
        return results_[path] = p.get_future().share();
    }
    ~Scheduler() {
        for (auto& w : workers_) w.join();
    }

private:
    void work() {
        for (;;) {
            std::pair<std::string, std::shared_ptr<std::promise<Outcome>>> job;
            {
                std::lock_guard lock(mu_);
                if (queue_.empty()) return;
                job = queue_.front();
                queue_.pop_front();
            }
            job.second->set_value(play(job.first));
        }
    }
    std::mutex mu_;
    std::map<std::string, std::shared_future<Outcome>> results_;
    std::deque<std::pair<std::string, std::shared_ptr<std::promise<Outcome>>>> queue_;
    std::vector<std::thread> workers_;
};

std::vector<std::string> allScenarios() { return scenarioFiles(XVRRP_DIFF_SCENARIOS); }

class Differential : public ::testing::TestWithParam<std::string> {};

TEST_P(Differential, BehavesAsKeepalived) {
    ASSERT_FALSE(interop::binaries().keepalived.empty()) << "keepalived is not installed";
    const std::vector<Known> known = loadKnown(XVRRP_DIFF_KNOWN);
    const Outcome out = Scheduler::get().result(GetParam()).get();
    ASSERT_TRUE(out.error.empty()) << out.error;
    const Scenario& s = out.scenario;
    ASSERT_FALSE(out.traces.empty());
    const Trace& ref = out.traces[0];
    ASSERT_TRUE(ref.failure.empty()) << s.name << ": the keepalived run: " << ref.failure;
    ASSERT_EQ(ref.points.size(), s.events.size() - [&] {
        size_t grouped = 0;
        for (const auto& e : s.events) grouped += !e.settle;
        return grouped;
    }()) << "checkpoints of the keepalived run";
    std::cout << s.name << ": " << out.traces.size() << " runs, " << ref.points.size() << " checkpoints, "
              << static_cast<int>(out.seconds) << " s\n";
    for (const auto& t : out.traces)
        if (!t.kept.empty()) std::cout << "  " << t.variant << ": " << t.kept << "\n";
    for (size_t i = 1; i < out.traces.size(); ++i) {
        const Trace& t = out.traces[i];
        for (const auto& d : compare(ref, t)) {
            if (const Known* k = findKnown(known, s.name, d.aspect, t.variant)) {
                std::cout << "  known (" << t.variant << ", docs line " << k->line << "): " << d.str() << "\n";
                continue;
            }
            ADD_FAILURE() << s.name << " [" << t.variant << "] " << d.str();
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Scenario, Differential, ::testing::ValuesIn(allScenarios()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                             std::string n = fs::path(i.param).stem().string();
                             for (auto& c : n)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });

// Schedules exactly the scenarios gtest is going to run (after --gtest_filter).
class Prefetch : public ::testing::Environment {
public:
    void SetUp() override {
        std::vector<std::string> paths;
        const auto& all = allScenarios();
        auto* unit = ::testing::UnitTest::GetInstance();
        for (int i = 0; i < unit->total_test_suite_count(); ++i) {
            const auto* suite = unit->GetTestSuite(i);
            for (int j = 0; j < suite->total_test_count(); ++j) {
                const auto* info = suite->GetTestInfo(j);
                if (!info->should_run() || !info->value_param()) continue;
                for (const auto& p : all)
                    if (::testing::PrintToString(p) == info->value_param()) paths.push_back(p);
            }
        }
        const char* jobs = ::getenv("XVRRP_DIFF_JOBS");
        Scheduler::get().start(paths, jobs ? std::max(1, std::atoi(jobs)) : 2);
    }
};

[[maybe_unused]] auto* const kPrefetch = ::testing::AddGlobalTestEnvironment(new Prefetch);

}  // namespace
}  // namespace xvrrp::diff
