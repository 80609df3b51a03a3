#include "lib/base/parse_int.h"

namespace mailflow {

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool ParseInt(std::string_view s, int64_t min, int64_t max, int64_t* out) {
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  // 18 digits cannot overflow int64_t.
  if (s.size() > 18 || !IsDigits(s)) return false;
  int64_t n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  if (negative) n = -n;
  if (n < min || n > max) return false;
  *out = n;
  return true;
}

bool ParseInt(std::string_view s, int min, int max, int* out) {
  int64_t v;
  if (!ParseInt(s, int64_t{min}, int64_t{max}, &v)) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ParseTcpPort(std::string_view s, uint16_t* port) {
  int64_t v;
  if (!ParseInt(s, 1, 65535, &v)) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace mailflow
