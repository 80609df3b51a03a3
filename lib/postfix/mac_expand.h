// $name expansion in Postfix parameter values, a faithful re-implementation
// of Postfix 3.7 mac_parse(3) + mac_expand(3) with MAC_EXP_FLAG_RECURSE and
// the compatibility-level relational operators ("<level" etc.) that
// postconf and the daemons register.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mailflow::postfix {

/// Parameter lookup used during expansion. Find() returns std::nullopt for
/// an undefined parameter (expands to ""; `${name?x}` treats it as empty).
/// The returned view must stay valid for the duration of the expansion.
class MacroLookup {
 public:
  virtual ~MacroLookup() = default;
  virtual std::optional<std::string_view> Find(std::string_view name) const = 0;
};

/// Resource limits. Postfix itself stops at a nesting level above 100
/// ("unreasonable macro call nesting"). The other limits are ours: Postfix
/// crashes (stack overflow) on self-referencing relational expressions and
/// has no bound on exponential expansions such as a=$b$b, b=$c$c, ...
/// Worst-case stack use with the defaults: (1 + max_relational_depth) x 101
/// nesting levels of ~400 bytes: under 256 KiB in a release build (under
/// 1 MiB with ASan at -O0).
struct MacroLimits {
  int max_level = 100;           // Postfix: "mc->level++ > 100"
  int max_relational_depth = 4;  // nested ${{..} op {..}} operand expansions
  size_t max_steps = 200000;     // macro and literal callbacks in total
  size_t max_output = 1 << 20;   // bytes of expanded text
};

/// Expands `pattern` recursively: $name, ${name}, $(name), ${name?text},
/// ${name:text}, ${name?{text}:{text}}, ${{a} == {b} ? {t} : {f}} (also !=,
/// <, <=, >, >=, numeric when both sides are all digits, and the `level`
/// suffix comparing compatibility levels), and $$ for a literal '$'.
/// Returns true and the result in *out on success. On a syntax error or an
/// exceeded limit returns false, sets *error to the first diagnostic in
/// Postfix's wording (e.g. `unreasonable macro call nesting: "a"`) and
/// leaves *out unspecified.
/// REQUIRES: out != nullptr, error != nullptr.
/// Thread-safe if `lookup` is (no shared state).
bool MacExpand(std::string_view pattern, const MacroLookup& lookup,
               std::string* out, std::string* error,
               const MacroLimits& limits = MacroLimits());

}  // namespace mailflow::postfix
