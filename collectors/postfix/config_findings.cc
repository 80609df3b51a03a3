#include "collectors/postfix/config_findings.h"

#include <cctype>

#include "lib/postfix/main_cf.h"

namespace mailflow {

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
