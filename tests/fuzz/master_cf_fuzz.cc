// libFuzzer entry point for MasterCf: parse arbitrary bytes and use every
// entry. Any crash, sanitizer report or hang is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/postfix/master_cf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mailflow::postfix::MasterCf;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  MasterCf cf = MasterCf::Parse(text, "fuzz.cf");
  for (const auto& problem : cf.problems()) (void)cf.FormatProblem(problem);
  for (const auto& entry : cf.entries()) {
    (void)mailflow::postfix::IsServiceDisabled(entry, "!smtp/inet, inet unix");
    (void)cf.Find(entry.service, entry.type);
  }
  return 0;
}
