#include "lib/postfix/master_cf.h"

#include <algorithm>
#include <climits>
#include <optional>

#include "lib/postfix/logical_lines.h"

namespace mailflow::postfix {
namespace {

using Tokens = std::vector<std::string_view>;

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

std::string Q(std::string_view s) { return QuoteExcerpt(s); }

// mystrtokq(&bp, PCF_MASTER_BLANKS, "{}"): blanks separate fields, except
// inside (possibly nested) braces.
Tokens Tokenize(std::string_view s) {
  return SplitOutsideBraces(s, " \t\r\n");  // PCF_MASTER_BLANKS
}

// extpar(&arg, "{}", EXTPAR_FLAG_STRIP). REQUIRES: arg starts with '{'.
std::string_view ExtractBraces(std::string_view arg, std::string* why) {
  int level = 1;
  size_t len = 0;
  for (size_t i = 1; i < arg.size(); ++i) {
    if (arg[i] == '}' && --level == 0) {
      len = i + 1;
      break;
    }
    if (arg[i] == '{') ++level;
  }
  std::string_view inner;
  if (len == 0) {
    *why = "missing '}'";
    inner = arg.substr(1);
  } else {
    if (len != arg.size()) *why = "text after '}'";
    inner = arg.substr(1, len - 2);
  }
  while (!inner.empty() && IsPostfixSpace(inner.front()))
    inner.remove_prefix(1);
  while (!inner.empty() && IsPostfixSpace(inner.back())) inner.remove_suffix(1);
  return inner;
}

bool IsValidType(std::string_view type) {
  return type == "inet" || type == "unix" || type == "unix-dgram" ||
         type == "fifo" || type == "pass";
}

// Collects problems of one entry. Without a problem list (commented-out
// candidates) any problem just marks the entry as not valid.
struct Sink {
  std::vector<ConfigProblem>* problems;
  int line;
  bool failed = false;
  void Add(std::string message) {
    failed = true;
    if (problems != nullptr) problems->push_back({line, std::move(message)});
  }
};

void AddOverride(std::string_view value, Sink* sink, MasterEntry* e) {
  std::string_view text = value;
  if (!text.empty() && text[0] == '{') {
    std::string why;
    text = ExtractBraces(text, &why);
    if (!why.empty()) {
      sink->Add("bad -o value " + Q(value) + " in service " + Q(e->service) +
                ": " + why);
      return;
    }
  }
  std::string_view name;
  std::string_view val;
  if (const char* why = SplitNameValue(text, &name, &val)) {
    sink->Add("bad -o value " + Q(value) + " in service " + Q(e->service) +
              ": " + why);
    return;
  }
  e->overrides.emplace_back(name, val);
}

// pcf_normalize_daemon_args(): options up to the first non-option or "--";
// "-o" takes a value ("-o v", "-ov", "-xo v"); braces are extracted.
void ParseCommandArgs(const Tokens& tokens, Sink* sink, MasterEntry* e) {
  bool in_options = true;
  for (size_t i = 8; i < tokens.size(); ++i) {
    std::string_view arg = tokens[i];
    if (in_options && (arg[0] != '-' || arg == "--")) in_options = false;
    if (in_options) {
      size_t o = std::string_view::npos;
      for (size_t k = 1; k < arg.size() && arg[k] != '{'; ++k) {
        if (arg[k] == 'o') {
          o = k;
          break;
        }
      }
      if (o == std::string_view::npos) {
        e->args.emplace_back(arg);
        continue;
      }
      if (o > 1) e->args.emplace_back(arg.substr(0, o));
      std::string_view value = arg.substr(o + 1);
      if (value.empty()) {
        if (i + 1 >= tokens.size()) {
          sink->Add("-o without a value in service " + Q(e->service));
          continue;
        }
        value = tokens[++i];
      }
      AddOverride(value, sink, e);
      continue;
    }
    if (arg[0] == '{') {
      std::string why;
      std::string_view inner = ExtractBraces(arg, &why);
      if (!why.empty()) {
        sink->Add("bad argument " + Q(arg) + " in service " + Q(e->service) +
                  ": " + why);
      }
      e->args.emplace_back(inner);
    } else {
      e->args.emplace_back(arg);
    }
  }
}

// Builds an entry from its fields. Returns false when the entry is unusable
// (master would not start); softer problems are recorded in `sink`.
bool BuildEntry(const Tokens& tokens, std::string_view raw, Sink* sink,
                MasterEntry* e) {
  if (tokens.size() < 8) {
    sink->Add("bad field count (need at least 8 fields, got " +
              std::to_string(tokens.size()) + "): " + Q(raw));
    return false;
  }
  e->service = tokens[0];
  e->type = tokens[1];
  e->line = sink->line;
  if (!IsValidType(e->type)) {
    sink->Add("bad transport type " + Q(e->type) + " in service " +
              Q(e->service));
    return false;
  }
  bool ok = true;
  auto flag = [&](size_t idx, const char* what, bool def, bool* out) {
    std::string_view f = tokens[idx];
    if (f == "y" || f == "n" || f == "-") {
      *out = f == "-" ? def : f == "y";
    } else {
      sink->Add(std::string("bad ") + what + " field " + Q(f) + " in service " +
                Q(e->service) + " (expected y, n or -)");
      ok = false;
    }
  };
  bool is_private = true;
  flag(2, "private", true, &is_private);
  flag(3, "unprivileged", true, &e->unpriv);
  flag(4, "chroot", false, &e->chroot);
  std::string_view wakeup = tokens[5];
  std::string_view wakeup_digits = wakeup;
  if (!wakeup_digits.empty() && wakeup_digits.back() == '?') {
    wakeup_digits.remove_suffix(1);
  }
  if (wakeup != "-" &&
      (!AllDigits(wakeup_digits) || wakeup_digits.size() > 9)) {
    sink->Add("bad wakeup field " + Q(wakeup) + " in service " + Q(e->service) +
              " (expected -, seconds, or seconds followed by ?)");
    ok = false;
  }
  e->wakeup = wakeup;
  std::string_view maxproc = tokens[6];
  if (maxproc == "-") {
    e->maxproc = -1;
  } else if (AllDigits(maxproc) && maxproc.size() <= 9) {
    e->maxproc = std::stoi(std::string(maxproc));
  } else {
    sink->Add("bad maxproc field " + Q(maxproc) + " in service " +
              Q(e->service) + " (expected - or a number)");
    ok = false;
  }
  if (!ok) return false;
  e->command = tokens[7];
  if (e->type == "inet") {
    if (is_private) {
      sink->Add("inet service " + Q(e->service) + " cannot be private (" +
                (tokens[2] == "-" ? "\"-\" means y" : "private field is y") +
                ")");
    }
    is_private = false;
    std::string_view host;
    std::string_view port;
    if (const char* why = SplitInetAddress(e->service, &host, &port)) {
      sink->Add("bad inet service address " + Q(e->service) + ": " + why);
    } else {
      e->host = host;
      e->port_name = port;
      e->port = ResolvePort(port);
    }
  }
  e->private_ = is_private;
  ParseCommandArgs(tokens, sink, e);
  return true;
}

// A comment text that continues a commented-out entry: indented, and its
// first field looks like an argument: -x..., {...} or name=value.
bool IsCommentedContinuation(std::string_view content, const Tokens& tokens) {
  if (content.empty() || !IsPostfixSpace(content[0]) || tokens.empty()) {
    return false;
  }
  std::string_view first = tokens[0];
  if (first[0] == '{') return true;
  if (first[0] == '-') return first.size() > 1 && IsAsciiAlnum(first[1]);
  size_t eq = first.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  return std::all_of(first.begin(), first.begin() + eq, [](char c) {
    return IsAsciiAlnum(c) || c == '_' || c == '-' || c == '.';
  });
}

// Finds services that are commented out.
class CommentScanner {
 public:
  explicit CommentScanner(std::vector<MasterEntry>* out) : out_(out) {}

