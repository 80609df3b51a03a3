#include "diagnose/markdown.h"

#include <cctype>
#include <map>

namespace mailflow::diagnose {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

size_t Indent(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

bool IsFence(std::string_view line) { return Trim(line).starts_with("```"); }

// "# Title" -> level 1, text "Title"; 0 when not a heading.
int HeadingLevel(std::string_view line, std::string_view* text) {
  int level = 0;
  while (level < static_cast<int>(line.size()) && line[level] == '#') ++level;
  if (level == 0 || level > 6 || level >= static_cast<int>(line.size()) ||
      line[level] != ' ') {
    return 0;
  }
  *text = Trim(line.substr(level + 1));
  return level;
}

// "- item", "* item", "12. item": the list kind ('u' or 'o') and the text.
char ListItem(std::string_view line, std::string_view* text) {
  std::string_view t = Trim(line);
  if (t.size() >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') &&
      t[1] == ' ') {
    *text = Trim(t.substr(2));
    return 'u';
  }
  size_t digits = 0;
  while (digits < t.size() &&
         std::isdigit(static_cast<unsigned char>(t[digits]))) {
    ++digits;
  }
  if (digits > 0 && digits < 10 && t.size() > digits + 1 && t[digits] == '.' &&
      t[digits + 1] == ' ') {
    *text = Trim(t.substr(digits + 2));
    return 'o';
  }
  return 0;
}

bool KeepLink(std::string_view url) {
  return url.starts_with("#") || url.starts_with("/") ||
         url.starts_with("https://") || url.starts_with("http://");
}

// Inline spans of one paragraph, list item or heading.
class Inline {
 public:
  explicit Inline(std::string_view text) : s_(text) {}

  std::string Render() {
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '`' && Code(&out)) continue;
      if (c == '*' && Emphasis(&out)) continue;
      if (c == '[' && Link(&out)) continue;
      out += HtmlEscape(s_.substr(i_, 1));
      ++i_;
    }
    return out;
  }

