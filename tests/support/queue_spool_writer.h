// Synthetic Postfix spool writer: queue files and defer logs in Postfix 3.7's
// on-disk format (as cleanup(8) and bounce(8) write them), fast enough to
// build a 1,000,000-message spool. Used by the queue benchmark and tests;
// validated against real Postfix (postcat, postqueue -j) in
// tests/integration/test_queue_synthetic.py.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "lib/postfix/queue_file.h"

namespace mailflow::bench {

struct SyntheticMessage {
  std::string id;  // short queue id, e.g. "3A1F2C0B7E4"
  int64_t arrival = 0;
  int64_t arrival_usec = 0;
  std::string sender = "sender@example.net";
  std::vector<std::string> recipients = {"rcpt@example.test"};
  size_t body_bytes = 512;
  std::string defer_reason;  // "" -> no defer log
  std::string defer_status = "4.4.1";
};

/// A short queue id derived from `n`: 11 upper-case hex digits whose first
/// digit varies with n (so hashed subdirectories are all used).
inline std::string SyntheticQueueId(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%05llX%06llX",
                static_cast<unsigned long long>((n * 40503u) & 0xFFFFF),
                static_cast<unsigned long long>(n & 0xFFFFFF));
  return buf;
}

/// The queue file bytes.
inline std::string BuildQueueFile(const SyntheticMessage& m) {
  std::string env;
  char tbuf[64];
  std::snprintf(tbuf, sizeof(tbuf), "%lld %lld",
                static_cast<long long>(m.arrival),
                static_cast<long long>(m.arrival_usec));
  AppendQueueRecord(&env, 'T', tbuf);
  AppendQueueRecord(&env, 'A', "create_time=" + std::to_string(m.arrival));
  AppendQueueRecord(&env, 'A', "log_ident=" + m.id);
  AppendQueueRecord(&env, 'A', "rewrite_context=local");
  AppendQueueRecord(&env, 'S', m.sender);
  AppendQueueRecord(&env, 'A', "log_client_name=localhost");
  AppendQueueRecord(&env, 'A', "log_client_address=127.0.0.1");
  AppendQueueRecord(&env, 'A', "log_protocol_name=SMTP");
  for (const std::string& r : m.recipients) {
    AppendQueueRecord(&env, 'A', "dsn_orig_rcpt=rfc822;" + r);
    AppendQueueRecord(&env, 'O', r);
    AppendQueueRecord(&env, 'R', r);
  }
  AppendQueueRecord(&env, 'M', "");
  std::string body;
  std::string hdr = "Received: by synthetic.example (Postfix) id " + m.id;
  AppendQueueRecord(&body, 'N', hdr);
  AppendQueueRecord(&body, 'N', "From: <" + m.sender + ">");
  AppendQueueRecord(&body, 'N', "To: <" + m.recipients.front() + ">");
  AppendQueueRecord(&body, 'N', "Subject: synthetic");
  AppendQueueRecord(&body, 'N', "");
  size_t left = m.body_bytes;
  while (left > 0) {
    size_t n = left > 76 ? 76 : left;
    AppendQueueRecord(&body, 'N', std::string(n, 'X'));
    left -= n;
  }
  // The size record is fixed width, so its length does not depend on values.
  auto size_record = [&](int64_t data_size, int64_t data_offset) {
    char sbuf[128];
    std::snprintf(sbuf, sizeof(sbuf), "%15lld %15lld %15lld %15lld %15lld",
                  static_cast<long long>(data_size),
                  static_cast<long long>(data_offset),
                  static_cast<long long>(m.recipients.size()), 0LL,
                  static_cast<long long>(data_size));
    std::string rec;
    AppendQueueRecord(&rec, 'C', sbuf);
    return rec;
  };
  const int64_t c_len = static_cast<int64_t>(size_record(0, 0).size());
  const int64_t data_offset = c_len + static_cast<int64_t>(env.size());
  std::string out = size_record(static_cast<int64_t>(body.size()), data_offset);
  out += env;
  out += body;
  AppendQueueRecord(&out, 'X', "");
  AppendQueueRecord(&out, 'E', "");
  return out;
}

