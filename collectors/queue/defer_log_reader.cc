#include "collectors/queue/defer_log_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "lib/postfix/queue_file.h"

namespace mailflow::queue_collector {

int DeferLogReader::Open(int dirfd, const char* name, struct stat* st,
                         bool* corrupt) {
  // O_NONBLOCK makes open() of a FIFO return at once; only a regular file
  // is read.
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENXIO) *corrupt = true;
    return -1;
  }
  if (fstat(fd, st) != 0) {
    close(fd);
    return -1;
  }
  if (!S_ISREG(st->st_mode)) {
    *corrupt = true;
    close(fd);
    return -1;
  }
  return fd;
}

bool DeferLogReader::Read(int fd, uint64_t size, const std::string& queue_id,
                          uint16_t* reasons) {
  size_t want = std::min<uint64_t>(size, max_bytes_);
  buffer_.resize(want);
  size_t got = 0;
  while (got < want) {
    ssize_t r =
        pread(fd, buffer_.data() + got, want - got, static_cast<off_t>(got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  buffer_.resize(got);
  std::fill(reasons, reasons + kDeferReasonCount, 0);
  ParseDeferLog(buffer_, max_entries_, [&](const DeferLogEntry& e) {
    int r = static_cast<int>(ClassifyDeferReason(e.status, e.reason));
    if (reasons[r] < UINT16_MAX) ++reasons[r];
    DeferSample& sample = samples_[r];
    if (sample.queue_id.empty() || sample.queue_id == queue_id) {
      sample.queue_id = queue_id;
      sample.recipient = std::string(e.recipient.substr(0, 200));
      sample.status = std::string(e.status.substr(0, 16));
      sample.text =
          std::string(e.reason.substr(0, DeferSample::kMaxSampleText));
    }
  });
  return true;
}

}  // namespace mailflow::queue_collector
