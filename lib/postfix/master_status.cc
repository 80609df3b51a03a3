#include "lib/postfix/master_status.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "lib/base/file_util.h"

namespace mailflow {
namespace {

// The pid in a pid file, 0 if none (then *why says why). Read as a regular
// file only: a FIFO planted there cannot block the collector.
int ReadPid(const std::string& pid_file, std::string* why) {
  std::string text, err;
  int pid = 0;
  if (!ReadWholeFile(pid_file, &text, &err, 4096)) {
    *why = err;
    return 0;
  }
  if (!ParseMasterPid(text, &pid)) {
    *why = pid_file + ": no process id in pid file";
    return 0;
  }
  return pid;
}

enum class Locks { kUnreadable, kHeld, kFree };

// /proc/locks lines: "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF",
// waiters as "1: -> FLOCK ..."; the device is hex major:minor.
Locks FindLock(const std::string& proc_root, const struct stat& st,
               int* holder) {
  std::ifstream in(proc_root + "/locks");
  if (!in) return Locks::kUnreadable;
  char want[64];
  std::snprintf(want, sizeof(want), "%02x:%02x:%lu", major(st.st_dev),
                minor(st.st_dev), static_cast<unsigned long>(st.st_ino));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string f, prev;
    std::vector<std::string> v;
    while (fields >> f) v.push_back(f);
    if (v.size() < 6 || v[1] == "->") continue;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i + 1] == want) {
        *holder = std::atoi(v[i].c_str());
        return Locks::kHeld;
      }
    }
  }
  return Locks::kFree;
}

// True when PROC_ROOT/PID is a process called master.
bool IsMaster(const std::string& proc_root, int pid, std::string* comm) {
  std::ifstream in(proc_root + "/" + std::to_string(pid) + "/comm");
  return in && std::getline(in, *comm) && *comm == "master";
}

// The exporter sees every process and every lock: it is in the initial pid
// namespace, whose inode the kernel fixes (PROC_PID_INIT_INO). A proc tree
// without the link (a fixture) counts as the initial namespace.
bool SeesAllProcesses(const std::string& proc_root) {
  char link[64] = {};
  const std::string path = proc_root + "/self/ns/pid";
  const ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
  if (n <= 0) return true;
  return std::string_view(link, n) == "pid:[4026531836]";
}

}  // namespace

bool ParseMasterPid(std::string_view text, int* pid) {
  size_t i = text.find_first_not_of(" \t");
  if (i == std::string_view::npos) return false;
  long value = 0;
  const size_t digits = i;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > 1L << 30) return false;
  }
  if (i == digits || value <= 0) return false;
  if (text.find_first_not_of(" \t\r\n", i) != std::string_view::npos) {
    return false;
  }
  *pid = static_cast<int>(value);
  return true;
}

const char* MasterLivenessName(MasterLiveness liveness) {
  switch (liveness) {
    case MasterLiveness::kUp:
      return "up";
    case MasterLiveness::kDown:
      return "down";
    case MasterLiveness::kUnknown:
      return "unknown";
  }
  return "unknown";
}

MasterStatus ReadMasterStatus(const std::string& queue_directory,
                              const std::string& process_id_directory,
                              const std::string& proc_root) {
  MasterStatus st;
  auto decide = [&st](MasterLiveness l, const char* method, std::string why) {
    st.liveness = l;
    st.running = l == MasterLiveness::kUp;
    st.method = method;
    st.detail = std::move(why);
    return st;
  };
  const std::string dir =
      !process_id_directory.empty() && process_id_directory[0] == '/'
          ? process_id_directory
          : queue_directory + "/" + process_id_directory;
  const std::string pid_file = dir + "/master.pid";
  st.pid_file = pid_file;
  struct stat file_st;
  if (stat(pid_file.c_str(), &file_st) != 0) {
    const std::string why = pid_file + ": " + std::strerror(errno);
    struct stat queue_st;
    if (errno == ENOENT && stat(queue_directory.c_str(), &queue_st) == 0) {
      return decide(MasterLiveness::kDown, "pid_file", why);
    }
    return decide(MasterLiveness::kUnknown, "none",
                  why + " (the queue directory is not visible)");
  }
  std::string no_pid;
  st.pid = ReadPid(pid_file, &no_pid);
  int holder = 0;
  const Locks locks = FindLock(proc_root, file_st, &holder);
  if (locks == Locks::kHeld) {
    return decide(
        MasterLiveness::kUp, "lock",
        "process " + std::to_string(holder) + " holds the lock on " + pid_file);
  }
  std::string comm;
  if (st.pid > 0 && IsMaster(proc_root, st.pid, &comm)) {
    return decide(
        MasterLiveness::kUp, "pid",
        pid_file + " names process " + std::to_string(st.pid) + ", a master");
  }
  std::string why = st.pid <= 0 ? no_pid
                    : comm.empty()
                        ? "stale pid file " + pid_file + " (process " +
                              std::to_string(st.pid) + " does not exist)"
                        : "stale pid file " + pid_file + " (process " +
                              std::to_string(st.pid) + " is \"" + comm +
                              "\", not master)";
  if (locks == Locks::kFree) why += "; no process holds its lock";
  if (SeesAllProcesses(proc_root)) {
    return decide(MasterLiveness::kDown, locks == Locks::kFree ? "lock" : "pid",
                  why);
  }
  return decide(MasterLiveness::kUnknown, "none",
                why +
                    " (the exporter runs in a nested pid namespace: a master "
                    "in another one cannot be seen)");
}

}  // namespace mailflow
