// Checks the copies of system files a chrooted Postfix service needs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lib/base/file_util.h"

namespace mailflow {

struct ChrootFileState {
  std::string file;      // relative to the jail: "etc/resolv.conf"
  bool missing = false;  // the host has it, the jail does not
  bool stale = false;    // both exist, contents differ
};

/// The files Postfix's chrooted daemons read from the jail (the list of
/// Debian's postfix-instance-generator / init script).
const std::vector<std::string>& ChrootJailFiles();

/// Compares QUEUE_DIRECTORY/FILE with HOST_ETC/../FILE (host_etc is the
/// host's /etc) for every jail file the host has. Symlinks are followed.
/// A comparison is remembered while both files keep their identity
/// (FileIdentity, settled), so an unchanged jail costs two stat calls per
/// file and no read. Not thread-safe: one per collector.
class ChrootCheck {
 public:
  std::vector<ChrootFileState> Check(const std::string& queue_directory,
                                     const std::string& host_etc);

 private:
  struct Seen {
    FileIdentity host, jail;
    bool host_exists = false;
    ChrootFileState state;
  };
  // Compares one file; false when the host has no such file.
  static bool Compare(const std::string& host_path,
                      const std::string& jail_path, ChrootFileState* st);

  std::map<std::string, Seen> seen_;  // by jail path
};

}  // namespace mailflow
