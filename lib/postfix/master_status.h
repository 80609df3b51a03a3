// Whether the Postfix master process of an instance is running.
#pragma once

#include <string>
#include <string_view>

namespace mailflow {

struct MasterStatus {
  bool running = false;
  int pid = 0;
  /// Why not running: "no pid file", "stale pid file (pid 123)", ...
  std::string detail;
};

/// Parses the text of a master.pid file (Postfix writes the pid padded with
/// spaces and a newline: "%*lu\n"): leading blanks, then digits, then
/// optional whitespace and nothing else. False for anything else, for 0 and
/// for pids above 2^30. Pure; thread-safe.
bool ParseMasterPid(std::string_view text, int* pid);

/// Reads QUEUE_DIR/PID_DIR/master.pid (PID_DIR relative to the queue
/// directory unless absolute, as Postfix's process_id_directory) and checks
/// that PROC_ROOT/PID exists and its comm is "master". The pid file is
/// read as a regular file only (a FIFO there cannot block). Thread-safe.
MasterStatus ReadMasterStatus(const std::string& queue_directory,
                              const std::string& process_id_directory,
                              const std::string& proc_root);

}  // namespace mailflow
