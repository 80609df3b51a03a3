// Reading whole files safely from directories other users may write.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace mailflow {

/// Reads the regular file `path` into `*out` (replacing its contents).
/// Opens with O_NONBLOCK and refuses anything that fstat() does not call a
/// regular file, so a FIFO, socket or device planted where a file is
/// expected can neither block nor feed endless data. Fails with
/// "PATH: cannot read: REASON" (errno text, "not a regular file", or
/// "larger than N bytes"). Thread-safe.
bool ReadWholeFile(const std::string& path, std::string* out, std::string* err,
                   size_t max_bytes = 16 << 20);

/// What identifies one version of a file without reading it: when all of
/// these are equal, the content is assumed unchanged (see FileIdentity::Of
/// for the caveat about same-tick rewrites).
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = -1;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;

  /// stat() of `path`; false (and *this unchanged) when it cannot be
  /// stat'ed.
  bool Of(const std::string& path);
  bool operator==(const FileIdentity&) const = default;
};

}  // namespace mailflow
