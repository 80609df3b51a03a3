#include "lib/postfix/master_status.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mailflow {

MasterStatus ReadMasterStatus(const std::string& queue_directory,
                              const std::string& process_id_directory,
                              const std::string& proc_root) {
  MasterStatus st;
  const std::string dir =
      !process_id_directory.empty() && process_id_directory[0] == '/'
          ? process_id_directory
          : queue_directory + "/" + process_id_directory;
  const std::string pid_file = dir + "/master.pid";
  st.pid_file = pid_file;
  std::ifstream in(pid_file);
  if (!in) {
    st.detail = pid_file + ": " + std::strerror(errno);
    return st;
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  size_t i = text.find_first_not_of(" \t");
  long pid = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));
       ++i) {
    pid = pid * 10 + (text[i] - '0');
    if (pid > 1 << 30) break;
  }
  if (pid <= 0 || pid > 1 << 30) {
    st.detail = pid_file + ": no process id in pid file";
    return st;
  }
  st.pid = static_cast<int>(pid);
  std::ifstream comm_in(proc_root + "/" + std::to_string(pid) + "/comm");
  std::string comm;
  if (!comm_in || !std::getline(comm_in, comm)) {
    st.detail = "stale pid file " + pid_file + " (process " +
                std::to_string(pid) + " does not exist)";
    return st;
  }
  if (comm != "master") {
    st.detail = "stale pid file " + pid_file + " (process " +
                std::to_string(pid) + " is \"" + comm + "\", not master)";
    return st;
  }
  st.running = true;
  return st;
}

}  // namespace mailflow