/// The defer log bytes (bounce(8)'s format: a blank line, then per recipient
/// an old-style line and name=value attributes, then a blank line).
inline std::string BuildDeferLog(const SyntheticMessage& m) {
  std::string out = "\n";
  for (const std::string& r : m.recipients) {
    out += "<" + r + ">: " + m.defer_reason + "\n";
    out += "recipient=" + r + "\n";
    out += "offset=100\n";
    out += "dsn_orig_rcpt=rfc822;" + r + "\n";
    out += "status=" + m.defer_status + "\n";
    out += "action=delayed\n";
    out += "reason=" + m.defer_reason + "\n\n";
  }
  return out;
}

inline bool WriteFileAt(const std::string& path, const std::string& data,
                        mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok =
      write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  fchmod(fd, mode);
  close(fd);
  return ok;
}

/// Writes message `m` into SPOOL/QUEUE/<id[0]>/<id> (mode 0700, mtime
/// `mtime`) and, when it has a defer reason, SPOOL/defer/<id[0]>/<id>.
/// `hashed`: use the one-character subdirectory (deferred, defer).
/// When `inode_ids` is set, m.id is replaced by a Postfix short queue id for
/// the file's inode (5 hex digits of microseconds, then the inode number in
/// hex), the way cleanup names files, so `postsuper` leaves them alone.
/// REQUIRES: the directories exist.
inline bool WriteSyntheticMessage(const std::string& spool,
                                  const std::string& queue, bool hashed,
                                  SyntheticMessage m, int64_t mtime,
                                  bool inode_ids = false,
                                  std::string* id_out = nullptr) {
  std::string data = BuildQueueFile(m);
  std::string tmp = spool + "/" + queue + "/.tmp-" + m.id;
  if (!WriteFileAt(tmp, data, 0700)) return false;
  if (inode_ids) {
    struct stat st;
    if (stat(tmp.c_str(), &st) != 0) return false;
    char buf[48];
    std::snprintf(
        buf, sizeof(buf), "%05llX%llX",
        static_cast<unsigned long long>(m.arrival_usec % 1000000 & 0xFFFFF),
        static_cast<unsigned long long>(st.st_ino));
    m.id = buf;
    // The id is inside the file too (log_ident); rewrite with the real id.
    data = BuildQueueFile(m);
    if (!WriteFileAt(tmp, data, 0700)) return false;
  }
  std::string dir =
      spool + "/" + queue + (hashed ? "/" + m.id.substr(0, 1) : "");
  std::string path = dir + "/" + m.id;
  if (rename(tmp.c_str(), path.c_str()) != 0) return false;
  struct timeval tv[2] = {{static_cast<time_t>(mtime), 0},
                          {static_cast<time_t>(mtime), 0}};
  utimes(path.c_str(), tv);
  if (!m.defer_reason.empty()) {
    std::string dpath = spool + "/defer/" + m.id.substr(0, 1) + "/" + m.id;
    if (!WriteFileAt(dpath, BuildDeferLog(m), 0600)) return false;
  }
  if (id_out) *id_out = m.id;
  return true;
}

/// Creates SPOOL/{maildrop,incoming,active,deferred,hold,corrupt,defer} and
/// the hashed subdirectories 0-9A-F of deferred and defer.
inline void MakeSpoolDirs(const std::string& spool) {
  mkdir(spool.c_str(), 0755);
  for (const char* q : {"maildrop", "incoming", "active", "deferred", "hold",
                        "corrupt", "defer"}) {
    std::string d = spool + "/" + q;
    mkdir(d.c_str(), 0700);
  }
  for (const char* q : {"deferred", "defer"}) {
    for (const char* h : {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A",
                          "B", "C", "D", "E", "F"}) {
      std::string d = spool + "/" + q + "/" + h;
      mkdir(d.c_str(), 0700);
    }
  }
}

}  // namespace mailflow::bench
