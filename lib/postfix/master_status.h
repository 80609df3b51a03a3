// Whether the Postfix master process of an instance is running.
#pragma once

#include <string>

namespace mailflow {

struct MasterStatus {
  bool running = false;
  int pid = 0;
  /// Why not running: "no pid file", "stale pid file (pid 123)", ...
  std::string detail;
  /// The pid file read.
  std::string pid_file;
};

/// Reads QUEUE_DIR/PID_DIR/master.pid (PID_DIR relative to the queue
/// directory unless absolute, as Postfix's process_id_directory) and checks
/// that PROC_ROOT/PID exists and its comm is "master". Thread-safe.
MasterStatus ReadMasterStatus(const std::string& queue_directory,
                              const std::string& process_id_directory,
                              const std::string& proc_root);

}  // namespace mailflow
