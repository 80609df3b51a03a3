// PostfixSnapshot: one Postfix instance's configuration as every collector
// sees it, parsed once and reused while main.cf and master.cf are unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/base/file_util.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/postfix_config.h"

namespace mailflow {

/// Immutable once built; shared between collectors and scrapes through
/// shared_ptr<const PostfixSnapshot>, so any thread may read it.
struct PostfixSnapshot {
  PostfixConfig config;
  /// main.cf's values, expanded; Postfix's built-in default when unset.
  std::string queue_directory;
  std::string process_id_directory;
  /// Every inet service of master.cf (InetServices(config)).
  std::vector<InetService> inet_services;
};

/// The parsed configuration of each config directory asked for, keyed by
/// directory. A Get() stats main.cf and master.cf (two stat calls) and
/// parses them again only when either file's identity (device, inode, size,
/// mtime, ctime) differs from the cached parse's. A file modified less than
/// two seconds before it was read is re-read on the next Get() too: a
/// same-size rewrite in the same timestamp tick would otherwise go unseen
/// (git's "racily clean" entries). Read errors are not cached.
///
/// Thread-safe: collectors of one scrape call Get() concurrently; a parse
/// runs under the cache's lock, so concurrent callers share one parse.
/// Owned by the CollectorContext (one per exporter; survives reloads).
class PostfixSnapshotCache {
 public:
  /// Returns the snapshot of CONFIG_DIRECTORY, or nullptr with *err set
  /// to "DIR/main.cf: cannot read: REASON" (or master.cf's) when either
  /// file cannot be read.
  std::shared_ptr<const PostfixSnapshot> Get(
      const std::string& config_directory, std::string* err);

  /// How many times the files were read and parsed (for tests and the
  /// benchmarks).
  uint64_t parses() const;

  /// At most this many directories are cached; the least recently used one
  /// is forgotten beyond it.
  static constexpr size_t kMaxDirectories = 16;

 private:
  struct Entry {
    FileIdentity main, master;
    bool settled = false;  // both files older than the racy window
    uint64_t last_used = 0;
    std::shared_ptr<const PostfixSnapshot> snapshot;
  };

  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  uint64_t uses_ = 0;
  uint64_t parses_ = 0;
};

/// The message a collector gives when it cannot work without the Postfix
/// configuration that the postfix collector reports as unreadable, e.g.
/// "needs the Postfix configuration in /etc/postfix, which cannot be read
/// (the postfix collector reports why)".
std::string PostfixConfigDependencyError(const std::string& config_directory);

}  // namespace mailflow
