// AutoSource: which log `source: auto` follows, and why.
#pragma once

#include <string>

#include "collectors/log/log_options.h"

namespace mailflow::log_collector {

/// The outcome of one look for `source: auto`. Value type.
struct AutoSource {
  /// kFile, kJournal, or kAuto when neither is there (yet).
  LogSource source = LogSource::kAuto;
  /// For the exporter's log: "PATH exists", "PATH does not exist, the
  /// journal has Postfix entries", "no PATH and ...".
  std::string why;
};

/// The file `path` when it exists (even if it cannot be read: the follower
/// reports that); else the journal (`journal_directory`, "" = the system
/// journal) when it holds Postfix entries; else none. Reads the file
/// system and the journal's field index. Thread-safe.
AutoSource ChooseAutoSource(const std::string& path,
                            const std::string& journal_directory);

}  // namespace mailflow::log_collector
