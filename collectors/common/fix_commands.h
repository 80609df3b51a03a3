// The commands a finding's fix names, for the instance the exporter watches:
// `postfix reload` for /etc/postfix, `postfix -c DIR reload` for another one.
#pragma once

#include <string>
#include <string_view>

namespace mailflow {

inline constexpr std::string_view kDefaultPostfixConfigDirectory =
    "/etc/postfix";

/// "TOOL ARGS" or "TOOL -c CONFIG_DIRECTORY ARGS" (postfix, postconf,
/// postqueue, postsuper take -c the same way).
inline std::string PostfixTool(std::string_view tool,
                               const std::string& config_directory,
                               std::string_view args) {
  std::string out(tool);
  if (!config_directory.empty() &&
      config_directory != kDefaultPostfixConfigDirectory) {
    out += " -c " + config_directory;
  }
  return out + " " + std::string(args);
}

/// Applies main.cf/master.cf changes that a reload picks up.
inline std::string PostfixReload(const std::string& config_directory) {
  return PostfixTool("postfix", config_directory, "reload");
}

/// Applies what a reload does not: listeners (inet_interfaces, a service
/// failing to bind), inet_protocols.
inline std::string PostfixRestart(const std::string& config_directory) {
  return PostfixTool("postfix", config_directory, "stop") + " && " +
         PostfixTool("postfix", config_directory, "start");
}

}  // namespace mailflow
