// QueueMessageReader: opens and reads one Postfix queue file for the scan.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "collectors/queue/queue_scanner.h"
#include "lib/postfix/queue_file.h"

namespace mailflow::queue_collector {

/// The envelope facts of one queue file, as showq and qmgr see them.
struct QueueMessage {
  /// qmgr would move it to corrupt: bad records, or no arrival time outside
  /// maildrop (an incomplete file is not corrupt).
  bool corrupt = false;
  int64_t arrival = 0;      // seconds; the file's mtime when it has none
  int64_t create_time = 0;  // seconds; `arrival` when it has none
  QueueFileEnvelope env;
};

/// Why a queue file cannot be read (kOk: it can).
enum class QueueFileAccess {
  kOk,
  kGone,        // ENOENT: delivered or moved meanwhile (normal)
  kCorrupt,     // a symlink or special file: no queue file
  kUnreadable,  // any other error
  kDenied,      // EACCES (unreadable too)
  kBusy,        // not yet u+rwx: still being written (mail_open_ok)
};

/// Reads queue files with one reused buffer. Not thread-safe (owned by one
/// QueueScanner).
class QueueMessageReader {
 public:
  explicit QueueMessageReader(const QueueFileLimits& limits)
      : limits_(limits) {}

  /// lstat of `name` under `dirfd` into `*st`, and whether it is a readable
  /// queue file by its type and mode.
  static QueueFileAccess Stat(int dirfd, const char* name, struct stat* st);
  /// Opens `name` under `dirfd` (never following a symlink, never blocking,
  /// O_NOATIME where allowed). On kOk, `*fd` is open (the caller closes it)
  /// and `*st` is its fstat.
  static QueueFileAccess Open(int dirfd, const char* name, int* fd,
                              struct stat* st);

  /// Reads the queue file on `fd` of queue `q`; `st` is its fstat. A read
  /// that comes back short at or past st.st_size is taken as the end of the
  /// file (one pread per small file, not two). The result stays valid until
  /// the next Read().
  const QueueMessage& Read(int fd, QueueName q, const struct stat& st);

 private:
  const QueueFileLimits limits_;
  std::string window_;    // queue file read buffer
  QueueMessage message_;  // the last file read
};

}  // namespace mailflow::queue_collector
