#include "exporter/override_flags.h"

#include <CLI/CLI.hpp>

namespace mailflow {

namespace {

std::string FlagName(const OverrideFlag& o) {
  return std::string("--collector.") + o.collector + "." + o.key;
}

}  // namespace

bool OnCommandLine(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (a.substr(0, flag.size()) == flag &&
        (a.size() == flag.size() || a[flag.size()] == '=')) {
      return true;
    }
  }
  return false;
}

std::vector<OverrideFlag> AddOverrideFlags(CLI::App* app) {
  std::vector<OverrideFlag> flags = {
      {"log",
       "source",
       "MAILFLOW_LOG_SOURCE",
       "Where the log collector reads Postfix's log, over the config file's "
       "collectors.log.source.",
       {}},
      {"log",
       "path",
       "MAILFLOW_LOG_PATH",
       "The log file the log collector follows, over the config file's "
       "collectors.log.path.",
       {}},
  };
  for (OverrideFlag& o : flags) {
    app->add_option(FlagName(o), o.value, o.help)->envname(o.env);
  }
  return flags;
}

std::vector<CollectorOverride> CollectOverrides(
    const std::vector<OverrideFlag>& flags, int argc, char** argv) {
  std::vector<CollectorOverride> out;
  for (const OverrideFlag& o : flags) {
    if (o.value.empty()) continue;
    const std::string flag = FlagName(o);
    out.push_back({o.collector, o.key, o.value,
                   OnCommandLine(argc, argv, flag)
                       ? flag
                       : std::string("environment variable ") + o.env});
  }
  return out;
}

}  // namespace mailflow
