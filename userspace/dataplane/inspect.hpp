#pragma once
// The pinned maps as JSON with named fields, for `xvrrpctl bpf` (any process may call it;
// it opens PIN_ROOT/xv_* by path). The same view as `bpftool map dump pinned`, decoded:
// addresses as text, flags and verdicts by name, per-CPU stats summed.

#include <nlohmann/json.hpp>
#include <string>

namespace xvrrp::dataplane {

// {"pin_root": ..., "maps": {"xv_vips": [...], ...}, "missing": [names not pinned]}.
// Throws DataplaneError when a map is pinned but cannot be read.
nlohmann::json inspectMaps(const std::string& pin_root);

}  // namespace xvrrp::dataplane
