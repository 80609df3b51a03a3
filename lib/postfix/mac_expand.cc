#include "lib/postfix/mac_expand.h"

#include <initializer_list>

#include "lib/postfix/logical_lines.h"
#include "lib/postfix/mac_relop.h"

namespace mailflow::postfix {
namespace {

constexpr int kParseError = 1;  // MAC_PARSE_ERROR
constexpr int kParseUndef = 2;  // MAC_PARSE_UNDEF

// MAC_EXP_WHITESPACE (CHARS_SPACE).
bool IsMacSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t SpanSpace(std::string_view s, size_t pos) {
  size_t i = pos;
  while (i < s.size() && IsMacSpace(s[i])) ++i;
  return i - pos;
}

// "%.20s"
std::string_view First20(std::string_view s) { return s.substr(0, 20); }

// Concatenates message parts. Out of line and taking views, so that the
// recursive expansion frames stay small (no std::string temporaries).
[[gnu::noinline]] std::string Concat(
    std::initializer_list<std::string_view> parts) {
  std::string message;
  for (std::string_view part : parts) message.append(part);
  return message;
}

// MAC_EXP_OP_STR_ANY, including Postfix's stray quotes.
constexpr char kOpAny[] =
    "\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or \">\"";

struct Shared {
  const MacroLookup& lookup;
  const MacroLimits& limits;
  std::string* error;
  size_t steps = 0;
  size_t output = 0;
  int relational_depth = 0;
};

// One mac_expand() context: a nesting level and a result buffer.
class Expander {
 public:
  Expander(Shared* shared, std::string* out) : shared_(shared), out_(out) {}

  // mac_parse(): splits `value` into literal text and $ expressions.
  int Parse(std::string_view value);

