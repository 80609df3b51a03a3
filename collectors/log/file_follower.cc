#include "collectors/log/file_follower.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

namespace mailflow::log_collector {
namespace {
constexpr size_t kReadSize = 256 << 10;
}

FileFollower::FileFollower(Options options) : options_(std::move(options)) {
  buf_.resize(kReadSize);
}

FileFollower FileFollower::ForDescriptor(int fd) {
  Options o;
  o.start_at_end = false;
  FileFollower f(std::move(o));
  f.descriptor_mode_ = true;
  f.current_.fd = fd;
  f.state_.open = true;
  return f;
}

FileFollower::FileFollower(FileFollower&& o) noexcept
    : options_(std::move(o.options_)),
      descriptor_mode_(o.descriptor_mode_),
      first_open_(o.first_open_),
      finished_(o.finished_),
      current_(std::move(o.current_)),
      draining_(std::move(o.draining_)),
      state_(std::move(o.state_)),
      buf_(std::move(o.buf_)) {
  o.current_.fd = -1;
  o.draining_.clear();
}

FileFollower::~FileFollower() {
  if (current_.fd >= 0 && !descriptor_mode_) close(current_.fd);
  for (File& f : draining_) close(f.fd);
}

bool FileFollower::TryOpen() {
  const int fd = open(options_.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  // start_at_end concerns the file present when following starts; a file
  // that appears later is new and read from its beginning.
  const bool seek_end = first_open_ && options_.start_at_end;
  first_open_ = false;
  if (fd < 0) {
    if (errno != ENOENT) {
      std::string err = "open " + options_.path + ": " + strerror(errno);
      if (err != state_.last_error) ++state_.read_errors;
      state_.last_error = std::move(err);
    }
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return false;
  }
  current_ = File();
  current_.fd = fd;
  current_.dev = st.st_dev;
  current_.ino = st.st_ino;
  current_.last_data = std::chrono::steady_clock::now();
  if (seek_end) {
    const off_t end = lseek(fd, 0, SEEK_END);
    current_.offset = end > 0 ? uint64_t(end) : 0;
  }
  state_.open = true;
  state_.inode = uint64_t(st.st_ino);
  state_.position = current_.offset;
  state_.size = uint64_t(st.st_size);
  return true;
}

void FileFollower::Emit(File* f, const char* data, size_t n, const Sink& sink) {
  // Complete lines are handed out straight from the read buffer; only a
  // trailing partial line is copied (and prefixed on the next read).
  size_t i = 0;
  if (!f->partial.empty()) {
    const char* nl = static_cast<const char*>(memchr(data, '\n', n));
    if (nl == nullptr) {
      f->partial.append(data, n);
      if (f->partial.size() >= options_.max_line) {
        f->partial.push_back('\n');
        sink(f->partial);
        f->partial.clear();
      }
      return;
    }
    const size_t len = size_t(nl - data) + 1;
    f->partial.append(data, len);
    sink(f->partial);
    f->partial.clear();
    i = len;
  }
  if (i >= n) return;
  // Last newline in the rest.
  size_t last = n;
  while (last > i && data[last - 1] != '\n') --last;
  if (last > i) sink(std::string_view(data + i, last - i));
  if (last < n) {
    f->partial.assign(data + last, n - last);
    if (f->partial.size() >= options_.max_line) {
      f->partial.push_back('\n');
      sink(f->partial);
      f->partial.clear();
    }
  }
}

void FileFollower::FlushPartial(File* f, const Sink& sink) {
  if (f->partial.empty()) return;
  f->partial.push_back('\n');
  sink(f->partial);
  f->partial.clear();
}

long FileFollower::ReadAvailable(File* f, const Sink& sink, size_t budget) {
  long total = 0;
  while (size_t(total) < budget) {
    const ssize_t n = read(f->fd, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      ++state_.read_errors;
      state_.last_error = std::string("read ") +
                          (descriptor_mode_ ? "stdin" : options_.path) + ": " +
                          strerror(errno);
      return -1;
    }
    if (n == 0) break;
    f->offset += uint64_t(n);
    f->last_data = std::chrono::steady_clock::now();
    total += n;
    Emit(f, buf_.data(), size_t(n), sink);
  }
  return total;
}

size_t FileFollower::PollDescriptor(const Sink& sink) {
  if (finished_) return 0;
  // The caller waits for readability; read what is there.
  const ssize_t n = read(current_.fd, buf_.data(), buf_.size());
  if (n > 0) {
    current_.offset += uint64_t(n);
    state_.position = current_.offset;
    Emit(&current_, buf_.data(), size_t(n), sink);
    return size_t(n);
  }
  if (n == 0) {
    FlushPartial(&current_, sink);
    finished_ = true;
    state_.open = false;
  } else if (errno != EAGAIN && errno != EINTR) {
    ++state_.read_errors;
    state_.last_error = std::string("read stdin: ") + strerror(errno);
  }
  return 0;
}

size_t FileFollower::DrainRotated(std::chrono::steady_clock::time_point now,
                                  const Sink& sink) {
  size_t got = 0;
  for (size_t i = 0; i < draining_.size();) {
    File& f = draining_[i];
    const long n = ReadAvailable(&f, sink, options_.max_bytes_per_poll);
    if (n > 0) got += size_t(n);
    if (n < 0 || now - f.last_data >= options_.rotate_grace) {
      FlushPartial(&f, sink);
      close(f.fd);
      draining_.erase(draining_.begin() + long(i));
    } else {
      ++i;
    }
  }
  return got;
}

size_t FileFollower::Poll(const Sink& sink) {
  if (descriptor_mode_) return PollDescriptor(sink);
  // Files rotated away: read what their writers still append, then close.
  const auto now = std::chrono::steady_clock::now();
  size_t got = DrainRotated(now, sink);

  if (current_.fd < 0 && !TryOpen()) {
    state_.open = false;
    return got;
  }
  const long n = ReadAvailable(&current_, sink, options_.max_bytes_per_poll);
  if (n < 0) {
    close(current_.fd);
    current_.fd = -1;
    state_.open = false;
    return got;
  }
  got += size_t(n);
  state_.position = current_.offset;
  if (size_t(n) >= options_.max_bytes_per_poll) return got;  // more to read

  // At EOF: truncated in place?
  struct stat st;
  if (fstat(current_.fd, &st) == 0) {
    state_.size = uint64_t(st.st_size);
    if (uint64_t(st.st_size) < current_.offset) {
      ++state_.truncations;
      lseek(current_.fd, 0, SEEK_SET);
      current_.offset = 0;
      current_.partial.clear();
      const long m =
          ReadAvailable(&current_, sink, options_.max_bytes_per_poll);
      if (m > 0) got += size_t(m);
      state_.position = current_.offset;
      return got;
    }
  }
  // Replaced (renamed or deleted, and maybe recreated)?
  struct stat pst;
  if (stat(options_.path.c_str(), &pst) != 0) {
    // Gone: keep reading the open file until a new one appears.
    return got;
  }
  if (pst.st_ino == current_.ino && pst.st_dev == current_.dev) {
    state_.last_error.clear();
    return got;
  }
  // A new file under the path: read the old one to its end, keep it for
  // late writers, and switch.
  const long m = ReadAvailable(&current_, sink, options_.max_bytes_per_poll);
  if (m > 0) got += size_t(m);
  current_.last_data = now;
  draining_.push_back(std::move(current_));
  current_ = File();
  ++state_.rotations;
  if (TryOpen()) {
    const long k = ReadAvailable(&current_, sink, options_.max_bytes_per_poll);
    if (k > 0) got += size_t(k);
    state_.position = current_.offset;
  }
  return got;
}

}  // namespace mailflow::log_collector
