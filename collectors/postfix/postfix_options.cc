#include "collectors/postfix/postfix_options.h"

namespace mailflow {

bool ParsePostfixOptions(const Config& config, ConfigMap m, PostfixOptions* out,
                         std::string* err) {
  std::string role = "auto";
  if (!m.GetString("role", &role, err)) return false;
  PostfixOptions o{config.paths.postfix_config_directory, config.paths.proc,
                   config.paths.etc, config.smtp_ports, std::nullopt};
  if (role != "auto") {
    postfix::HostRole r;
    if (!postfix::ParseHostRole(role, &r)) {
      *err = m.Where("role") +
             ": role must be auto, mx, submission or null_client, not \"" +
             role + "\"";
      return false;
    }
    o.role = r;
  }
  if (!m.Finish(err)) return false;
  *out = std::move(o);
  return true;
}

}  // namespace mailflow
