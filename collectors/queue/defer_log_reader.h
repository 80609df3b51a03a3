// DeferLogReader: reads Postfix's defer logs (SPOOL/defer/.../QUEUE_ID).
#pragma once

#include <sys/stat.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "collectors/queue/queue_scanner.h"
#include "lib/postfix/defer_reason.h"

namespace mailflow::queue_collector {

/// Counts a defer log's recipients per reason class and keeps, per class,
/// one entry quoted as its evidence (a sample). The samples and the read
/// buffer live across scans. Not thread-safe (owned by one QueueScanner).
class DeferLogReader {
 public:
  /// Reads at most `max_bytes` of a log and `max_entries` entries.
  DeferLogReader(size_t max_bytes, size_t max_entries)
      : max_bytes_(max_bytes), max_entries_(max_entries) {}

  /// Opens `name` under `dirfd` for reading: a regular file only, never
  /// blocking (defer/ is writable by the postfix user: a FIFO planted there
  /// must not hang the scan). Returns the descriptor (the caller closes it)
  /// with `*st` filled, else -1; `*corrupt` is set when the entry is a
  /// symlink or special file (counted as a corrupt file of the deferred
  /// queue), left alone otherwise.
  static int Open(int dirfd, const char* name, struct stat* st, bool* corrupt);

  /// Reads the log on `fd` (`size` bytes per fstat) of message `queue_id`:
  /// recipients per reason class into `reasons[kDeferReasonCount]` (zeroed
  /// first, saturating at UINT16_MAX). An entry becomes the sample of its
  /// class when that class has none or holds one of this message. False on
  /// a read error (`reasons` then untouched).
  bool Read(int fd, uint64_t size, const std::string& queue_id,
            uint16_t* reasons);

  /// The sample of each reason class ("" queue_id: none).
  std::array<DeferSample, kDeferReasonCount>& samples() { return samples_; }

 private:
  const size_t max_bytes_;
  const size_t max_entries_;
  std::string buffer_;  // the log's text, reused from log to log
  std::array<DeferSample, kDeferReasonCount> samples_;
};

}  // namespace mailflow::queue_collector
