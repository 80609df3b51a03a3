// Logical lines of Postfix configuration files, exactly as Postfix's
// readllines() (util/readlline.c) builds them for main.cf and master.cf.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/postfix/config_problem.h"

namespace mailflow::postfix {

/// One logical line: a physical line that starts with non-whitespace plus
/// the continuation lines (starting with whitespace) that follow it.
/// Continuation text is appended verbatim (Postfix keeps the leading
/// whitespace; only `postconf` output collapses it). Lines whose first
/// non-whitespace character is '#' and whitespace-only lines are dropped and
/// neither end nor join a logical line. The text never contains '\n' or NUL.
struct LogicalLine {
  int first_line = 0;  // 1-based physical line where the logical line starts
  int last_line = 0;   // 1-based physical line where it ends
  std::string text;
};

/// True for the bytes Postfix's ISSPACE() accepts: space, \t, \n, \v, \f, \r.
inline bool IsPostfixSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

/// True for ASCII letters and digits (Postfix ISALNUM in the C locale).
inline bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

/// Splits `text` into logical lines. Appends warnings to `problems`:
///  - a logical line that starts with whitespace (no preceding text) is
///    dropped: `logical line must not start with whitespace: "..."`;
///  - a NUL byte truncates its logical line (Postfix treats lines as C
///    strings): `text after null byte is ignored`.
/// REQUIRES: problems != nullptr. Thread-safe (pure function).
std::vector<LogicalLine> ReadLogicalLines(std::string_view text,
                                          std::vector<ConfigProblem>* problems);

/// split_nameval(): splits "name = value" (whitespace around the name, '='
/// and the value is trimmed). On success returns nullptr and sets *name and
/// *value (views into `text`); on failure returns Postfix's reason:
/// "missing attribute name" or "missing '=' after attribute name".
const char* SplitNameValue(std::string_view text, std::string_view* name,
                           std::string_view* value);

/// mystrtokq(&s, separators, "{}"): splits `s` into tokens at any run of the
/// `separators` characters, except inside (possibly nested) `{ ... }` groups,
/// which stay in their token with their braces. An unbalanced '{' extends its
/// token to the end. Returns views into `s`. Thread-safe (pure function).
std::vector<std::string_view> SplitOutsideBraces(std::string_view s,
                                                 std::string_view separators);

/// Quotes file text for a problem message: at most `max_len` bytes, then
/// "..." if longer; control characters are escaped (\t, \r, \xNN) so that a
/// message is always one printable line. Returns the text with the quotes.
std::string QuoteExcerpt(std::string_view text, size_t max_len = 100);

}  // namespace mailflow::postfix
