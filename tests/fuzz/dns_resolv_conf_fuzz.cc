// libFuzzer entry for the dns collector's pure parsers: resolv.conf and the
// nameserver syntax. Build:
//   clang++ -std=c++20 -fsanitize=fuzzer,address,undefined -I/work/main
//     tests/fuzz/dns_resolv_conf_fuzz.cc collectors/dns/resolv_conf.cc -o
//     /tmp/dns_fuzz
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/dns/resolv_conf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mailflow::ResolvConf rc = mailflow::ParseResolvConf(text);
  // Invariants: at least one nameserver (the libc default), canonical
  // labels that parse back to the same server.
  if (rc.nameservers.empty()) __builtin_trap();
  if (rc.Effective().size() > mailflow::ResolvConf::kMaxNameServers) {
    __builtin_trap();
  }
  for (const auto& ns : rc.nameservers) {
    mailflow::NameServer back;
    if (!mailflow::ParseNameServer(ns.CsvEntry(), &back) || !(back == ns)) {
      __builtin_trap();
    }
  }
  mailflow::NameServer ns;
  mailflow::ParseNameServer(text.substr(0, 64), &ns);
  (void)mailflow::NameServersDiffer(
      rc, mailflow::ParseResolvConf(text.substr(size / 2)));
  return 0;
}
