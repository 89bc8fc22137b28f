#pragma once
// Plays a scenario in a lab of its own with a given daemon on each node and records a Trace.
#include <string>
#include <vector>

#include "differential/scenario.hpp"
#include "differential/trace.hpp"

namespace xvrrp::diff {

enum class Daemon { Keepalived, Xvrrpd };

struct Variant {
    std::string name;              // "ka-ka", "xv-ka", ...
    std::vector<Daemon> daemons;   // one per node, in the scenario's order
};

// The keepalived pair (the reference), the xvrrpd pair, and with `mixed` every arrangement
// with one daemon of the other kind.
std::vector<Variant> variantsOf(const Scenario& s);

struct RunOptions {
    std::string xvrrpd, keepalived;   // binaries
    bool keep_logs = false;           // keep the run's directory (configs, logs, capture)
};

// Never throws: what went wrong is Trace::failure. With keep_logs the directory is named in
// the failure or printed.
Trace runVariant(const Scenario& s, const Variant& v, const RunOptions& o);

}  // namespace xvrrp::diff
