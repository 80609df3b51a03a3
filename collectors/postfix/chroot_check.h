// Checks the copies of system files a chrooted Postfix service needs.
#pragma once

#include <string>
#include <vector>

namespace mailflow {

struct ChrootFileState {
  std::string file;  // relative to the jail: "etc/resolv.conf"
  bool missing = false;  // the host has it, the jail does not
  bool stale = false;    // both exist, contents differ
};

/// The files Postfix's chrooted daemons read from the jail (the list of
/// Debian's postfix-instance-generator / init script).
const std::vector<std::string>& ChrootJailFiles();

/// Compares QUEUE_DIRECTORY/FILE with HOST_ETC/../FILE (host_etc is the
/// host's /etc) for every jail file the host has. Symlinks are followed.
/// Thread-safe.
std::vector<ChrootFileState> CheckChrootFiles(const std::string& queue_directory,
                                              const std::string& host_etc);

}  // namespace mailflow
