#include "collectors/log/journal_source.h"

#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include <utility>

namespace mailflow::log {
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

}  // namespace

JournalSource::JournalSource(std::string directory, bool start_at_end)
    : directory_(std::move(directory)), start_at_end_(start_at_end) {}

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
    *err = "open journal " + (directory_.empty() ? std::string("(system)") : directory_) +
           ": " + strerror(-r);
    return false;
  }
  // Large messages are not expected; keep the data threshold small.
  sd_journal_set_data_threshold(j_, 64 << 10);
  if (!cursor_.empty()) {
    // Reopened after an error: continue after the last entry handed out.
    if (sd_journal_seek_cursor(j_, cursor_.c_str()) >= 0 && sd_journal_next(j_) > 0 &&
        sd_journal_test_cursor(j_, cursor_.c_str()) <= 0) {
      sd_journal_previous(j_);  // the cursor's entry is gone; do not skip another
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

long JournalSource::Poll(const Sink& sink, size_t max_entries, std::string* err) {
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
    if (!GetField(j_, "SYSLOG_IDENTIFIER", &ident) || ident.substr(0, 7) != "postfix") {
      ++skipped_;
      continue;
    }
    // Views point into sd-journal's buffers, valid until the next
    // get_data call: copy the identifier first.
    std::string id(ident);
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

}  // namespace mailflow::log
