// Relational operators of Postfix $name expansion: ${{a} == {b}} and the
// compatibility-level variants (==level, <level, ...). Used by mac_expand.
#pragma once

#include <string>
#include <string_view>

namespace mailflow::postfix {

/// MAC_EXP_OP_TOK_*.
enum class RelOp { kNone, kEq, kNe, kLt, kLe, kGe, kGt };

/// "==", "!=", "<", "<=", ">=", ">" or kNone.
RelOp RelOpFromString(std::string_view op);

/// Compares `left` and `right` like Postfix 3.7: with `level`, as
/// compatibility levels; otherwise numerically when both are all digits,
/// else as byte strings (strcmp). Returns 1 (true), 0 (false), or -1 with
/// Postfix's diagnostic in *error (malformed level, numeric overflow).
/// REQUIRES: op != RelOp::kNone, error != nullptr. Thread-safe.
int EvaluateRelOp(std::string_view left, RelOp op, bool level,
                  std::string_view right, std::string* error);

/// Converts a compatibility level ("2", "3.6", "3.6.1") to a comparable
/// number, as Postfix's compat_level_from_string(); -1 if malformed.
long CompatLevelFromString(std::string_view level);

}  // namespace mailflow::postfix
