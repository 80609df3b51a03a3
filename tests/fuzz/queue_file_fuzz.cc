// libFuzzer entry point for the queue-file record reader and the defer-log
// parser. Build and run (clang 14):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I.
//     tests/fuzz/queue_file_fuzz.cc collectors/postfix/queue_file.cc
//     collectors/postfix/defer_reason.cc -o /tmp/queue_file_fuzz
//   /tmp/queue_file_fuzz -max_total_time=60 tests/fixtures/queue
// Invariants: bounded work (records, pointer jumps, bytes read), no crash,
// a status always set.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/postfix/defer_reason.h"
#include "lib/postfix/queue_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  mailflow::QueueFileLimits limits;
  limits.chunk_bytes = 64;  // exercise window refills on small inputs
  limits.max_read_bytes = 1 << 16;
  limits.max_pointer_jumps = 64;
  limits.max_records = 4096;
  mailflow::QueueFileEnvelope env;
  mailflow::ReadQueueFileFromMemory(bytes, limits, &env);
  if (env.bytes_read > limits.max_read_bytes) std::abort();
  if (env.records > limits.max_records + 1) std::abort();
  if (env.domains.size() > limits.max_domains_per_message) std::abort();
  if (env.status == mailflow::QueueFileStatus::kOk && !env.saw_end) {
    std::abort();
  }
  size_t n =
      mailflow::ParseDeferLog(bytes, 100, [](const mailflow::DeferLogEntry& e) {
        mailflow::DeferReasonName(
            mailflow::ClassifyDeferReason(e.status, e.reason));
      });
  if (n > 100) std::abort();
  return 0;
}
