// libFuzzer entry point for the Postfix log line parser.
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I/work/main
//     tests/fuzz/log_line_fuzz.cc collectors/postfix/log_line.cc -o
//     /tmp/log_line_fuzz
//   /tmp/log_line_fuzz -max_total_time=60 tests/fixtures/log/
// Checks: no crash / out-of-bounds read, and every view the parser returns
// lies inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/postfix/log_line.h"

namespace {
void CheckInside(std::string_view input, std::string_view v) {
  if (v.empty()) return;
  if (v.data() < input.data() ||
      v.data() + v.size() > input.data() + input.size())
    abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  mailflow::postfix::LogLine l;
  mailflow::postfix::ParseLogLine(input, &l);
  for (std::string_view v :
       {l.timestamp, l.host, l.tag, l.syslog_name, l.program, l.queue_id,
        l.message, l.to, l.relay, l.dsn, l.reason, l.stage}) {
    CheckInside(input, v);
  }
  // The journal entry point: split the input at the first NUL, if any.
  const size_t nul = input.find('\0');
  if (nul != std::string_view::npos) {
    mailflow::postfix::ParseLogMessage(input.substr(0, nul),
                                       input.substr(nul + 1), &l);
    for (std::string_view v :
         {l.tag, l.program, l.queue_id, l.message, l.reason}) {
      CheckInside(input, v);
    }
  }
  return 0;
}
