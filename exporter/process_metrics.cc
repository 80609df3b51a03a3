#include "exporter/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "collectors/common/metrics.h"

namespace mailflow {

namespace {

bool ReadStat(double* cpu, double* start_since_boot, double* vsize,
              double* rss) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  // Fields after the command name, which is in parentheses.
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream ss(line.substr(close + 2));
  std::string field;
  std::vector<std::string> f;
  while (ss >> field) f.push_back(field);
  // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23,
  // rss=24 (1-based in proc(5)).
  if (f.size() < 22) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  *cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  *start_since_boot = std::stod(f[19]) / ticks;
  *vsize = std::stod(f[20]);
  *rss = std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return true;
}

bool BootTime(double* boot) {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") return static_cast<bool>(in >> *boot);
    in.ignore(1 << 20, '\n');
  }
  return false;
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

}  // namespace

void AppendProcessMetrics(std::vector<prometheus::MetricFamily>* out) {
  double cpu = 0, start = 0, vsize = 0, rss = 0, boot = 0;
  if (ReadStat(&cpu, &start, &vsize, &rss)) {
    FamilyBuilder(out, "process_cpu_seconds_total",
                  "Total user and system CPU time spent in seconds.",
                  prometheus::MetricType::Counter)
        .Add({}, cpu);
    AddGauge(out, "process_resident_memory_bytes",
             "Resident memory size in bytes.", rss);
    AddGauge(out, "process_virtual_memory_bytes",
             "Virtual memory size in bytes.", vsize);
    if (BootTime(&boot)) {
      AddGauge(out, "process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.",
               boot + start);
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

}  // namespace mailflow
