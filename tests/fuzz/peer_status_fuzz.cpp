// What comes back from a peer over ssh (arbiter/probes/ssh.cpp, status_view.cpp): the exit
// code, stderr and stdout on arbitrary bytes, then everything the arbiter does with them in a
// round - evidence, the decision, the audit line - must dump as JSON without throwing.
// Layout: byte 0 picks the outcome (timed out, exit code), byte 1 the stderr length, then
// stderr, then stdout.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "audit.hpp"
#include "decision.hpp"
#include "probes/ssh.hpp"
#include "round.hpp"

using namespace xvrrp::arbiter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const uint8_t sel = data[0];
    size_t err_len = std::min<size_t>(data[1], size - 2);
    std::string err(reinterpret_cast<const char*>(data + 2), err_len);
    std::string out(reinterpret_cast<const char*>(data + 2 + err_len), size - 2 - err_len);
    const int codes[] = {0, 0, 0, 0, 1, 127, 255, -1};
    const int code = codes[sel & 7];
    SshOutcome o = sshOutcome((sel & 0x08) != 0, code, code < 0 ? 9 : 0, out, err);
    if (o.status.has_value() != o.unknown_reason.empty()) std::abort();  // one or the other

    RoundResult r;
    r.number = 1;
    r.quorum = {1, 1, 1};
    r.peers.push_back({"b", "192.0.2.2", Tri::Yes, o});
    if (sel & 0x10) r.local = o.status;  // the same parser reads the local xvrrpd
    std::vector<std::string> names;
    if (o.status)
        for (const auto& [name, _] : o.status->instances) names.push_back(name);
    names.push_back("VI_1");
    for (const auto& name : names) {
        InstanceEvidence ev = assemble(name, r, Tri::Yes, FenceOwner::None, 5000000000ull);
        History h;
        h.fenced_by_us = (sel & 0x20) != 0;
        Decision d = decide(ev, h, Policy{});
        nlohmann::json line = {{"instance", name}};
        line.update(toJson(d));
        line["evidence"] = toJson(ev);
        (void)line.dump();  // strict: what the audit log and status serve must be UTF-8
    }
    (void)toJson(r).dump();
    return 0;
}
