// ConfigProblem: one diagnostic found while parsing a Postfix configuration
// file (main.cf or master.cf). Shared by the pure parsers in this folder.
#pragma once

#include <string>

namespace mailflow::postfix {

/// kError: Postfix itself would refuse this input (postconf or master
/// aborts). kWarning: Postfix accepts it but logs a warning (for example a
/// parameter that overrides an earlier definition).
enum class ProblemSeverity { kError, kWarning };

/// A problem at a 1-based line of a configuration file. For multi-line
/// (continued) logical lines, `line` is where the logical line started.
/// Messages never contain a trailing newline or the file name: use the
/// parser's FormatProblem() to get "source:line: message".
struct ConfigProblem {
  int line = 0;
  std::string message;
  ProblemSeverity severity = ProblemSeverity::kError;
};

}  // namespace mailflow::postfix
