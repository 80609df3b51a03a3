// libFuzzer entry: the kernel's socket tables (/proc/net/tcp, tcp6) and
// Postfix's master.pid, both read from paths a test or container can
// point elsewhere.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "lib/postfix/master_status.h"
#include "lib/proc/proc_net_tcp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool ipv6 : {false, true}) {
    std::vector<mailflow::ListeningSocket> out;
    int bad = 0;
    mailflow::ParseProcNetTcp(text, ipv6, &out, &bad);
    for (const auto& s : out) {
      if (s.ipv6 != ipv6 || s.address.empty()) __builtin_trap();
      if (s.wildcard && s.loopback) __builtin_trap();
    }
  }
  int pid = 0;
  if (mailflow::ParseMasterPid(text, &pid) && (pid <= 0 || pid > (1 << 30))) {
    __builtin_trap();
  }
  return 0;
}
