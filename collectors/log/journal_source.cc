#include "collectors/log/journal_source.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include <algorithm>
#include <utility>

namespace mailflow::log_collector {
namespace {

// Value of FIELD=value data, or empty.
bool GetField(sd_journal* j, const char* field, std::string_view* out) {
  const void* data = nullptr;
  size_t len = 0;
  if (sd_journal_get_data(j, field, &data, &len) < 0) return false;
  std::string_view d(static_cast<const char*>(data), len);
  const size_t eq = d.find('=');
  if (eq == std::string_view::npos) return false;
  *out = d.substr(eq + 1);
  return true;
}

bool ParseUid(std::string_view s, uint32_t* uid) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return false;
  *uid = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

bool LookupUid(const std::string& user, uint32_t* uid) {
  if (ParseUid(user, uid)) return true;
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwnam_r(user.c_str(), &pw, buf, sizeof(buf), &found) != 0 || !found) {
    return false;
  }
  *uid = found->pw_uid;
  return true;
}

JournalSource::JournalSource(std::string directory, bool start_at_end,
                             std::vector<uint32_t> trusted_uids)
    : directory_(std::move(directory)),
      start_at_end_(start_at_end),
      trusted_uids_(std::move(trusted_uids)) {}

bool JournalSource::TrustedSender() {
  if (trusted_uids_.empty()) return true;
  std::string_view uid_text;
  uint32_t uid = 0;
  if (!GetField(j_, "_UID", &uid_text) || !ParseUid(uid_text, &uid)) {
    return false;  // no trusted uid recorded: not from a local process
  }
  return std::find(trusted_uids_.begin(), trusted_uids_.end(), uid) !=
         trusted_uids_.end();
}

JournalSource::~JournalSource() {
  if (j_) sd_journal_close(j_);
}

bool JournalSource::Open(std::string* err) {
  if (j_) return true;
  int r;
  if (directory_.empty()) {
    r = sd_journal_open(&j_, SD_JOURNAL_LOCAL_ONLY);
  } else {
    r = sd_journal_open_directory(&j_, directory_.c_str(), 0);
  }
  if (r < 0) {
    j_ = nullptr;
    *err = "open journal " +
           (directory_.empty() ? std::string("(system)") : directory_) + ": " +
           strerror(-r);
    return false;
  }
  // Large messages are not expected; keep the data threshold small.
  sd_journal_set_data_threshold(j_, 64 << 10);
  if (!cursor_.empty()) {
    // Reopened after an error: continue after the last entry handed out.
    if (sd_journal_seek_cursor(j_, cursor_.c_str()) >= 0 &&
        sd_journal_next(j_) > 0 &&
        sd_journal_test_cursor(j_, cursor_.c_str()) <= 0) {
      sd_journal_previous(
          j_);  // the cursor's entry is gone; do not skip another
    }
  } else if (first_open_ && start_at_end_) {
    sd_journal_seek_tail(j_);
    // Position on the last entry so that the next sd_journal_next() returns
    // only entries added afterwards.
    sd_journal_previous(j_);
  } else {
    sd_journal_seek_head(j_);
  }
  first_open_ = false;
  return true;
}

long JournalSource::Poll(const Sink& sink, size_t max_entries,
                         std::string* err) {
  if (!j_) return 0;
  long n = 0;
  while (size_t(n) < max_entries) {
    const int r = sd_journal_next(j_);
    if (r < 0) {
      *err = std::string("read journal: ") + strerror(-r);
      sd_journal_close(j_);
      j_ = nullptr;
      return -1;
    }
    if (r == 0) break;
    ++n;
    std::string_view ident, message;
    if (!GetField(j_, "SYSLOG_IDENTIFIER", &ident) ||
        ident.substr(0, 7) != "postfix") {
      ++skipped_;
      continue;
    }
    // Views point into sd-journal's buffers, valid until the next
    // get_data call: copy the identifier first.
    std::string id(ident);
    if (!TrustedSender()) {
      ++untrusted_;
      continue;
    }
    if (!GetField(j_, "MESSAGE", &message)) {
      ++skipped_;
      continue;
    }
    sink(id, message);
  }
  if (n > 0) {
    char* c = nullptr;
    if (sd_journal_get_cursor(j_, &c) >= 0 && c) {
      cursor_ = c;
      free(c);
    }
  }
  return n;
}

void JournalSource::Wait(std::chrono::milliseconds timeout) {
  if (!j_) return;
  sd_journal_wait(j_, uint64_t(timeout.count()) * 1000);
}

}  // namespace mailflow::log_collector
