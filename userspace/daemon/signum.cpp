#include "daemon/signum.hpp"

#include <signal.h>

namespace xvrrp::daemon {

int dumpSignal(DumpKind k) {
    switch (k) {
        case DumpKind::Data: return SIGUSR1;
        case DumpKind::Stats: return SIGUSR2;
        case DumpKind::StatsClear: return SIGRTMAX - 1;
        case DumpKind::Json: return SIGRTMIN + 2;
    }
    return 0;
}

std::optional<DumpKind> dumpKindOf(int signo) {
    for (auto k : {DumpKind::Data, DumpKind::Stats, DumpKind::StatsClear, DumpKind::Json})
        if (dumpSignal(k) == signo) return k;
    return std::nullopt;
}

std::optional<int> keepalivedSignum(std::string_view name) {
    if (name == "STOP") return SIGTERM;
    if (name == "RELOAD") return SIGHUP;
    if (name == "DATA") return dumpSignal(DumpKind::Data);
    if (name == "STATS") return dumpSignal(DumpKind::Stats);
    if (name == "STATS_CLEAR") return dumpSignal(DumpKind::StatsClear);
    if (name == "JSON") return dumpSignal(DumpKind::Json);
    return std::nullopt;
}

}  // namespace xvrrp::daemon
