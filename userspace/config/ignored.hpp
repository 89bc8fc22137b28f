#pragma once
// keepalived.conf keywords xvrrpd reads but does not act on, and what that changes: `-t`
// and the start-up log say so at each use, so a migration check can be trusted.

#include <string_view>

#include "config/diagnostic.hpp"
#include "config/lexer.hpp"

namespace xvrrp::config {

// Reports `n` if its keyword is not acted on in `block` ("global_defs", "vrrp_instance",
// "vrrp_sync_group", "" for the top level): a warning when it is VRRP-side (the behaviour
// differs from keepalived's), a notice when it belongs to a keepalived process xvrrp does
// not replace (LVS checker, BFD process). Returns whether it was reported.
bool reportIgnored(std::string_view block, const Node& n, Diagnostics& diags);

}  // namespace xvrrp::config
