#include "collectors/queue/queue_message_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace mailflow::queue_collector {
namespace {

QueueFileAccess FromErrno(int err) {
  if (err == ENOENT) return QueueFileAccess::kGone;
  if (err == EACCES) return QueueFileAccess::kDenied;
  return QueueFileAccess::kUnreadable;
}

QueueFileAccess FromMode(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return QueueFileAccess::kCorrupt;
  if ((st.st_mode & S_IRWXU) != S_IRWXU) return QueueFileAccess::kBusy;
  return QueueFileAccess::kOk;
}

}  // namespace

QueueFileAccess QueueMessageReader::Stat(int dirfd, const char* name,
                                         struct stat* st) {
  if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) != 0) {
    return FromErrno(errno);
  }
  return FromMode(*st);
}

QueueFileAccess QueueMessageReader::Open(int dirfd, const char* name, int* fd,
                                         struct stat* st) {
  *fd = openat(dirfd, name,
               O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOATIME);
  if (*fd < 0 && errno == EPERM) {
    *fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  }
  if (*fd < 0) {
    if (errno == ELOOP || errno == ENXIO || errno == ENOTDIR) {
      return QueueFileAccess::kCorrupt;  // a symlink or special file
    }
    return FromErrno(errno);
  }
  QueueFileAccess r = QueueFileAccess::kUnreadable;
  if (fstat(*fd, st) == 0) r = FromMode(*st);
  if (r != QueueFileAccess::kOk) {
    close(*fd);
    *fd = -1;
  }
  return r;
}

const QueueMessage& QueueMessageReader::Read(int fd, QueueName q,
                                             const struct stat& st) {
  struct Source {
    int fd;
    uint64_t size;
    uint64_t eof;
  } src{fd, static_cast<uint64_t>(st.st_size), UINT64_MAX};
  ReadAtFn read_at = [&src](uint64_t off, char* buf, size_t len) -> ssize_t {
    if (off >= src.eof) return 0;
    ssize_t r = pread(src.fd, buf, len, static_cast<off_t>(off));
    if (r >= 0 && static_cast<size_t>(r) < len &&
        off + static_cast<uint64_t>(r) >= src.size) {
      src.eof = off + static_cast<uint64_t>(r);
    }
    return r;
  };
  QueueMessage* m = &message_;
  ReadQueueFile(read_at, limits_, &m->env, &window_);
  const QueueFileEnvelope& env = m->env;
  m->corrupt = env.status == QueueFileStatus::kCorrupt;
  m->arrival = 0;
  if (env.has_arrival) {
    m->arrival = env.arrival_sec;
  } else if (q == QueueName::kMaildrop) {
    m->arrival = st.st_mtime;  // as showq does
  } else if (!m->corrupt && env.status != QueueFileStatus::kIncomplete) {
    m->corrupt = true;  // qmgr rejects files without an arrival time
  } else {
    m->arrival = st.st_mtime;
  }
  m->create_time = env.has_create_time ? env.create_time : m->arrival;
  return message_;
}

}  // namespace mailflow::queue_collector
