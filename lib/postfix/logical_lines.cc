#include "lib/postfix/logical_lines.h"

namespace mailflow::postfix {

std::vector<LogicalLine> ReadLogicalLines(
    std::string_view text, std::vector<ConfigProblem>* problems) {
  std::vector<LogicalLine> lines;
  size_t pos = 0;
  int lineno = 0;
  const size_t end = text.size();
  while (pos < end) {
    // Collect one logical line (readllines() loop).
    LogicalLine line;
    bool eof = false;
    for (;;) {
      size_t nl = text.find('\n', pos);
      bool had_newline = nl != std::string_view::npos;
      std::string_view physical =
          text.substr(pos, had_newline ? nl - pos : end - pos);
      pos = had_newline ? nl + 1 : end;
      if (had_newline || !physical.empty()) ++lineno;
      size_t i = 0;
      while (i < physical.size() && IsPostfixSpace(physical[i])) ++i;
      if (i < physical.size() && physical[i] != '#') {
        if (line.text.empty()) line.first_line = lineno;
        line.text.append(physical);
        line.last_line = lineno;
      }
      if (!had_newline || pos >= end) {
        eof = true;
        break;
      }
      // Continue while the next physical line starts with '#' or space.
      if (!line.text.empty() && text[pos] != '#' &&
          !IsPostfixSpace(text[pos])) {
        break;
      }
    }
    if (!line.text.empty()) {
      size_t nul = line.text.find('\0');
      if (nul != std::string::npos) {
        line.text.resize(nul);
        problems->push_back({line.first_line, "text after null byte is ignored",
                             ProblemSeverity::kWarning});
      }
      if (!line.text.empty() && IsPostfixSpace(line.text[0])) {
        problems->push_back({line.first_line,
                             "logical line must not start with whitespace: " +
                                 QuoteExcerpt(line.text, 30),
                             ProblemSeverity::kWarning});
      } else if (!line.text.empty()) {
        lines.push_back(std::move(line));
      }
    }
    if (eof) break;
  }
  return lines;
}

const char* SplitNameValue(std::string_view text, std::string_view* name,
                           std::string_view* value) {
  size_t begin = 0;
  while (begin < text.size() && IsPostfixSpace(text[begin])) ++begin;
  if (begin >= text.size() || text[begin] == '=') {
    return "missing attribute name";
  }
  size_t name_end = begin;
  while (name_end < text.size() && !IsPostfixSpace(text[name_end]) &&
         text[name_end] != '=') {
    ++name_end;
  }
  size_t eq = name_end;
  while (eq < text.size() && IsPostfixSpace(text[eq])) ++eq;
  if (eq >= text.size() || text[eq] != '=') {
    return "missing '=' after attribute name";
  }
  size_t value_begin = eq + 1;
  while (value_begin < text.size() && IsPostfixSpace(text[value_begin])) {
    ++value_begin;
  }
  size_t value_end = text.size();
  while (value_end > value_begin && IsPostfixSpace(text[value_end - 1])) {
    --value_end;
  }
  *name = text.substr(begin, name_end - begin);
  *value = text.substr(value_begin, value_end - value_begin);
  return nullptr;
}

std::string QuoteExcerpt(std::string_view text, size_t max_len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  std::string_view shown = text.substr(0, max_len);
  for (char c : shown) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  if (text.size() > max_len) out += "...";
  out += '"';
  return out;
}

std::vector<std::string_view> SplitOutsideBraces(std::string_view s,
                                                 std::string_view separators) {
  auto is_sep = [separators](char c) {
    return separators.find(c) != std::string_view::npos;
  };
  std::vector<std::string_view> tokens;
  size_t i = 0;
  for (;;) {
    while (i < s.size() && is_sep(s[i])) ++i;
    if (i >= s.size()) break;
    const size_t start = i;
    int level = 0;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '{') {
        ++level;
      } else if (level > 0 && c == '}') {
        --level;
      } else if (level == 0 && is_sep(c)) {
        break;
      }
    }
    tokens.push_back(s.substr(start, i - start));
  }
  return tokens;
}

}  // namespace mailflow::postfix
