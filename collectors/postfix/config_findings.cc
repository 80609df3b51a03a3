#include "collectors/postfix/config_findings.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>

#include "lib/postfix/main_cf.h"

namespace mailflow {

namespace {

bool ListBlocksRelay(std::string_view list) {
  for (const std::string& item : postfix::MainCf::SplitList(list)) {
    if (item == "reject_unauth_destination" ||
        item == "defer_unauth_destination") {
      return true;
    }
    if (item == "permit") return false;
  }
  return false;
}

struct Range {
  int family;
  unsigned char addr[16];
  int bits;
};

bool InRange(const unsigned char* a, int family, int bits, const Range& r) {
  if (family != r.family || bits < r.bits) return false;
  int full = r.bits / 8, rest = r.bits % 8;
  if (std::memcmp(a, r.addr, full) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[full] & mask) == (r.addr[full] & mask);
}

const Range kPrivate[] = {
    {AF_INET, {127}, 8},
    {AF_INET, {10}, 8},
    {AF_INET, {172, 16}, 12},
    {AF_INET, {192, 168}, 16},
    {AF_INET, {100, 64}, 10},
    {AF_INET, {169, 254}, 16},
    {AF_INET6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
    {AF_INET6, {0xfc}, 7},
    {AF_INET6, {0xfe, 0x80}, 10},
};

}  // namespace

bool RelayRestrictionsSafe(std::string_view relay_restrictions,
                           std::string_view recipient_restrictions) {
  return ListBlocksRelay(relay_restrictions) ||
         ListBlocksRelay(recipient_restrictions);
}

bool ClassifyNetwork(std::string_view entry, bool* is_public) {
  std::string addr(entry);
  int bits = -1;
  if (auto slash = addr.rfind('/'); slash != std::string::npos && slash > 0) {
    std::string len = addr.substr(slash + 1);
    if (len.empty() || len.size() > 3 ||
        len.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    bits = std::stoi(len);
    addr.resize(slash);
  }
  if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') {
    addr = addr.substr(1, addr.size() - 2);
  }
  unsigned char a[16] = {};
  int family;
  if (inet_pton(AF_INET, addr.c_str(), a) == 1) {
    family = AF_INET;
    if (bits < 0) bits = 32;
    if (bits > 32) return false;
  } else if (inet_pton(AF_INET6, addr.c_str(), a) == 1) {
    family = AF_INET6;
    if (bits < 0) bits = 128;
    if (bits > 128) return false;
  } else {
    return false;
  }
  // IPv4-mapped IPv6 ([::ffff:127.0.0.0]/104) is classified as IPv4.
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};
  if (family == AF_INET6 && bits >= 96 && std::memcmp(a, kMapped, 12) == 0) {
    std::memmove(a, a + 12, 4);
    family = AF_INET;
    bits -= 96;
  }
  *is_public = true;
  for (const Range& r : kPrivate) {
    if (InRange(a, family, bits, r)) *is_public = false;
  }
  return true;
}

int CountPublicNetworks(const std::vector<std::string>& entries) {
  int n = 0;
  for (const auto& e : entries) {
    bool pub = false;
    if (ClassifyNetwork(e, &pub) && pub) ++n;
  }
  return n;
}

PolicyServices FindPolicyServices(const std::vector<std::string>& lists) {
  PolicyServices out;
  for (const auto& list : lists) {
    std::vector<std::string> items = postfix::MainCf::SplitList(list);
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i] != "check_policy_service") continue;
      ++out.count;
      if (i + 1 >= items.size()) continue;
      std::string target = items[i + 1];
      for (auto& c : target) c = static_cast<char>(std::tolower(c));
      auto has = [&](const char* s) {
        return target.find(s) != std::string::npos;
      };
      if (has("grey") || has("gray") || has(":10023") || has(":2501")) {
        out.greylisting = true;
      }
    }
  }
  return out;
}

}  // namespace mailflow
