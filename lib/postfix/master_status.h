// Whether the Postfix master process of an instance runs, decided without
// trusting the pid in its pid file alone (the master may run in another pid
// namespace: a container beside the exporter).
#pragma once

#include <string>
#include <string_view>

namespace mailflow {

enum class MasterLiveness { kUp, kDown, kUnknown };

/// "up", "down", "unknown".
const char* MasterLivenessName(MasterLiveness liveness);

struct MasterStatus {
  MasterLiveness liveness = MasterLiveness::kUnknown;
  /// How it was decided: "lock" (the flock a running master holds on its
  /// pid file, seen in /proc/locks), "pid" (the pid file's pid is a live
  /// process called master here), "pid_file" (no pid file: down), "none"
  /// (undecidable).
  std::string method = "none";
  bool running = false;  // liveness == kUp
  int pid = 0;           // from the pid file (its own pid namespace's)
  /// What was seen: "no process holds the lock on PATH", ...
  std::string detail;
  /// The pid file read.
  std::string pid_file;
};

/// Parses the text of a master.pid file (Postfix writes the pid padded with
/// spaces and a newline: "%*lu\n"): leading blanks, then digits, then
/// optional whitespace and nothing else. False for anything else, for 0 and
/// for pids above 2^30. Pure; thread-safe.
bool ParseMasterPid(std::string_view text, int* pid);

/// Decides QUEUE_DIR/PID_DIR/master.pid's master (PID_DIR relative to the
/// queue directory unless absolute, as Postfix's process_id_directory):
/// 1. No pid file in a visible queue directory: down. A queue directory
///    that cannot be seen at all: unknown.
/// 2. A lock on the pid file in PROC_ROOT/locks (matched by the file's
///    device and inode): up. master(8) holds an exclusive flock on it for
///    its whole life, and the kernel lists the lock whatever pid namespace
///    the master is in, as long as that is the exporter's or a child of it.
/// 3. Else the pid file's pid is a live process named master in
///    PROC_ROOT: up.
/// 4. Else down when the exporter sees every process (it is in the initial
///    pid namespace: PROC_ROOT/self/ns/pid is the kernel's initial one),
///    unknown otherwise (a master in a sibling namespace is invisible).
/// The pid file is read as a regular file only (a FIFO there cannot block).
/// Thread-safe.
MasterStatus ReadMasterStatus(const std::string& queue_directory,
                              const std::string& process_id_directory,
                              const std::string& proc_root);

}  // namespace mailflow
