// libFuzzer entry: iptables-save text -> nft JSON -> verdicts.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address -I/work/main
//     tests/fuzz/firewall_iptables_save_fuzz.cc
//     collectors/firewall/iptables_save_parser.cc
//     collectors/firewall/nft_evaluator.cc -o /tmp/firewall_ipt_fuzz
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/firewall/iptables_save_parser.h"
#include "lib/firewall/nft_evaluator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json doc = {{"nftables", nlohmann::json::array()}};
  std::string err;
  if (!mailflow::firewall::IptablesSaveToNft(text, size % 2 ? "ip" : "ip6",
                                             &doc["nftables"], nullptr, &err)) {
    return 0;
  }
  mailflow::firewall::NftEvaluator ev;
  if (!ev.LoadDocument(doc, &err)) return 0;
  auto o = ev.EvaluatePort(25, true);
  (void)o;
  (void)mailflow::firewall::IptablesSaveHasFiltering(text);
  return 0;
}
