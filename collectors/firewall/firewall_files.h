// Small file checks of the firewall collector's readers.
#pragma once

#include <sys/stat.h>

#include <string>

#include "lib/base/file_util.h"

namespace mailflow::firewall_collector {

/// Whether `path` exists (stat succeeds).
inline bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

/// The file's text, "" when it cannot be read (at most 4 MiB).
inline std::string ReadOrEmpty(const std::string& path) {
  std::string s, err;
  if (!ReadWholeFile(path, &s, &err, 4 << 20)) s.clear();
  return s;
}

}  // namespace mailflow::firewall_collector
