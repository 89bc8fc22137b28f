#pragma once
// keepalived's signal functions (keepalived --signum=NAME): the numbers xvrrpd acts on the
// same way. Measured with keepalived 2.2.7 here: STOP 15, RELOAD 1, DATA 10, STATS 12,
// STATS_CLEAR 63 (SIGRTMAX-1), JSON 36 (SIGRTMIN+2); other names are unknown (exit 1).

#include <optional>
#include <string_view>

namespace xvrrp::daemon {

std::optional<int> keepalivedSignum(std::string_view name);

enum class DumpKind { Data, Stats, StatsClear, Json };
// The dump a signal asks for (SIGUSR1, SIGUSR2, SIGRTMAX-1, SIGRTMIN+2), if any.
std::optional<DumpKind> dumpKindOf(int signo);
// Those four signals, for the daemon's signalfd mask.
int dumpSignal(DumpKind k);

}  // namespace xvrrp::daemon