  void Line(int lineno, std::string_view physical) {
    size_t i = 0;
    while (i < physical.size() && IsPostfixSpace(physical[i])) ++i;
    if (i >= physical.size() || physical[i] != '#') {
      Close();
      return;
    }
    std::string_view content = physical.substr(i + 1);
    content = content.substr(0, content.find('\0'));
    Tokens tokens = Tokenize(content);
    MasterEntry candidate;
    Sink quiet{nullptr, lineno};
    if (tokens.size() >= 8 && IsValidType(tokens[1]) &&
        BuildEntry(tokens, content, &quiet, &candidate) && !quiet.failed) {
      Close();
      open_ = std::move(candidate);
      tokens_ = std::move(tokens);
      return;
    }
    if (!open_) return;
    if (IsCommentedContinuation(content, tokens)) {
      tokens_.insert(tokens_.end(), tokens.begin(), tokens.end());
    } else if (content.empty() || !IsPostfixSpace(content[0])) {
      Close();
    }
  }

  void Close() {
    if (!open_) return;
    MasterEntry full;
    Sink quiet{nullptr, open_->line};
    if (BuildEntry(tokens_, {}, &quiet, &full) && !quiet.failed) {
      open_ = std::move(full);
    }
    open_->enabled = false;
    out_->push_back(std::move(*open_));
    open_.reset();
    tokens_.clear();
  }

