// The program table of the Postfix log parser: which messages each Postfix
// program (delivery agents, smtpd, postscreen, qmgr, cleanup) logs and what
// event each understood message is.
#pragma once

#include <string_view>

#include "lib/postfix/log_line.h"

namespace mailflow::postfix::log_line {

/// A TLS handshake failure message of any program (SSL_connect error, TLS
/// library problem, ...). Pure: thread-safe.
bool IsTlsFailure(std::string_view m);
/// Messages every daemon may log with or without a queue id (statistics,
/// table and dict notices, startup lines). Pure: thread-safe.
bool IsCommonNoise(std::string_view m);

/// Each parser classifies out->message of a line logged by its program:
/// sets out->event (left kUnparsed for a message it does not know) and the
/// event's fields, as views into out->message.
///
/// REQUIRES: `out` not null, its header parsed (program, severity kInfo,
/// queue_id, message). Pure, no allocation: thread-safe.
void ParseDeliveryAgent(LogLine* out);  // smtp, lmtp, local, virtual, pipe...
void ParseSmtpd(LogLine* out);
void ParsePostscreen(LogLine* out);
void ParseQmgr(LogLine* out);
void ParseCleanup(LogLine* out);

}  // namespace mailflow::postfix::log_line