  // The text without markers (for anchors).
  std::string Plain() {
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '`' || c == '*') {
        ++i_;
        continue;
      }
      if (c == '[') {
        size_t close = s_.find("](", i_);
        size_t end =
            close == std::string_view::npos ? close : s_.find(')', close);
        if (end != std::string_view::npos) {
          out += s_.substr(i_ + 1, close - i_ - 1);
          i_ = end + 1;
          continue;
        }
      }
      out += c;
      ++i_;
    }
    return out;
  }

 private:
  bool Code(std::string* out) {
    size_t ticks = 0;
    while (i_ + ticks < s_.size() && s_[i_ + ticks] == '`') ++ticks;
    const std::string fence(ticks, '`');
    const size_t close = s_.find(fence, i_ + ticks);
    if (close == std::string_view::npos) return false;
    std::string_view body = s_.substr(i_ + ticks, close - i_ - ticks);
    if (body.size() >= 2 && body.front() == ' ' && body.back() == ' ') {
      body = body.substr(1, body.size() - 2);
    }
    *out += "<code>" + HtmlEscape(body) + "</code>";
    i_ = close + ticks;
    return true;
  }

  bool Emphasis(std::string* out) {
    const bool strong = s_.substr(i_).starts_with("**");
    const std::string_view marker = strong ? "**" : "*";
    const size_t start = i_ + marker.size();
    if (start >= s_.size() || s_[start] == ' ' || s_[start] == '*') {
      return false;
    }
    size_t close = s_.find(marker, start);
    while (close != std::string_view::npos &&
           (s_[close - 1] == ' ' ||
            (!strong && close + 1 < s_.size() && s_[close + 1] == '*'))) {
      close = s_.find(marker, close + marker.size());
    }
    if (close == std::string_view::npos) return false;
    const char* tag = strong ? "strong" : "em";
    *out += std::string("<") + tag + ">" +
            Inline(s_.substr(start, close - start)).Render() + "</" + tag + ">";
    i_ = close + marker.size();
    return true;
  }

  bool Link(std::string* out) {
    const size_t close = s_.find("](", i_);
    if (close == std::string_view::npos) return false;
    const size_t end = s_.find(')', close + 2);
    if (end == std::string_view::npos) return false;
    const std::string_view text = s_.substr(i_ + 1, close - i_ - 1);
    const std::string_view url = s_.substr(close + 2, end - close - 2);
    if (text.find(']') != std::string_view::npos ||
        url.find(' ') != std::string_view::npos) {
      return false;
    }
    const std::string inner = Inline(text).Render();
    *out += KeepLink(url)
                ? "<a href=\"" + HtmlEscape(url) + "\">" + inner + "</a>"
                : inner;
    i_ = end + 1;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Block structure, line by line.
class Blocks {
 public:
  RenderedMarkdown Render(std::string_view md) {
    size_t pos = 0;
    std::vector<std::string_view> lines;
    while (pos <= md.size()) {
      size_t nl = md.find('\n', pos);
      if (nl == std::string_view::npos) nl = md.size();
      lines.push_back(md.substr(pos, nl - pos));
      pos = nl + 1;
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string_view line = lines[i];
      std::string_view text;
      if (IsFence(line)) {
        Flush();
        std::string code;
        while (++i < lines.size() && !IsFence(lines[i])) {
          code += std::string(lines[i]) + "\n";
        }
        doc_.html += "<pre><code>" + HtmlEscape(code) + "</code></pre>\n";
      } else if (Trim(line).empty()) {
        Flush();
      } else if (int level = HeadingLevel(line, &text)) {
        Flush();
        Heading(level, text);
      } else if (char kind = ListItem(line, &text)) {
        FlushParagraph();
        if (list_ != kind) FlushList();
        list_ = kind;
        items_.emplace_back(text);
      } else if (list_ && (Indent(line) >= 2 || para_.empty())) {
        items_.back().append("\n").append(Trim(line));  // continuation
      } else {
        FlushList();
        para_.append(para_.empty() ? "" : "\n").append(Trim(line));
      }
    }
    Flush();
    return std::move(doc_);
  }

 private:
  void Heading(int level, std::string_view text) {
    std::string id = HeadingSlug(Inline(text).Plain());
    if (int n = used_[id]++; n > 0) id.append("-").append(std::to_string(n));
    const std::string h = std::string("h").append(std::to_string(level));
    doc_.html += "<" + h + " id=\"" + HtmlEscape(id) + "\">" +
                 Inline(text).Render() + "</" + h + ">\n";
    doc_.headings.push_back({level, Inline(text).Plain(), id});
  }

  void FlushParagraph() {
    if (para_.empty()) return;
    doc_.html += "<p>" + Inline(para_).Render() + "</p>\n";
    para_.clear();
  }

  void FlushList() {
    if (!list_) return;
    const std::string tag = list_ == 'u' ? "ul" : "ol";
    doc_.html += "<" + tag + ">\n";
    for (const auto& item : items_) {
      doc_.html += "<li>" + Inline(item).Render() + "</li>\n";
    }
    doc_.html += "</" + tag + ">\n";
    items_.clear();
    list_ = 0;
  }

  void Flush() {
    FlushParagraph();
    FlushList();
  }

  RenderedMarkdown doc_;
  std::string para_;
  char list_ = 0;
  std::vector<std::string> items_;
  std::map<std::string, int> used_;
};

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HeadingSlug(std::string_view heading) {
  std::string out;
  for (char ch : heading) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c >= 0x80) {
      out += static_cast<char>(std::tolower(c));
    } else if (c == ' ') {
      out += '-';
    }
  }
  return out;
}

RenderedMarkdown MarkdownToHtml(std::string_view markdown) {
  return Blocks().Render(markdown);
}

}  // namespace mailflow::diagnose
