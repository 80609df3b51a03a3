// MainCf: Postfix main.cf, parsed as Postfix 3.7 (Debian 12) reads it.
// Pure: text in, parameters and problems out; no I/O, no Prometheus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/postfix/config_problem.h"

namespace mailflow::postfix {

/// `-o name=value` settings of a master.cf service, in command-line order.
using ParamOverrides = std::vector<std::pair<std::string, std::string>>;

/// A parameter as written in main.cf, for the evidence of a finding:
/// "inet_interfaces = loopback-only" at line 12 (line 0: not set, `value`
/// is Postfix's default, expanded).
struct MainCfParam {
  std::string name;
  std::string value;
  int line = 0;
};

/// The parameters of one main.cf plus Postfix's built-in defaults.
///
/// Parsing follows Postfix: logical lines as readllines() builds them (see
/// logical_lines.h), then "name = value" split as split_nameval() does
/// (whitespace around name, '=' and value trimmed; any non-blank name is
/// accepted). A bad line is recorded as a problem and skipped; parsing goes
/// on (postconf would stop). A later definition overrides an earlier one
/// (with a warning when the value differs, like Postfix).
///
/// Thread-safety: immutable after Parse(); const methods are safe to call
/// from several threads.
class MainCf {
 public:
  /// An empty main.cf: every parameter has its built-in default.
  MainCf() = default;

  /// Parses `text`; `source` (the file path) names the file in messages.
  static MainCf Parse(std::string_view text, std::string source);

  const std::string& source() const { return source_; }
  const std::vector<ConfigProblem>& problems() const { return problems_; }
  /// "SOURCE:LINE: message".
  std::string FormatProblem(const ConfigProblem& problem) const;

  /// True when main.cf sets `name` explicitly.
  bool IsSet(std::string_view name) const;
  /// Line of the (last) definition of `name`, or 0 when not set.
  int LineOf(std::string_view name) const;
  /// `name` as written (Raw()) and its line; when main.cf does not set
  /// it, line 0 and the default as it applies (Get()).
  MainCfParam AsWritten(std::string_view name) const;
  /// Names set explicitly in main.cf, sorted.
  std::vector<std::string> SetNames() const;

  /// Raw value as written (continuation lines appended verbatim), else the
  /// built-in default, else "" for a parameter this table does not know.
  std::string Raw(std::string_view name) const;

  /// Fully expanded value of `name` (see mac_expand.h for the syntax).
  /// Names neither set nor known expand to "". On an expansion error
  /// (syntax, nesting deeper than 100 levels, a reference cycle) returns ""
  /// and, if `err` is not null, sets *err to Postfix's diagnostic, e.g.
  /// `unreasonable macro call nesting: "a"`; otherwise clears *err.
  std::string Get(std::string_view name, std::string* err = nullptr) const;

  /// Like Get(), but as a master.cf service sees it: `overrides` (-o
  /// name=value, last one wins) take precedence over main.cf for `name` and
  /// for every $name referenced while expanding (postconf -Px semantics).
  std::string GetWithOverrides(std::string_view name,
                               const ParamOverrides& overrides,
                               std::string* err = nullptr) const;

  /// Expands arbitrary text against this configuration (and `overrides`,
  /// if given). Same error contract as Get().
  std::string Expand(std::string_view text, std::string* err = nullptr,
                     const ParamOverrides* overrides = nullptr) const;

  /// Built-in default of `name` (Postfix 3.7 as shipped in Debian 12,
  /// unexpanded), or nullopt when not in our table. Parameters whose
  /// default Postfix computes at run time (myhostname, mydomain,
  /// mynetworks) default to "" here.
  static std::optional<std::string_view> Default(std::string_view name);

  /// Splits a list value as Postfix does: separators are whitespace and
  /// commas; a `{ ... }` group (braces kept) is one item even with blanks.
  static std::vector<std::string> SplitList(std::string_view value);

  /// Converts a Postfix time value ("5d", "3600s", "1h", "2w", "30m", or a
  /// bare number in `default_unit`) to seconds, exactly as conv_time():
  /// one optional lower-case unit letter, result must fit in an int.
  static bool ParseTimeValue(std::string_view value, char default_unit,
                             int64_t* seconds);

 private:
  struct Param {
    std::string value;
    int line = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>()(s);
    }
  };
  class Lookup;

  std::optional<std::string_view> Find(std::string_view name) const;
  void ParseLine(int line, std::string_view text);

  std::string source_;
  std::unordered_map<std::string, Param, Hash, std::equal_to<>> params_;
  std::vector<ConfigProblem> problems_;
};

}  // namespace mailflow::postfix
