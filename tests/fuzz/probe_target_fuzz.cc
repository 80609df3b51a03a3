// libFuzzer entry: the /probe target syntax (HOST:PORT, [IPv6]:PORT, the
// IPv6 forms of IPv4 addresses) against the allowlist rules: a target is
// compared as the address it reaches.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/smtp/smtp_address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mailflow::Endpoint e;
  std::string err;
  if (!mailflow::ParseHostPort(in, 25, &e, &err)) return 0;
  static const mailflow::Cidr all6 = [] {
    mailflow::Cidr c;
    std::string ignored;
    mailflow::ParseCidr("::/0", &c, &ignored);
    return c;
  }();
  if (e.addr.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6*>(&e.addr)->sin6_addr;
    // An IPv4 address in IPv6 clothing must have become IPv4.
    if (IN6_IS_ADDR_V4MAPPED(&a6) || IN6_IS_ADDR_V4COMPAT(&a6)) {
      __builtin_trap();
    }
  } else if (mailflow::CidrContains(all6, e)) {
    __builtin_trap();  // ::/0 never admits an IPv4 target
  }
  if (e.host == "0.0.0.0" && !mailflow::IsUnspecified(e)) __builtin_trap();
  mailflow::Endpoint again;
  if (!mailflow::ParseHostPort(e.ToString(), 0, &again, &err) ||
      again.ToString() != e.ToString()) {
    __builtin_trap();
  }
  return 0;
}
