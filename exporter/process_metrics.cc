#include "exporter/process_metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "collectors/common/metrics.h"

namespace mailflow {

namespace {

struct ProcStat {
  double cpu = 0, start_since_boot = 0, vsize = 0, rss = 0;
};

// One read() of /proc/self/stat; no iostreams (this runs every scrape).
bool ReadStat(ProcStat* s) {
  char buf[1024];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  // Fields after the command name, which is in parentheses.
  std::string_view line(buf, static_cast<size_t>(n));
  size_t close_paren = line.rfind(')');
  if (close_paren == std::string_view::npos) return false;
  // Field 3 (state) follows ") "; utime=14, stime=15, starttime=22,
  // vsize=23, rss=24 (1-based in proc(5)).
  const char* p = buf + close_paren + 2;
  double f[25] = {};
  for (int field = 3; field <= 24 && *p; ++field) {
    while (*p == ' ') ++p;
    f[field] = field == 3 ? 0 : std::strtod(p, nullptr);
    while (*p && *p != ' ') ++p;
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s->cpu = (f[14] + f[15]) / ticks;
  s->start_since_boot = f[22] / ticks;
  s->vsize = f[23];
  s->rss = f[24] * static_cast<double>(sysconf(_SC_PAGESIZE));
  return true;
}

// The boot time does not change: /proc/stat (long on many-core hosts) is
// read once.
double BootTime() {
  static const double boot = [] {
    double value = -1;
    FILE* f = std::fopen("/proc/stat", "re");
    if (!f) return value;
    char line[256];
    while (std::fgets(line, sizeof(line), f)) {
      if (std::string_view(line).starts_with("btime ")) {
        value = std::strtod(line + 6, nullptr);
        break;
      }
    }
    std::fclose(f);
    return value;
  }();
  return boot;
}

int OpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory handle itself
}

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec * 1e-6; }

}  // namespace

void AppendProcessMetrics(std::vector<prometheus::MetricFamily>* out) {
  ProcStat s;
  if (ReadStat(&s)) {
    FamilyBuilder(out, "process_cpu_seconds_total",
                  "Total user and system CPU time spent in seconds.",
                  prometheus::MetricType::Counter)
        .Add({}, s.cpu);
    AddGauge(out, "process_resident_memory_bytes",
             "Resident memory size in bytes.", s.rss);
    AddGauge(out, "process_virtual_memory_bytes",
             "Virtual memory size in bytes.", s.vsize);
    if (const double boot = BootTime(); boot >= 0) {
      AddGauge(out, "process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.",
               boot + s.start_since_boot);
    }
  }
  int fds = OpenFds();
  if (fds >= 0) {
    AddGauge(out, "process_open_fds", "Number of open file descriptors.", fds);
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    AddGauge(out, "process_max_fds", "Maximum number of open file descriptors.",
             static_cast<double>(lim.rlim_cur));
  }
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double ReapedChildrenCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return Seconds(ru.ru_utime) + Seconds(ru.ru_stime);
}

}  // namespace mailflow
