#include "lib/postfix/mynetworks.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace mailflow::postfix {
namespace {

IpNetwork Masked(IpNetwork n, int bits) {
  n.bits = bits;
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(bits - 8 * i, 0, 8);
    n.addr[i] &= static_cast<unsigned char>(0xff << (8 - keep));
  }
  return n;
}

bool SameAddress(const IpNetwork& a, const IpNetwork& b) {
  return a.family == b.family &&
         std::memcmp(a.addr, b.addr, a.family == AF_INET ? 4 : 16) == 0;
}

}  // namespace

const char* NetworkSizeName(NetworkSize size) {
  switch (size) {
    case NetworkSize::kWide:
      return "wide";
    case NetworkSize::kNarrow:
      return "narrow";
    case NetworkSize::kHost:
      return "host";
  }
  return "host";
}

NetworkSize SizeOf(const IpNetwork& network) {
  if (network.bits >= network.max_bits()) return NetworkSize::kHost;
  const int wide = network.family == AF_INET6 ? 48 : 24;
  return network.bits <= wide ? NetworkSize::kWide : NetworkSize::kNarrow;
}

PublicEntries ClassifyMynetworks(const std::vector<std::string>& entries,
                                 const std::vector<IpNetwork>& own_addresses) {
  PublicEntries out;
  for (const std::string& e : entries) {
    IpNetwork n;
    if (!ParseIpNetwork(e, &n) || IsPrivateNetwork(n)) continue;
    const NetworkSize size = SizeOf(n);
    if (size == NetworkSize::kHost &&
        std::any_of(
            own_addresses.begin(), own_addresses.end(),
            [&](const IpNetwork& own) { return SameAddress(own, n); })) {
      continue;
    }
    ++(size == NetworkSize::kWide     ? out.wide
       : size == NetworkSize::kNarrow ? out.narrow
                                      : out.host);
    out.entries.push_back(e);
  }
  return out;
}

std::vector<std::string> DerivedMynetworks(
    std::string_view style, const std::vector<IpNetwork>& interfaces) {
  std::vector<std::string> out;
  for (const IpNetwork& i : interfaces) {
    IpNetwork n = i;
    if (style == "host") {
      n.bits = n.max_bits();
    } else if (style == "class" && n.family == AF_INET) {
      const unsigned char first = n.addr[0];
      n = Masked(n, first < 128 ? 8 : first < 192 ? 16 : 24);
    } else {
      n = Masked(n, n.bits);
    }
    const std::string text = n.ToString();
    if (std::find(out.begin(), out.end(), text) == out.end()) {
      out.push_back(text);
    }
  }
  return out;
}

}  // namespace mailflow::postfix
