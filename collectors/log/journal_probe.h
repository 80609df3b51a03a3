// Whether a systemd journal holds Postfix entries (for `source: auto`).
#pragma once

#include <string>

namespace mailflow::log_collector {

/// True when the journal (`directory`, or the local system journal when
/// empty) has an entry whose SYSLOG_IDENTIFIER starts with "postfix"
/// (postfix/smtpd, postfix-out/qmgr, ...): the field's index is read, not
/// the entries. False with *err set when the journal cannot be opened.
/// Thread-safe (opens its own journal handle).
bool JournalHasPostfixEntries(const std::string& directory, std::string* err);

}  // namespace mailflow::log_collector
