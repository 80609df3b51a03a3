// ParseDeferLog: the defer (and bounce) logs under $queue_directory/defer
// and bounce, bounce_log.c's format (see queue_file.h).
#include "lib/postfix/queue_file.h"

namespace mailflow {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

}  // namespace

size_t ParseDeferLog(std::string_view text, size_t max_entries,
                     const std::function<void(const DeferLogEntry&)>& fn) {
  size_t count = 0;
  DeferLogEntry e;
  bool in_entry = false;
  auto emit = [&] {
    if (!in_entry) return;
    if (e.status.empty()) e.status = "4.0.0";
    fn(e);
    ++count;
    e = DeferLogEntry();
    in_entry = false;
  };
  size_t p = 0;
  while (p <= text.size() && count < max_entries) {
    size_t nl = text.find('\n', p);
    bool last = nl == std::string_view::npos;
    std::string_view line =
        text.substr(p, last ? std::string_view::npos : nl - p);
    p = last ? text.size() + 1 : nl + 1;
    if (last && line.empty()) break;
    if (line.empty()) {
      emit();
      continue;
    }
    in_entry = true;
    const char c = line[0];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9');
    if (alnum) {
      size_t eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view name = line.substr(0, eq);
      std::string_view value = line.substr(eq + 1);
      while (!name.empty() && IsSpace(name.back())) name.remove_suffix(1);
      while (!value.empty() && IsSpace(value.front())) value.remove_prefix(1);
      if (name == "recipient") {
        e.recipient = value;
      } else if (name == "status") {
        e.status = value;
      } else if (name == "reason") {
        e.reason = value;
      }
      continue;
    }
    if (c == '<') {
      size_t end = line.find(">: ");
      if (end == std::string_view::npos) continue;
      e.recipient = line.substr(1, end - 1);
      std::string_view reason = line.substr(end + 2);
      while (!reason.empty() && IsSpace(reason.front()))
        reason.remove_prefix(1);
      e.reason = reason;
    }
  }
  if (count < max_entries) emit();
  return count;
}

}  // namespace mailflow