 private:
  // Records the first diagnostic; returns kParseError.
  [[gnu::noinline]] int Record(std::initializer_list<std::string_view> parts) {
    if (shared_->error->empty()) *shared_->error = Concat(parts);
    return kParseError;
  }
  [[gnu::noinline]] int Fail(std::initializer_list<std::string_view> parts) {
    return status_ |= Record(parts);
  }
  [[gnu::noinline]] int FailLimit(size_t limit, const char* unit) {
    return Fail({"macro expansion exceeds ", std::to_string(limit), unit});
  }
  int Callback(bool is_expr, std::string_view buf);
  int Expression(std::string_view buf);
  // Out of line: its locals (two sub-expansions) stay off the common path.
  [[gnu::noinline]] int ParseRelational(std::optional<std::string_view>* lookup,
                                        std::string_view* cp);
  bool ExtractCurly(std::string_view* cp, std::string_view* payload);
  // The operand of `?` / `:`: a {text} after optional blanks, else the rest
  // of the expression. False (after Fail()) on unbalanced braces.
  bool ExtractOperand(std::string_view* cp, std::string_view* text);
  Shared* shared_;
  std::string* out_;
  int status_ = 0;
  int level_ = 0;
};

int Expander::Parse(std::string_view value) {
  int status = 0;
  std::string buf;
  size_t i = 0;
  const size_t n = value.size();
  while (i < n) {
    if (value[i] != '$') {
      size_t j = value.find('$', i);
      if (j == std::string_view::npos) j = n;
      buf.append(value.substr(i, j - i));
      i = j;
    } else if (i + 1 < n && value[i + 1] == '$') {
      buf += '$';
      i += 2;
    } else {
      if (!buf.empty()) {
        status |= Callback(false, buf);
        buf.clear();
      }
      ++i;
      if (i < n && (value[i] == '{' || value[i] == '(')) {
        const char open = value[i];
        const char close = open == '{' ? '}' : ')';
        int level = 1;
        size_t ep = ++i;
        while (level > 0 && ep < n) {
          if (value[ep] == open) ++level;
          if (value[ep] == close) --level;
          ++ep;
        }
        if (level > 0) {
          status |= Record({"truncated macro reference: \"", value, "\""});
          break;
        }
        buf.assign(value.substr(i, ep - i - 1));
        i = ep;
      } else {
        size_t ep = i;
        while (ep < n && (IsAsciiAlnum(value[ep]) || value[ep] == '_')) ++ep;
        buf.assign(value.substr(i, ep - i));
        i = ep;
      }
      if (buf.empty()) {
        status |= Record({"empty macro name: \"", value, "\""});
        break;
      }
      status |= Callback(true, buf);
      buf.clear();
    }
  }
  if (!buf.empty() && (status & kParseError) == 0) {
    status |= Callback(false, buf);
  }
  return status;
}

int Expander::Callback(bool is_expr, std::string_view buf) {
  if (level_++ > shared_->limits.max_level) {
    Fail({"unreasonable macro call nesting: \"", buf, "\""});
  }
  if (status_ & kParseError) return status_;
  if (++shared_->steps > shared_->limits.max_steps) {
    return FailLimit(shared_->limits.max_steps, " steps");
  }
  if (is_expr) {
    if (Expression(buf) & kParseError) return status_;
  } else {
    if (shared_->output + buf.size() > shared_->limits.max_output) {
      return FailLimit(shared_->limits.max_output, " bytes");
    }
    shared_->output += buf.size();
    out_->append(buf);
  }
  --level_;
  return status_;
}

int Expander::Expression(std::string_view buf) {
  std::string_view cp = buf;
  std::optional<std::string_view> lookup;
  char ch = 0;
  size_t ws = SpanSpace(cp, 0);
  if (ws < cp.size() && cp[ws] == '{') {
    // Relational expression.
    cp.remove_prefix(ws);
    if (ParseRelational(&lookup, &cp) != 0) return status_;
    if (!cp.empty()) {
      ch = cp[0];
      if (ch != '?' && ch != ':') {
        return Fail(
            {"\"?\" or \":\" expected at: \"...}>>>", First20(cp), "\""});
      }
      cp.remove_prefix(1);
    }
  } else {
    // Named parameter, optionally followed by ? or :.
    size_t start = SpanSpace(buf, 0);
    std::string_view name;
    for (size_t p = start;; ++p) {
      size_t sp = SpanSpace(buf, p);
      if (p + sp >= buf.size()) {
        name = buf.substr(start, p - start);
        cp = {};
        break;
      }
      char c = buf[p + sp];
      if (c == '?' || c == ':') {
        name = buf.substr(start, p - start);
        ch = c;
        cp = buf.substr(p + sp + 1);
        break;
      }
      c = buf[p];
      if (!IsAsciiAlnum(c) && c != '_') {
        return Fail({"attribute name syntax error at: \"...", buf.substr(0, p),
                     ">>>", First20(buf.substr(p)), "\""});
      }
    }
    lookup = shared_->lookup.Find(name);
  }

  const bool non_empty = lookup.has_value() && !lookup->empty();
  std::string_view text;
  switch (ch) {
    case '?':
      if (!ExtractOperand(&cp, &text)) return status_;
      if (non_empty) status_ |= Parse(text);
      if (cp.empty()) break;
      if (cp[0] != ':') {
        return Fail(
            {"\":\" expected at: \"...", text, "}>>>", First20(cp), "\""});
      }
      cp.remove_prefix(1);
      [[fallthrough]];
    case ':':
      if (!ExtractOperand(&cp, &text)) return status_;
      if (!non_empty) status_ |= Parse(text);
      if (!cp.empty()) {
        return Fail(
            {"unexpected input at: \"...", text, "}>>>", First20(cp), "\""});
      }
      break;
    default:
      if (!lookup.has_value()) {
        status_ |= kParseUndef;
      } else if (!lookup->empty()) {
        status_ |= Parse(*lookup);
      }
      break;
  }
  return status_;
}

bool Expander::ExtractCurly(std::string_view* cp, std::string_view* payload) {
  std::string_view s = *cp;  // s[0] == '{'
  int level = 1;
  size_t i = 1;
  for (;; ++i) {
    if (i >= s.size()) {
      Fail({"unbalanced {} in attribute expression: \"", s, "\""});
      return false;
    }
    if (s[i] == '{') {
      ++level;
    } else if (s[i] == '}' && --level <= 0) {
      break;
    }
  }
  *payload = s.substr(1, i - 1);
  size_t rest = i + 1;
  rest += SpanSpace(s, rest);
  *cp = s.substr(rest);
  return true;
}

bool Expander::ExtractOperand(std::string_view* cp, std::string_view* text) {
  const size_t ws = SpanSpace(*cp, 0);
  if (ws < cp->size() && (*cp)[ws] == '{') {
    cp->remove_prefix(ws);
    return ExtractCurly(cp, text);
  }
  *text = *cp;
  *cp = {};
  return true;
}

int Expander::ParseRelational(std::optional<std::string_view>* lookup,
                              std::string_view* cp_inout) {
  std::string_view cp = *cp_inout;
  std::string_view left;
  if (!ExtractCurly(&cp, &left)) return status_;

  size_t op_len = 0;
  while (op_len < cp.size() &&
         std::string_view("<>!=?+-*/~&|%").find(cp[op_len]) !=
             std::string_view::npos) {
    ++op_len;
  }
  std::string_view op_text = cp.substr(0, op_len);
  RelOp op = RelOpFromString(op_text);
  if (op == RelOp::kNone) {
    return Fail(
        {kOpAny, " expected at: \"...", left, "}>>>", First20(cp), "\""});
  }
  cp.remove_prefix(op_len);
  bool level_op = false;
  if (!cp.empty() && IsAsciiAlnum(cp[0])) {
    size_t type_len = 1;
    while (type_len < cp.size() && IsAsciiAlnum(cp[type_len])) ++type_len;
    std::string_view suffix = cp.substr(0, type_len);
    cp.remove_prefix(type_len);
    if (suffix != "level") {
      return Fail(
          {"bad operator suffix at: \"...", op_text, ">>>", suffix, "\""});
    }
    level_op = true;
  }
  size_t ws = SpanSpace(cp, 0);
  if (ws >= cp.size() || cp[ws] != '{') {
    return Fail({"\"{expression}\" expected at: \"...{", left, "} ", op_text,
                 ">>>", First20(cp), "\""});
  }
  cp.remove_prefix(ws);
  std::string_view right;
  if (!ExtractCurly(&cp, &right)) return status_;

  // Operands are expanded in fresh contexts (Postfix calls mac_expand()
  // again, so the nesting level restarts at 0 there).
  if (shared_->relational_depth >= shared_->limits.max_relational_depth) {
    return Fail({"unreasonable relational expression nesting: \"", left, "\""});
  }
  ++shared_->relational_depth;
  std::string left_value;
  std::string right_value;
  Expander left_expander(shared_, &left_value);
  status_ |= left_expander.Parse(left);
  Expander right_expander(shared_, &right_value);
  status_ |= right_expander.Parse(right);
  --shared_->relational_depth;
  if (status_ & kParseError) return status_;

  std::string error;
  int result = EvaluateRelOp(left_value, op, level_op, right_value, &error);
  if (result < 0) return Fail({error});
  *lookup = result ? std::string_view("true") : std::string_view("");
  *cp_inout = cp;
  return 0;
}

}  // namespace

bool MacExpand(std::string_view pattern, const MacroLookup& lookup,
               std::string* out, std::string* error,
               const MacroLimits& limits) {
  out->clear();
  error->clear();
  Shared shared{lookup, limits, error};
  Expander expander(&shared, out);
  int status = expander.Parse(pattern);
  if (status & kParseError) {
    if (error->empty()) *error = "macro processing error";
    return false;
  }
  return true;
}

}  // namespace mailflow::postfix
