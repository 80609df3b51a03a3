// JournalSource: Postfix messages from the systemd journal (sd-journal).
// Entries whose SYSLOG_IDENTIFIER starts with "postfix" (postfix/smtp,
// postfix-out/qmgr, postfix/submission/smtpd) are handed out; units
// postfix*.service log under those identifiers too. The identifier is the
// sender's say-so (`logger -t postfix/smtp` sets it), so by default an
// entry must also come from a trusted sender: journald records the sending
// process's uid in _UID, a field no client can set. Postfix's daemons run
// as root (master) or mail_owner (postfix); a user's logger, or a command
// that local(8) or pipe(8) runs for a recipient (as that recipient, in
// Postfix's unit), is neither. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

struct sd_journal;

namespace mailflow::log_collector {

class JournalSource {
 public:
  using Sink = std::function<void(std::string_view identifier,
                                  std::string_view message)>;

  /// `directory` empty: the local system journal; otherwise the journal
  /// files in that directory (also files created there later).
  /// `trusted_uids`: the _UID values accepted; empty: any sender (journals
  /// from another host, whose uids mean nothing here).
  JournalSource(std::string directory, bool start_at_end,
                std::vector<uint32_t> trusted_uids = {});
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
  /// Entries with a Postfix identifier from an untrusted sender (or none
  /// recorded), dropped.
  uint64_t untrusted() const { return untrusted_; }

 private:
  bool TrustedSender();  // of the current entry

  std::string directory_;
  bool start_at_end_;
  bool first_open_ = true;
  sd_journal* j_ = nullptr;
  std::vector<uint32_t> trusted_uids_;
  uint64_t skipped_ = 0;
  uint64_t untrusted_ = 0;
  std::string cursor_;  // of the last entry read, for reopening
};

/// The uid of `user`: a number, or a name in this host's user database.
bool LookupUid(const std::string& user, uint32_t* uid);

}  // namespace mailflow::log_collector
