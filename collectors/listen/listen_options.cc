#include "collectors/listen/listen_options.h"

namespace mailflow {

bool ParseListenOptions(const Config& config, ConfigMap m, ListenOptions* out,
                        std::string* err) {
  ListenOptions o = *out;
  o.ports = config.smtp_ports;
  o.proc = config.paths.proc;
  o.postfix_config_directory = config.paths.postfix_config_directory;
  if (!m.GetBool("resolve_owners", &o.resolve_owners, err) || !m.Finish(err)) {
    return false;
  }
  *out = std::move(o);
  return true;
}

}  // namespace mailflow
