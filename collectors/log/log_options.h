// `collectors: log:` options: LogOptions and its parser.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace mailflow {

/// Where the log collector reads Postfix's log from.
enum class LogSource { kAuto, kFile, kJournal, kStdin };

/// What the log collector follows. Plain value; copy freely.
struct LogOptions {
  /// The default Postfix instance: its multi_instance_directories name the
  /// others, whose syslog_names attribute lines to them.
  std::string postfix_config_directory = "/etc/postfix";
  LogSource source = LogSource::kAuto;
  std::string source_name = "auto";  // as configured, for /metrics
  std::string path = "/var/log/mail.log";
  bool start_at_end = true;
  std::string journal_directory;
  /// journal: the senders (_UID) whose Postfix-tagged entries count.
  std::vector<uint32_t> journal_trusted_uids;
  /// Set when the default trusted users could not all be resolved here (a
  /// container without a postfix user): entries are then trusted by their
  /// tag alone, and the collector says so once.
  std::string journal_trust_note;
  int64_t greylist_tracking_max = 10000;
  std::chrono::milliseconds poll_interval{250};
  /// source auto: how often to look again while neither source is there.
  std::chrono::milliseconds auto_interval{30000};
};

/// Reads `collectors: log:` (`m`) and the paths it needs from `config` into
/// `*out` (which starts at the defaults). Every key is read and unknown keys
/// are errors. False with `*err` = "FILE:LINE:COL: ..." on bad input.
/// Reads only this host's user database (journal_trusted_users names).
bool ParseLogOptions(const Config& config, ConfigMap m, LogOptions* out,
                     std::string* err);

}  // namespace mailflow
