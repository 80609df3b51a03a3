// IpNetwork: an IPv4 or IPv6 address with a prefix length. Pure.
#pragma once

#include <string>
#include <string_view>

namespace mailflow {

/// A network (or, with bits 32/128, one address). IPv4-mapped IPv6
/// ("::ffff:192.0.2.1", /96 and longer) is kept as IPv4. Value type.
struct IpNetwork {
  int family = 0;  // AF_INET or AF_INET6
  unsigned char addr[16] = {};
  int bits = 0;

  int max_bits() const;
  /// True when every address of `other` is inside this network.
  bool Contains(const IpNetwork& other) const;
  /// "192.0.2.0/24", "2001:db8::/32" (the bits past the prefix kept as given).
  std::string ToString() const;
};

/// Parses "192.0.2.1", "192.0.2.0/24", "2001:db8::1", "[2001:db8::]/32"
/// (brackets as Postfix lists write IPv6). False for anything else (host
/// names, table lookups, a prefix longer than the address).
bool ParseIpNetwork(std::string_view text, IpNetwork* out);

/// True when the network lies wholly inside loopback (127/8, ::1), RFC 1918,
/// CGNAT 100.64/10, link-local (169.254/16, fe80::/10) or IPv6 ULA (fc00::/7).
bool IsPrivateNetwork(const IpNetwork& net);

}  // namespace mailflow
