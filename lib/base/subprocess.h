// RunCommand: runs a program with a fixed argv (posix_spawn, never a shell),
// collects its output, and kills it when the deadline passes.
#pragma once

#include <string>
#include <vector>

#include "lib/base/deadline.h"

namespace mailflow::firewall {

struct CommandResult {
  bool started = false;    // spawn succeeded
  bool timed_out = false;  // killed (SIGKILL) at the deadline
  bool truncated = false;  // output beyond max_output was discarded
  int exit_code = -1;      // exit status, or -1 when killed by a signal
  int signal = 0;
  std::string out, err;
  std::string spawn_error;  // strerror of a failed posix_spawn
};

/// Runs argv[0] (an absolute path) with argv, stdin from /dev/null, an
/// environment of PATH and LC_ALL=C only, no inherited descriptors beyond
/// stdout/stderr pipes. Reads at most `max_output` bytes of each stream.
/// Returns by `deadline` (plus the time to reap a SIGKILLed child).
/// Thread-safe.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         Deadline deadline, size_t max_output = 64 << 20);

}  // namespace mailflow::firewall
