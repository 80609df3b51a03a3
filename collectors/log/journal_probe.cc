#include "collectors/log/journal_probe.h"

#include <string.h>
#include <systemd/sd-journal.h>

#include <string_view>

namespace mailflow::log_collector {

bool JournalHasPostfixEntries(const std::string& directory, std::string* err) {
  sd_journal* j = nullptr;
  const int r = directory.empty()
                    ? sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY)
                    : sd_journal_open_directory(&j, directory.c_str(), 0);
  if (r < 0) {
    *err = "open journal " +
           (directory.empty() ? std::string("(system)") : directory) + ": " +
           strerror(-r);
    return false;
  }
  bool found = false;
  if (sd_journal_query_unique(j, "SYSLOG_IDENTIFIER") >= 0) {
    const void* data = nullptr;
    size_t len = 0;
    constexpr std::string_view kPrefix = "SYSLOG_IDENTIFIER=postfix";
    SD_JOURNAL_FOREACH_UNIQUE(j, data, len) {
      std::string_view v(static_cast<const char*>(data), len);
      if (v.substr(0, kPrefix.size()) == kPrefix) {
        found = true;
        break;
      }
    }
  }
  sd_journal_close(j);
  return found;
}

}  // namespace mailflow::log_collector
