#include "lib/base/interfaces.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace mailflow {
namespace {

int PrefixLength(const sockaddr* mask, int family) {
  if (mask == nullptr) return family == AF_INET6 ? 128 : 32;
  const unsigned char* b =
      family == AF_INET6
          ? reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr.s6_addr
          : reinterpret_cast<const unsigned char*>(
                &reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
  const int bytes = family == AF_INET6 ? 16 : 4;
  int bits = 0;
  for (int i = 0; i < bytes; ++i) bits += __builtin_popcount(b[i]);
  return bits;
}

}  // namespace

std::string InterfaceAddress::address() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(network.family, network.addr, buf, sizeof(buf));
  return buf;
}

bool ListInterfaceAddresses(std::vector<InterfaceAddress>* out,
                            std::string* err) {
  ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) {
    *err = std::string("getifaddrs: ") + std::strerror(errno);
    return false;
  }
  for (const ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    const int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    InterfaceAddress a;
    a.interface = i->ifa_name ? i->ifa_name : "";
    a.network.family = family;
    if (family == AF_INET) {
      std::memcpy(a.network.addr,
                  &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr,
                  4);
    } else {
      std::memcpy(
          a.network.addr,
          &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
    }
    a.network.bits = PrefixLength(i->ifa_netmask, family);
    IpNetwork host = a.network;
    host.bits = host.max_bits();
    IpNetwork lo, ll;
    ParseIpNetwork(family == AF_INET ? "127.0.0.0/8" : "::1/128", &lo);
    ParseIpNetwork(family == AF_INET ? "169.254.0.0/16" : "fe80::/10", &ll);
    a.loopback = (i->ifa_flags & IFF_LOOPBACK) != 0 || lo.Contains(host);
    a.link_local = ll.Contains(host);
    out->push_back(std::move(a));
  }
  freeifaddrs(ifs);
  return true;
}

}  // namespace mailflow
