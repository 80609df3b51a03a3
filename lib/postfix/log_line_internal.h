// Internal to the Postfix log line parser (log_line*.cc): the string helpers
// of the hot path and the message parsers the header parsing and dispatch
// (log_line.cc) hands a line to: the per-program messages
// (log_line_programs.cc) and the delivery and reject fields
// (log_line_fields.cc). Not a public header.
#pragma once

#include <cstring>
#include <string_view>

#include "lib/postfix/log_line.h"

namespace mailflow::postfix::log_line_internal {

using sv = std::string_view;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool StartsWith(sv s, sv p) {
  return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
}
inline bool ConsumePrefix(sv* s, sv p) {
  if (!StartsWith(*s, p)) return false;
  s->remove_prefix(p.size());
  return true;
}
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

// --- fields (log_line_fields.cc)

// "key=value, key=<value>, ..., status=word (reason)" of a delivery line.
bool ParseDelivery(sv msg, LogLine* out);

// "STAGE from HOST[ADDR]: CODE DSN TEXT" (smtpd, postscreen) or
// "header|body VALUE from HOST[ADDR]; from=<...> ...: DSN TEXT" (cleanup),
// "END-OF-MESSAGE from HOST[ADDR]: DSN TEXT" (milter-reject).
bool ParseReject(sv rest, LogLine* out);

// --- per-program messages (log_line_programs.cc)

bool IsTlsFailure(sv m);
// Messages every daemon may log with or without a queue id.
bool IsCommonNoise(sv m);

void ParseDeliveryAgent(LogLine* out);
void ParseSmtpd(LogLine* out);
void ParsePostscreen(LogLine* out);
void ParseQmgr(LogLine* out);
void ParseCleanup(LogLine* out);

}  // namespace mailflow::postfix::log_line_internal
