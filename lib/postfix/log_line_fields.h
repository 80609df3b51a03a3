// The field parsers of Postfix log messages: the key=value fields of a
// delivery line and the stage, code, DSN and reason of a reject.
#pragma once

#include <string_view>

#include "lib/postfix/log_line.h"

namespace mailflow::postfix::log_line {

/// Parses "key=value, key=<value>, ..., status=word (reason)" of a delivery
/// line `msg` into `out`'s delivery fields (recipient, relay, delays, DSN,
/// status, reason). Returns false when `msg` is not made of key=value
/// fields ending with a known status= word; `out` may then be partly filled.
///
/// The fields of `*out` are views into `msg`, which must outlive them.
/// REQUIRES: `out` not null. Pure, no allocation: thread-safe.
bool ParseDelivery(std::string_view msg, LogLine* out);

/// Parses the reject text after "reject: " into `out` (stage, client,
/// code, DSN, reason, reject class), setting out->event to kReject first:
///   "STAGE from HOST[ADDR]: CODE DSN TEXT" (smtpd, postscreen),
///   "header|body VALUE from HOST[ADDR]; from=<...> ...: DSN TEXT" (cleanup),
///   "END-OF-MESSAGE from HOST[ADDR]: DSN TEXT" (milter-reject).
/// Returns false when `rest` has none of these shapes (`out` partly filled).
///
/// The fields of `*out` are views into `rest`, which must outlive them.
/// REQUIRES: `out` not null. Pure, no allocation: thread-safe.
bool ParseReject(std::string_view rest, LogLine* out);

}  // namespace mailflow::postfix::log_line
