// Helpers for the Postfix parser tests: fixture files and the recorded
// answers of the real postconf (tests/fixtures/postfix/regen_postconf.sh).
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailflow::postfix::testing {

/// Directory of the Postfix fixtures (set by tests/unit/postfix/CMakeLists).
inline std::string FixturePath(std::string_view relative) {
  return std::string(MAILFLOW_POSTFIX_FIXTURE_DIR) + "/" +
         std::string(relative);
}

/// Whole file as bytes (NUL and CR kept); "" if it cannot be read.
inline std::string ReadFixture(std::string_view relative) {
  std::ifstream in(FixturePath(relative), std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// postconf's output normalization (pcf_print_line): words separated by
/// single spaces, no leading or trailing whitespace.
inline std::string NormalizeWhitespace(std::string_view text) {
  std::string out;
  size_t i = 0;
  auto is_sep = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  while (i < text.size()) {
    while (i < text.size() && is_sep(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_sep(text[i])) ++i;
    if (i > start) {
      if (!out.empty()) out += ' ';
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

/// "name = value" lines of a postconf answer file (postconf -n, -F, -P), in
/// file order; lines without " =" are skipped.
inline std::vector<std::pair<std::string, std::string>> ReadPostconfLines(
    std::string_view relative) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::istringstream in(ReadFixture(relative));
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find(" =");
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 2);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    lines.emplace_back(line.substr(0, eq), value);
  }
  return lines;
}

/// The same lines by name (the last one wins).
inline std::map<std::string, std::string> ReadPostconfAnswers(
    std::string_view relative) {
  std::map<std::string, std::string> answers;
  for (auto& [name, value] : ReadPostconfLines(relative)) {
    answers[name] = std::move(value);
  }
  return answers;
}

}  // namespace mailflow::postfix::testing