 private:
  std::vector<MasterEntry>* out_;
  std::optional<MasterEntry> open_;
  Tokens tokens_;
};

// Each entry's first physical line, as written (entries are in line order).
void SetEntryTexts(std::string_view text, std::vector<MasterEntry>* entries) {
  auto e = entries->begin();
  int lineno = 0;
  for (size_t pos = 0; pos < text.size() && e != entries->end();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ++lineno;
    while (e != entries->end() && e->line == lineno) {
      std::string_view line = text.substr(pos, std::min<size_t>(nl - pos, 200));
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      e->text = std::string(line.substr(0, line.find('\0')));
      ++e;
    }
    pos = nl + 1;
  }
}

}  // namespace

MasterCf MasterCf::Parse(std::string_view text, std::string source) {
  MasterCf result;
  result.source_ = std::move(source);
  for (const LogicalLine& line : ReadLogicalLines(text, &result.problems_)) {
    MasterEntry entry;
    Sink sink{&result.problems_, line.first_line};
    if (BuildEntry(Tokenize(line.text), line.text, &sink, &entry)) {
      result.entries_.push_back(std::move(entry));
    }
  }
  // Duplicate services: master(8) cannot run both (same socket).
  for (size_t i = 0; i < result.entries_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const MasterEntry& a = result.entries_[j];
      const MasterEntry& b = result.entries_[i];
      if (a.service == b.service && a.type == b.type) {
        result.problems_.push_back(
            {b.line,
             "duplicate service " + Q(b.service + "/" + b.type) +
                 " (first defined at line " + std::to_string(a.line) + ")",
             ProblemSeverity::kWarning});
        break;
      }
    }
  }
  // Real and commented-out entries are each in file order: merge them.
  const size_t real_count = result.entries_.size();
  CommentScanner scanner(&result.entries_);
  int lineno = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    scanner.Line(++lineno, text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  scanner.Close();
  std::inplace_merge(
      result.entries_.begin(), result.entries_.begin() + real_count,
      result.entries_.end(), [](const MasterEntry& a, const MasterEntry& b) {
        return a.line < b.line;
      });
  std::stable_sort(result.problems_.begin(), result.problems_.end(),
                   [](const ConfigProblem& a, const ConfigProblem& b) {
                     return a.line < b.line;
                   });
  SetEntryTexts(text, &result.entries_);
  return result;
}

std::string MasterCf::FormatProblem(const ConfigProblem& problem) const {
  return source_ + ":" + std::to_string(problem.line) + ": " + problem.message;
}

const MasterEntry* MasterCf::Find(std::string_view service,
                                  std::string_view type) const {
  for (const MasterEntry& e : entries_) {
    if (e.enabled && e.service == service && e.type == type) return &e;
  }
  return nullptr;
}

}  // namespace mailflow::postfix
