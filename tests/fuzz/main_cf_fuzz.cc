// libFuzzer entry point for MainCf: parse arbitrary bytes, then expand,
// split and convert what was parsed. Any crash, sanitizer report, hang or
// unbounded memory use is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/postfix/main_cf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mailflow::postfix::MainCf;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  MainCf cf = MainCf::Parse(text, "fuzz.cf");
  for (const auto& problem : cf.problems()) (void)cf.FormatProblem(problem);
  int budget = 16;  // expansions are bounded, but keep each input fast
  for (const std::string& name : cf.SetNames()) {
    if (--budget < 0) break;
    std::string err;
    std::string value = cf.Get(name, &err);
    (void)MainCf::SplitList(value);
    int64_t seconds = 0;
    (void)MainCf::ParseTimeValue(cf.Raw(name), 's', &seconds);
    mailflow::postfix::ParamOverrides overrides = {{name, "$" + name + "x"}};
    (void)cf.GetWithOverrides(name, overrides, &err);
  }
  (void)cf.Expand(text.substr(0, 256));
  return 0;
}
