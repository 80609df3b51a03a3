// FileFollower: reads a log file like `tail -F`, handing out complete lines.
//
// - The file may be absent at start; it is opened when it appears.
// - Rotation by rename (or delete) + create: the path names a new inode. The
//   old file is read to its end and kept open for a grace period (a writer
//   that has not reopened yet may still append), then closed; the new file
//   is read from its beginning. No line is lost or read twice.
// - copytruncate: the file shrinks below the read position; reading restarts
//   at offset 0. (Lines written between logrotate's copy and its truncate are
//   lost by copytruncate itself; that window is not ours to close.)
// - A partial last line is held back until its newline arrives (or until a
//   rotated file's grace period ends, then it is handed out as a line).
// - start_at_end applies to the file present at the first Poll() only; a
//   file that appears later (absent at start, or after rotation) is new and
//   read from its beginning.
// Not thread-safe: one thread calls Poll().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow::log_collector {

struct FollowerState {
  bool open = false;
  uint64_t inode = 0;
  uint64_t position = 0;   // bytes consumed from the current file
  uint64_t size = 0;       // size at the last poll
  uint64_t rotations = 0;  // rename/delete + create
  uint64_t truncations = 0;
  uint64_t read_errors = 0;
  std::string last_error;  // empty when the last poll had no error
};

class FileFollower {
 public:
  /// Receives a block of one or more complete lines, each ending in '\n'.
  using Sink = std::function<void(std::string_view lines)>;

  struct Options {
    std::string path;
    bool start_at_end = true;
    /// How long a rotated-away file is still read after the switch.
    std::chrono::milliseconds rotate_grace{5000};
    /// Most bytes handed out per Poll() (keeps the loop responsive).
    size_t max_bytes_per_poll = 8 << 20;
    /// A line longer than this is handed out in pieces.
    size_t max_line = 1 << 20;
  };

  explicit FileFollower(Options options);
  /// Follows an already open descriptor that cannot rotate (stdin). Not closed.
  static FileFollower ForDescriptor(int fd);
  ~FileFollower();
  FileFollower(FileFollower&&) noexcept;
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  /// Reads what is available. Returns the number of bytes read (0: idle).
  size_t Poll(const Sink& sink);
  /// True when reading stopped for good (EOF on a descriptor source).
  bool finished() const { return finished_; }
  const FollowerState& state() const { return state_; }

 private:
  struct File {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t offset = 0;
    std::string partial;
    std::chrono::steady_clock::time_point last_data;
  };

  bool TryOpen();
  /// Reads `f` to EOF (or the budget). Returns bytes read; -1 on error.
  long ReadAvailable(File* f, const Sink& sink, size_t budget);
  // Poll() of a descriptor source (stdin): what is there, EOF ends it.
  size_t PollDescriptor(const Sink& sink);
  // Reads what writers still append to rotated-away files; closes those
  // idle for rotate_grace. Returns the bytes read.
  size_t DrainRotated(std::chrono::steady_clock::time_point now,
                      const Sink& sink);
  void Emit(File* f, const char* data, size_t n, const Sink& sink);
  void FlushPartial(File* f, const Sink& sink);

  Options options_;
  bool descriptor_mode_ = false;
  bool first_open_ = true;
  bool finished_ = false;
  File current_;
  std::vector<File> draining_;
  FollowerState state_;
  std::vector<char> buf_;
};

}  // namespace mailflow::log_collector
