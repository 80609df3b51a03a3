#include "collectors/log/auto_source.h"

#include <sys/stat.h>

#include "collectors/log/journal_probe.h"

namespace mailflow::log_collector {

AutoSource ChooseAutoSource(const std::string& path,
                            const std::string& journal_directory) {
  AutoSource a;
  struct stat st;
  std::string err;
  if (stat(path.c_str(), &st) == 0) {
    a.source = LogSource::kFile;
    a.why = path + " exists";
  } else if (JournalHasPostfixEntries(journal_directory, &err)) {
    a.source = LogSource::kJournal;
    a.why = path + " does not exist, the journal has Postfix entries";
  } else {
    a.why = "no " + path +
            (err.empty() ? " and no Postfix entries in the journal"
                         : " and " + err);
  }
  return a;
}

}  // namespace mailflow::log_collector
