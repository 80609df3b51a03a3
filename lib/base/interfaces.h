// The addresses of the network interfaces the process sees (its network
// namespace), from getifaddrs(3).
#pragma once

#include <string>
#include <vector>

#include "lib/base/ip_network.h"

namespace mailflow {

struct InterfaceAddress {
  std::string interface;  // "eth0", "lo"
  /// The address with its interface's prefix length.
  IpNetwork network;
  bool loopback = false;    // IFF_LOOPBACK, 127/8, ::1
  bool link_local = false;  // 169.254/16, fe80::/10

  /// The address alone ("192.0.2.5", "2001:db8::5").
  std::string address() const;
};

/// Every IPv4/IPv6 address of every interface, in getifaddrs order. Fails
/// (false, *err) only when getifaddrs fails. Thread-safe.
bool ListInterfaceAddresses(std::vector<InterfaceAddress>* out,
                            std::string* err);

}  // namespace mailflow
