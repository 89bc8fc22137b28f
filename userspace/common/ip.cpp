#include "common/ip.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace xvrrp {

IpAddr IpAddr::v4(const in_addr& a) {
    IpAddr r;
    r.family_ = Family::V4;
    std::memcpy(r.bytes_.data(), &a, 4);
    return r;
}

IpAddr IpAddr::v6(const in6_addr& a) {
    IpAddr r;
    r.family_ = Family::V6;
    std::memcpy(r.bytes_.data(), &a, 16);
    return r;
}

IpAddr IpAddr::fromBytes(Family f, const uint8_t* bytes) {
    IpAddr r;
    r.family_ = f;
    std::memcpy(r.bytes_.data(), bytes, f == Family::V4 ? 4 : 16);
    return r;
}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
    std::string s(text);
    in_addr a4{};
    if (inet_pton(AF_INET, s.c_str(), &a4) == 1) return v4(a4);
    in6_addr a6{};
    if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) return v6(a6);
    return std::nullopt;
}

bool IpAddr::isUnspecified() const {
    for (size_t i = 0; i < size(); ++i)
        if (bytes_[i] != 0) return false;
    return true;
}

bool IpAddr::isMulticast() const {
    return isV4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddr::isLinkLocal() const {
    if (isV4()) return bytes_[0] == 169 && bytes_[1] == 254;
    return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

in_addr IpAddr::toV4() const {
    in_addr a{};
    std::memcpy(&a, bytes_.data(), 4);
    return a;
}

in6_addr IpAddr::toV6() const {
    in6_addr a{};
    std::memcpy(&a, bytes_.data(), 16);
    return a;
}

std::string IpAddr::str() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(isV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
    return buf;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
    auto slash = text.find('/');
    auto addr = IpAddr::parse(text.substr(0, slash));
    if (!addr) return std::nullopt;
    unsigned max = addr->isV4() ? 32 : 128;
    unsigned len = max;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
        if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
            len > max)
            return std::nullopt;
    }
    return IpPrefix{*addr, static_cast<uint8_t>(len)};
}

std::string IpPrefix::str() const { return addr.str() + "/" + std::to_string(len); }

}  // namespace xvrrp
