#pragma once
// The one exception type of the network layer. Messages name the call, the object
// (interface, address) and the errno or libnl text, e.g.
//   "rtnl_addr_add 10.0.0.1/24 on eth0 (ifindex 2): Invalid input data or parameter".

#include <stdexcept>
#include <string>

namespace xvrrp::net {

class NetError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "<call> <object>: strerror(errno)" from the current errno.
[[noreturn]] void throwErrno(const std::string& call, const std::string& object);

// "<call> <object>: nl_geterror(err)" for a (negative) libnl error code.
[[noreturn]] void throwNl(const std::string& call, const std::string& object, int nl_err);

}  // namespace xvrrp::net
