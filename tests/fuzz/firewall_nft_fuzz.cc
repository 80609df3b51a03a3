// libFuzzer entry: nft JSON -> NftEvaluator verdicts. Must never crash,
// hang (bounded steps) or throw.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address -I/work/main
//     tests/fuzz/firewall_nft_fuzz.cc collectors/firewall/nft_evaluator.cc
//     -o /tmp/firewall_nft_fuzz && /tmp/firewall_nft_fuzz -max_total_time=60
//     tests/fixtures/firewall
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/firewall/nft_evaluator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mailflow::firewall::NftEvaluator ev;
  std::string err;
  if (!ev.Load(std::string_view(reinterpret_cast<const char*>(data), size),
               &err)) {
    return 0;
  }
  for (int port : {25, 587}) {
    auto o = ev.EvaluatePort(port, true);
    (void)o;
  }
  return 0;
}
