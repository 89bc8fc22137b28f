#include "net/error.hpp"

#include <netlink/errno.h>

#include <cerrno>
#include <cstring>

namespace xvrrp::net {

void throwErrno(const std::string& call, const std::string& object) {
    const int e = errno;
    throw NetError(call + " " + object + ": " + std::strerror(e));
}

void throwNl(const std::string& call, const std::string& object, int nl_err) {
    throw NetError(call + " " + object + ": " + nl_geterror(nl_err));
}

}  // namespace xvrrp::net
