#pragma once

#include <netinet/in.h>

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xvrrp {

enum class Family : uint8_t { V4 = 4, V6 = 6 };

// An IPv4 or IPv6 address in network byte order. IPv4 uses the first 4 bytes.
class IpAddr {
public:
    IpAddr() = default;
    static IpAddr v4(const in_addr& a);
    static IpAddr v6(const in6_addr& a);
    static IpAddr fromBytes(Family f, const uint8_t* bytes);
    static std::optional<IpAddr> parse(std::string_view text);

    Family family() const { return family_; }
    bool isV4() const { return family_ == Family::V4; }
    bool isV6() const { return family_ == Family::V6; }
    bool isUnspecified() const;
    bool isMulticast() const;
    bool isLinkLocal() const;  // fe80::/10 or 169.254/16
    size_t size() const { return isV4() ? 4 : 16; }
    const uint8_t* data() const { return bytes_.data(); }
    in_addr toV4() const;
    in6_addr toV6() const;
    std::string str() const;

    // Numeric order within a family (RFC 5798 section 6.4.3 compares primary addresses).
    auto operator<=>(const IpAddr&) const = default;

private:
    Family family_ = Family::V4;
    std::array<uint8_t, 16> bytes_{};
};

struct IpPrefix {
    IpAddr addr;
    uint8_t len = 0;
    // "a.b.c.d/len" or bare address (host prefix).
    static std::optional<IpPrefix> parse(std::string_view text);
    std::string str() const;
    bool operator==(const IpPrefix&) const = default;
};

}  // namespace xvrrp
