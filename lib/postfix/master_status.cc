#include "lib/postfix/master_status.h"

#include "lib/base/file_util.h"

namespace mailflow {

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

MasterStatus ReadMasterStatus(const std::string& queue_directory,
                              const std::string& process_id_directory,
                              const std::string& proc_root) {
  MasterStatus st;
  const std::string dir =
      !process_id_directory.empty() && process_id_directory[0] == '/'
          ? process_id_directory
          : queue_directory + "/" + process_id_directory;
  const std::string pid_file = dir + "/master.pid";
  std::string text, err;
  if (!ReadWholeFile(pid_file, &text, &err, 4096)) {
    st.detail = err;
    return st;
  }
  if (!ParseMasterPid(text, &st.pid)) {
    st.detail = pid_file + ": no process id in pid file";
    return st;
  }
  const std::string pid = std::to_string(st.pid);
  std::string comm;
  if (!ReadWholeFile(proc_root + "/" + pid + "/comm", &comm, &err, 4096)) {
    st.detail =
        "stale pid file " + pid_file + " (process " + pid + " does not exist)";
    return st;
  }
  comm = comm.substr(0, comm.find('\n'));
  if (comm != "master") {
    st.detail = "stale pid file " + pid_file + " (process " + pid + " is \"" +
                comm + "\", not master)";
    return st;
  }
  st.running = true;
  return st;
}

}  // namespace mailflow
