#pragma once
// xvrrp-bench-splitbrain --witness etcd: the same faults with and without the etcd witness.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace xvrrp::itest {

// JSON report; throws std::runtime_error when the lab fails.
nlohmann::json runWitnessBench(const std::string& arbiter, int trials, int intervalMs,
                               const std::vector<std::string>& faults);

}  // namespace xvrrp::itest
