// JournalSource: Postfix messages from the systemd journal (sd-journal).
// Entries whose SYSLOG_IDENTIFIER starts with "postfix" (postfix/smtp,
// postfix-out/qmgr, postfix/submission/smtpd) are handed out; units
// postfix*.service log under those identifiers too. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

struct sd_journal;

namespace mailflow::log {

class JournalSource {
 public:
  using Sink = std::function<void(std::string_view identifier, std::string_view message)>;

  /// `directory` empty: the local system journal; otherwise the journal
  /// files in that directory (also files created there later).
  JournalSource(std::string directory, bool start_at_end);
  ~JournalSource();
  JournalSource(const JournalSource&) = delete;
  JournalSource& operator=(const JournalSource&) = delete;

  /// Opens the journal if not yet open. Returns false with `*err` set.
  bool Open(std::string* err);
  bool is_open() const { return j_ != nullptr; }
  /// Hands out up to `max_entries` new entries; returns how many were read
  /// (Postfix or not). -1 on error (`*err` set; the journal is closed and
  /// reopened by the next Open()).
  long Poll(const Sink& sink, size_t max_entries, std::string* err);
  /// Waits up to `timeout` for new entries (inotify inside sd-journal).
  void Wait(std::chrono::milliseconds timeout);
  uint64_t skipped() const { return skipped_; }

 private:
  std::string directory_;
  bool start_at_end_;
  bool first_open_ = true;
  sd_journal* j_ = nullptr;
  uint64_t skipped_ = 0;
  std::string cursor_;  // of the last entry read, for reopening
};

}  // namespace mailflow::log
