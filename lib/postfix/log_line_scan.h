// Byte-level scanning of Postfix log text on the parser's hot path: ASCII
// digit and case tests and prefix matching on std::string_view, with no
// locale, no allocation and no regex.
#pragma once

#include <cstring>
#include <string_view>

namespace mailflow::postfix::log_line {

using sv = std::string_view;

/// ASCII only (no locale). Pure: thread-safe.
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
/// ASCII lower case of `c`; other bytes unchanged.
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
inline bool StartsWith(sv s, sv p) {
  return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
}
/// Removes prefix `p` from `*s` when `*s` starts with it. REQUIRES: `s` not
/// null. Returns whether it did.
inline bool ConsumePrefix(sv* s, sv p) {
  if (!StartsWith(*s, p)) return false;
  s->remove_prefix(p.size());
  return true;
}

}  // namespace mailflow::postfix::log_line
