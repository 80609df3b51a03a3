#include "lib/base/ip_network.h"

#include <arpa/inet.h>

#include <cstring>

#include "lib/base/parse_int.h"

namespace mailflow {

int IpNetwork::max_bits() const { return family == AF_INET6 ? 128 : 32; }

bool IpNetwork::Contains(const IpNetwork& other) const {
  if (family != other.family || other.bits < bits) return false;
  const int full = bits / 8, rest = bits % 8;
  if (std::memcmp(addr, other.addr, full) != 0) return false;
  if (rest == 0) return true;
  const unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (addr[full] & mask) == (other.addr[full] & mask);
}

std::string IpNetwork::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, addr, buf, sizeof(buf));
  return std::string(buf) + "/" + std::to_string(bits);
}

bool ParseIpNetwork(std::string_view text, IpNetwork* out) {
  std::string addr(text);
  int bits = -1;
  if (auto slash = addr.rfind('/'); slash != std::string::npos && slash > 0) {
    if (!ParseInt(addr.substr(slash + 1), 0, 128, &bits)) return false;
    addr.resize(slash);
  }
  if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') {
    addr = addr.substr(1, addr.size() - 2);
  }
  IpNetwork n;
  if (inet_pton(AF_INET, addr.c_str(), n.addr) == 1) {
    n.family = AF_INET;
  } else if (inet_pton(AF_INET6, addr.c_str(), n.addr) == 1) {
    n.family = AF_INET6;
  } else {
    return false;
  }
  n.bits = bits < 0 ? n.max_bits() : bits;
  if (n.bits > n.max_bits()) return false;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};
  if (n.family == AF_INET6 && n.bits >= 96 &&
      std::memcmp(n.addr, kMapped, 12) == 0) {
    std::memmove(n.addr, n.addr + 12, 4);
    std::memset(n.addr + 4, 0, 12);
    n.family = AF_INET;
    n.bits -= 96;
  }
  *out = n;
  return true;
}

bool IsPrivateNetwork(const IpNetwork& net) {
  static const char* const kPrivate[] = {
      "127.0.0.0/8",    "10.0.0.0/8",    "172.16.0.0/12",
      "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
      "::1/128",        "fc00::/7",      "fe80::/10"};
  for (const char* p : kPrivate) {
    IpNetwork range;
    if (ParseIpNetwork(p, &range) && range.Contains(net)) return true;
  }
  return false;
}

}  // namespace mailflow
