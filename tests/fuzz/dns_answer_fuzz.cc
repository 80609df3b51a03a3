// libFuzzer entry: DNS responses as the dns collector's prober interprets
// them (header, rcode, MX/A/AAAA/PTR records through c-ares's parsers):
// the bytes come from whatever answers on the resolver's address.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/dns/dns_prober.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 12 || size > 65535) return 0;
  using mailflow::DnsType;
  for (DnsType type : {DnsType::kMX, DnsType::kA, DnsType::kAAAA}) {
    mailflow::DnsAnswer a;
    mailflow::InterpretDnsResponse(type, "example.org", data,
                                   static_cast<int>(size), &a);
    if (!a.responded || a.rcode < 0 || a.rcode > 15) __builtin_trap();
    (void)a.NullMx();
  }
  for (const char* addr : {"192.0.2.1", "2001:db8::1"}) {
    mailflow::DnsAnswer a;
    mailflow::InterpretDnsResponse(DnsType::kPTR, addr, data,
                                   static_cast<int>(size), &a);
  }
  return 0;
}
