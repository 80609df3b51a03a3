// `collectors: postfix:` options: PostfixOptions and its parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "lib/postfix/host_role.h"

namespace mailflow {

/// What the postfix collector reads. Plain value; copy freely.
struct PostfixOptions {
  /// The default instance's config directory (paths.postfix_config_directory).
  std::string config_directory;
  std::string proc;  // paths.proc
  std::string etc;   // paths.etc
  /// The SMTP ports watched (smtp_ports).
  std::vector<int64_t> smtp_ports;
  /// `role:`; unset = auto (guessed from main.cf/master.cf).
  std::optional<postfix::HostRole> role;
};

/// Reads `collectors: postfix:` (`m`) and the paths it needs from `config`
/// into `*out`. Every key is read and unknown keys are errors. False with
/// `*err` = "FILE:LINE:COL: ..." on bad input. Pure: touches no file.
bool ParsePostfixOptions(const Config& config, ConfigMap m, PostfixOptions* out,
                         std::string* err);

}  // namespace mailflow
