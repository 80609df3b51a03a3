#include "lib/postfix/listen_addresses.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace mailflow::postfix {
namespace {

struct Families {
  bool v4 = false, v6 = false;
};

Families Protocols(const MainCf& main) {
  Families f;
  for (const std::string& p : MainCf::SplitList(main.Get("inet_protocols"))) {
    if (p == "all") f.v4 = f.v6 = true;
    if (p == "ipv4") f.v4 = true;
    if (p == "ipv6") f.v6 = true;
  }
  return f;
}

bool Allowed(const Families& f, int family) {
  return family == AF_INET ? f.v4 : family == AF_INET6 ? f.v6 : false;
}

}  // namespace

std::vector<ListenAddress> ExternalSmtpdAddresses(
    const MainCf& main, const std::vector<InetService>& services,
    const std::vector<InterfaceAddress>& interfaces,
    std::vector<std::string>* skipped) {
  const Families families = Protocols(main);
  auto skip = [&](const std::string& what) {
    if (skipped != nullptr &&
        std::find(skipped->begin(), skipped->end(), what) == skipped->end()) {
      skipped->push_back(what);
    }
  };
  // The addresses of inet_interfaces.
  std::vector<IpNetwork> configured;
  for (const std::string& item :
       MainCf::SplitList(main.Get("inet_interfaces"))) {
    if (item == "all") {
      for (const InterfaceAddress& a : interfaces) {
        if (!a.loopback && !a.link_local) configured.push_back(a.network);
      }
      continue;
    }
    if (item == "loopback-only" || IsLoopbackHost(item)) continue;
    IpNetwork n;
    if (!ParseIpNetwork(item, &n)) {
      skip("inet_interfaces " + item);
      continue;
    }
    configured.push_back(n);
  }
  std::set<std::tuple<std::string, int>> seen;
  std::vector<ListenAddress> out;
  auto add = [&](IpNetwork n, const InetService& s) {
    if (!Allowed(families, n.family)) return;
    n.bits = n.max_bits();
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(n.family, n.addr, buf, sizeof(buf));
    if (seen.insert({buf, s.port}).second)
      out.push_back({buf, s.port, s.service});
  };
  for (const InetService& s : services) {
    if (!s.enabled || !s.smtpd || !s.expect_external || s.port <= 0) continue;
    if (s.host.empty()) {
      for (const IpNetwork& n : configured) add(n, s);
      continue;
    }
    IpNetwork n;
    if (ParseIpNetwork(s.host, &n)) {
      add(n, s);
    } else {
      skip("service " + s.service);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.address, a.port) < std::tie(b.address, b.port);
  });
  return out;
}

}  // namespace mailflow::postfix
