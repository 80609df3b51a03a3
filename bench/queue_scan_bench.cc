// Queue scan benchmark tool (run by bench/queue_compare.sh; see
// docs/benchmarks.md). Not a Google Benchmark: it needs its own spool.
//
//   queue_scan_bench write SPOOL N [UID GID]   synthetic deferred spool
//   queue_scan_bench scan SPOOL [REPEAT]       cold + steady scans, RSS
//   queue_scan_bench floor SPOOL [QUEUE...]    open + read 4 KiB of each file
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "collectors/queue/queue_scanner.h"
#include "tests/support/queue_spool_writer.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long StatusKb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  size_t n = std::strlen(field);
  while (std::getline(f, line)) {
    if (line.compare(0, n, field) == 0) return std::atol(line.c_str() + n + 1);
  }
  return -1;
}

const char* kReasons[] = {
    "connect to mx.example.net[192.0.2.10]:25: Connection refused",
    "connect to mx.example.org[192.0.2.20]:25: Connection timed out",
    "Host or domain name not found. Name service error for name=nx.example "
    "type=MX: Host not found, try again",
    "host mx.example.com[192.0.2.30] said: 450 4.2.0 <u@example.com>: "
    "Recipient address rejected: Greylisted (in reply to RCPT TO command)",
};
const char* kStatus[] = {"4.4.1", "4.4.1", "4.4.3", "4.2.0"};

int Write(const std::string& spool, long n, int uid, int gid) {
  mailflow::bench::MakeSpoolDirs(spool);
  if (uid >= 0) {
    for (const char* q : {"deferred", "defer"}) {
      std::string d = spool + "/" + q;
      if (chown(d.c_str(), uid, gid) != 0) std::perror("chown");
      for (const char* h : {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
                            "A", "B", "C", "D", "E", "F"}) {
        if (chown((d + "/" + h).c_str(), uid, gid) != 0) std::perror("chown");
      }
    }
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  auto t0 = Clock::now();
  for (long i = 0; i < n; ++i) {
    mailflow::bench::SyntheticMessage m;
    m.id = mailflow::bench::SyntheticQueueId(static_cast<uint64_t>(i));
    m.arrival = now - (i % 100000);  // ages spread over ~28 hours
    m.arrival_usec = i % 1000000;
    m.recipients = {"user" + std::to_string(i % 97) + "@dest" +
                    std::to_string(i % 50) + ".example"};
    m.defer_reason = kReasons[i % 4];
    m.defer_status = kStatus[i % 4];
    // Deferred files' mtime is the next retry time: an hour ahead, so a
    // real qmgr on this spool leaves them alone.
    std::string id;
    if (!mailflow::bench::WriteSyntheticMessage(spool, "deferred", true, m,
                                                now + 3600, true, &id)) {
      std::perror("write");
      return 1;
    }
    m.id = id;
    if (uid >= 0) {
      std::string h = m.id.substr(0, 1);
      std::string a = spool + "/deferred/" + h + "/" + m.id;
      std::string b = spool + "/defer/" + h + "/" + m.id;
      if (chown(a.c_str(), uid, gid) != 0 || chown(b.c_str(), uid, gid) != 0) {
        std::perror("chown");
        return 1;
      }
    }
  }
  std::printf("wrote %ld messages (+ defer logs) in %.2f s\n", n, Since(t0));
  return 0;
}

int Scan(const std::string& spool, int repeat) {
  mailflow::QueueScanOptions o;
  o.queue_directory = spool;
  mailflow::QueueScanner scanner(o);
  long rss0 = StatusKb("VmRSS:");
  for (int i = 0; i < repeat; ++i) {
    mailflow::QueueScanResult r;
    auto t0 = Clock::now();
    mailflow::Status st =
        scanner.Scan(mailflow::Deadline::Never(),
                     static_cast<int64_t>(std::time(nullptr)), &r);
    double s = Since(t0);
    const auto& d = r.queues[static_cast<int>(mailflow::QueueName::kDeferred)];
    std::printf(
        "scan %d: %.3f s  deferred=%llu parsed=%llu defer_logs_read=%llu "
        "tracked=%llu status=%s rss_kb=%ld\n",
        i + 1, s, static_cast<unsigned long long>(d.messages),
        static_cast<unsigned long long>(r.parsed_files),
        static_cast<unsigned long long>(r.defer_logs_read),
        static_cast<unsigned long long>(r.tracked_messages),
        st.ok() ? "ok" : st.message().c_str(), StatusKb("VmRSS:"));
  }
  long rss1 = StatusKb("VmRSS:");
  std::printf("rss_kb before=%ld after=%ld hwm=%ld sizeof_entry_estimate=%zu\n",
              rss0, rss1, StatusKb("VmHWM:"),
              mailflow::QueueScanner::BytesPerTrackedMessage());
  return 0;
}

// The floor: open + read the first 4 KiB + close of every file under
// SPOOL/QUEUE (recursively), single-threaded, like the scanner.
long FloorDir(int dirfd, char* buf) {
  DIR* dir = fdopendir(dirfd);
  if (!dir) return 0;
  long n = 0;
  while (struct dirent* de = readdir(dir)) {
    if (de->d_name[0] == '.') continue;
    if (de->d_type == DT_DIR) {
      int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY);
      if (sub >= 0) n += FloorDir(sub, buf);
      continue;
    }
    int fd = openat(dirfd, de->d_name, O_RDONLY);
    if (fd < 0) continue;
    if (read(fd, buf, 4096) >= 0) ++n;
    close(fd);
  }
  closedir(dir);
  return n;
}

int Floor(const std::string& spool, const std::vector<std::string>& queues) {
  char buf[4096];
  auto t0 = Clock::now();
  long n = 0;
  for (const std::string& q : queues) {
    int fd = open((spool + "/" + q).c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) n += FloorDir(fd, buf);
  }
  const double wall = Since(t0);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double cpu =
      static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf("floor: %.3f s  cpu %.3f s  files=%ld\n", wall, cpu, n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s write SPOOL N [UID GID] | scan SPOOL [REPEAT] | "
                 "floor SPOOL [QUEUE...]\n",
                 argv[0]);
    return 2;
  }
  std::string cmd = argv[1], spool = argv[2];
  if (cmd == "write" && argc >= 4) {
    int uid = argc >= 6 ? std::atoi(argv[4]) : -1;
    int gid = argc >= 6 ? std::atoi(argv[5]) : -1;
    return Write(spool, std::atol(argv[3]), uid, gid);
  }
  if (cmd == "scan") return Scan(spool, argc >= 4 ? std::atoi(argv[3]) : 3);
  if (cmd == "floor") {
    std::vector<std::string> qs;
    for (int i = 3; i < argc; ++i) qs.push_back(argv[i]);
    if (qs.empty()) qs = {"deferred"};
    return Floor(spool, qs);
  }
  std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
  return 2;
}
