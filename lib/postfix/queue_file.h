// Postfix queue files and defer logs: pure readers (bytes in, struct out).
//
// Queue file format (postfix/src/global/record.c, rec_type.h): a sequence of
// records, each a type byte, a little-endian base-128 length (7 bits per
// byte, high bit = more bytes follow) and that many data bytes. The envelope
// comes first ('C' size record, 'T' arrival time "sec usec", 'A' name=value
// attributes, 'S' sender, 'R' pending recipients, 'D' done recipients...),
// then 'M' and the message content ('N'/'L' records), then 'X' and the
// extracted segment, then 'E'. 'p' records are pointers (a decimal file
// offset; 0 = a dummy placeholder) used to patch records in place; 'w' is
// padding. The 'C' record gives the content size and the offset of the first
// content record, so a reader can seek over the body as qmgr does.
//
// Defer logs ($queue_directory/defer/<hash>/<id>, bounce_log.c format):
// entries separated by blank lines; each entry has "name=value" lines
// (recipient, status, action, reason, ...) and/or an old-style
// "<recipient>: reason" line.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailflow {

/// Random-access byte source: copies up to `len` bytes at `offset` into
/// `buf` and returns the count (0 at end of file), or -1 with errno set.
using ReadAtFn = std::function<ssize_t(uint64_t offset, char* buf, size_t len)>;

/// Bounds on the work one queue file may cost.
struct QueueFileLimits {
  /// Bytes fetched per read (the first read covers a typical envelope).
  size_t chunk_bytes = 4096;
  /// Total bytes read from one file; beyond it the result is incomplete.
  size_t max_read_bytes = 256 * 1024;
  /// Pointer ('p') records followed before the file counts as corrupt.
  int max_pointer_jumps = 1024;
  /// Records visited before the file counts as corrupt (loop guard).
  int max_records = 100000;
  /// Data length of an envelope record that is read (longer: corrupt).
  size_t max_record_bytes = 64 * 1024;
  /// Distinct recipient domains kept per message (the rest: "other").
  size_t max_domains_per_message = 32;
};

enum class QueueFileStatus {
  kOk,          // read up to the end record
  kIncomplete,  // read cap reached before the end record (not corrupt)
  kCorrupt,     // malformed: see `error`
  kIoError,     // the byte source failed: see `error` and `io_errno`
};

/// What the scanner needs from a queue file's envelope. Never the body.
struct QueueFileEnvelope {
  QueueFileStatus status = QueueFileStatus::kOk;
  std::string error;  // for kCorrupt / kIoError
  int io_errno = 0;

  bool has_size_record = false;
  int64_t content_size = 0;  // 'C' field 1: bytes between 'M' and 'X'
  int64_t data_offset = 0;   // 'C' field 2: offset of the first content record
  int64_t recipient_count = 0;  // 'C' field 3 (upper bound once deferred)

  bool has_arrival = false;
  int64_t arrival_sec = 0;  // first 'T' record
  int64_t arrival_usec = 0;
  bool has_create_time = false;
  int64_t create_time = 0;  // 'A' create_time=, else 0

  uint32_t pending_recipients = 0;  // 'R' records (not yet delivered)
  /// Recipient domain (lowercased, "" when the address has none) -> count of
  /// pending recipients; at most max_domains_per_message entries, the rest
  /// counted in `other_domain_recipients`.
  std::vector<std::pair<std::string, uint32_t>> domains;
  uint32_t other_domain_recipients = 0;

  bool saw_end = false;
  uint64_t bytes_read = 0;
  int records = 0;
};

/// Reads the envelope of one queue file through `read_at`, bounded by
/// `limits`. Always returns; the outcome is in `out->status`. `window`, when
/// given, is the read buffer (any content; it grows to the largest read and
/// keeps that size): a scanner reading many files passes the same one, and
/// the same `out`, whose `domains` keep their capacity, so that a typical
/// file costs no allocation.
void ReadQueueFile(const ReadAtFn& read_at, const QueueFileLimits& limits,
                   QueueFileEnvelope* out, std::string* window = nullptr);

/// Convenience for tests and the fuzzer: the file's bytes in memory.
void ReadQueueFileFromMemory(std::string_view bytes,
                             const QueueFileLimits& limits,
                             QueueFileEnvelope* out);

/// The domain part of a recipient address: after the last '@', lowercased,
/// one trailing '.' removed; "" when there is no '@'.
std::string RecipientDomain(std::string_view address);

/// One entry of a defer (or bounce) log.
struct DeferLogEntry {
  std::string_view recipient;  // "" when the entry names none
  std::string_view status;     // DSN status, e.g. "4.4.1" ("4.0.0" if absent)
  std::string_view reason;     // the text shown by mailq
};

/// Parses a defer log, calling `fn` once per entry, in file order. Views are
/// valid only during the call. Stops after `max_entries`; returns the number
/// of entries seen.
size_t ParseDeferLog(std::string_view text, size_t max_entries,
                     const std::function<void(const DeferLogEntry&)>& fn);

/// Encodes one record (type, base-128 length, data) as Postfix's rec_put
/// does. For tests and the benchmark's synthetic spool writer.
void AppendQueueRecord(std::string* out, char type, std::string_view data);

}  // namespace mailflow
