// Flags and environment variables that set a collector option over the
// config file (for containers: docker run -e, Kubernetes env).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace mailflow {

/// One `--collector.COLLECTOR.KEY` flag and its environment variable.
struct OverrideFlag {
  const char* collector;
  const char* key;
  const char* env;
  const char* help;
  std::string value;  // set by CLI11 while parsing; empty: not given
};

/// Registers --collector.log.source and --collector.log.path (and their
/// variables MAILFLOW_LOG_SOURCE, MAILFLOW_LOG_PATH) on `app`; their values
/// land in the returned flags when `app` parses.
/// REQUIRES: the result's elements stay where they are (no resize, no copy
/// of the vector kept instead) until app->parse() returns: CLI11 keeps
/// pointers to each value. Moving the vector keeps them in place.
std::vector<OverrideFlag> AddOverrideFlags(CLI::App* app);

/// The override flags that were given, each naming where it came from
/// ("--collector.log.path" when `argv` has it, else "environment variable
/// MAILFLOW_LOG_PATH"): errors about the value name that origin.
std::vector<CollectorOverride> CollectOverrides(
    const std::vector<OverrideFlag>& flags, int argc, char** argv);

/// Whether `flag` is on the command line (as "FLAG VALUE" or "FLAG=VALUE",
/// before any "--"), as opposed to set through its environment variable.
bool OnCommandLine(int argc, char** argv, std::string_view flag);

}  // namespace mailflow
