// `collectors: listen:` options: ListenOptions and its parser.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace mailflow {

/// What the listen collector compares. Plain value; copy freely.
struct ListenOptions {
  /// The SMTP ports watched (smtp_ports).
  std::vector<int64_t> ports;
  std::string proc;  // paths.proc
  /// The default instance's config directory (paths.postfix_config_directory).
  std::string postfix_config_directory;
  /// Names the process owning each listening socket (`resolve_owners`).
  bool resolve_owners = true;
};

/// Reads `collectors: listen:` (`m`) and the paths it needs from `config`
/// into `*out` (which starts at the defaults). Every key is read and unknown
/// keys are errors. False with `*err` = "FILE:LINE:COL: ..." on bad input.
/// Pure: touches no file.
bool ParseListenOptions(const Config& config, ConfigMap m, ListenOptions* out,
                        std::string* err);

}  // namespace mailflow
