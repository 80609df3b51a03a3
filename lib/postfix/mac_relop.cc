#include "lib/postfix/mac_relop.h"

#include <cerrno>
#include <climits>
#include <cstdlib>

namespace mailflow::postfix {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Strict decimal conversion of an all-digit string; false on overflow.
bool DigitsToLong(std::string_view s, long* out) {
  long v = 0;
  for (char c : s) {
    int d = c - '0';
    if (v > (LONG_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// strtol() on a view, with Postfix's "start < remainder" and ERANGE checks.
bool ParseLongPrefix(std::string_view s, long* value, size_t* consumed) {
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  *value = std::strtol(copy.c_str(), &end, 10);
  *consumed = static_cast<size_t>(end - copy.c_str());
  return *consumed > 0 && errno != ERANGE;
}

bool Compare(long delta, RelOp op) {
  switch (op) {
    case RelOp::kEq:
      return delta == 0;
    case RelOp::kNe:
      return delta != 0;
    case RelOp::kLt:
      return delta < 0;
    case RelOp::kLe:
      return delta <= 0;
    case RelOp::kGe:
      return delta >= 0;
    case RelOp::kGt:
      return delta > 0;
    case RelOp::kNone:
      break;
  }
  return false;
}

}  // namespace

RelOp RelOpFromString(std::string_view op) {
  if (op == "==") return RelOp::kEq;
  if (op == "!=") return RelOp::kNe;
  if (op == "<") return RelOp::kLt;
  if (op == "<=") return RelOp::kLe;
  if (op == ">=") return RelOp::kGe;
  if (op == ">") return RelOp::kGt;
  return RelOp::kNone;
}

int EvaluateRelOp(std::string_view left, RelOp op, bool level,
                  std::string_view right, std::string* error) {
  long delta = 0;
  if (level) {
    long left_level = CompatLevelFromString(left);
    long right_level = left_level < 0 ? -1 : CompatLevelFromString(right);
    if (right_level < 0) {
      *error = "malformed compatibility level syntax: \"" +
               std::string(left_level < 0 ? left : right) + "\"";
      return -1;
    }
    delta = left_level - right_level;
  } else if (AllDigits(left) && AllDigits(right)) {
    long l = 0;
    long r = 0;
    bool left_ok = DigitsToLong(left, &l);
    if (!left_ok || !DigitsToLong(right, &r)) {
      *error = "mac_exp_eval: bad conversion: " +
               std::string(left_ok ? right : left);
      return -1;
    }
    delta = l - r;  // both non-negative: no overflow
  } else {
    int c = left.compare(right);
    delta = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return Compare(delta, op) ? 1 : 0;
}

long CompatLevelFromString(std::string_view level) {
  constexpr int kMinorShift = 10;
  constexpr int kMajorShift = 20;
  constexpr long kMaxMinor = 0x3ff;  // also the patch maximum
  long major = 0;
  size_t used = 0;
  if (!ParseLongPrefix(level, &major, &used)) return -1;
  if (major < 0 || major > (LONG_MAX >> kMajorShift)) return -1;
  long result = major << kMajorShift;
  std::string_view rest = level.substr(used);
  if (rest.empty()) return result;
  if (rest[0] != '.') return -1;
  rest.remove_prefix(1);
  long minor = 0;
  if (!ParseLongPrefix(rest, &minor, &used)) return -1;
  if (minor < 0 || minor > kMaxMinor) return -1;
  result |= minor << kMinorShift;
  rest.remove_prefix(used);
  if (rest.empty()) return result;
  if (rest[0] != '.') return -1;
  rest.remove_prefix(1);
  long patch = 0;
  if (!ParseLongPrefix(rest, &patch, &used)) return -1;
  if (used != rest.size() || patch < 0 || patch > kMaxMinor) return -1;
  return result | patch;
}

}  // namespace mailflow::postfix
