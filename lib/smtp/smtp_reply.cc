#include "lib/smtp/smtp_reply.h"

namespace mailflow {

ReplyStatus ParseSmtpReply(std::string_view data, SmtpReply* reply,
                           size_t* consumed) {
  SmtpReply r;
  size_t pos = 0;
  while (true) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) {
      return data.size() - pos > kMaxReplyLine ? ReplyStatus::kMalformed
                                               : ReplyStatus::kIncomplete;
    }
    std::string_view line = data.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxReplyLine || line.size() < 3) {
      return ReplyStatus::kMalformed;
    }
    int code = 0;
    for (int i = 0; i < 3; ++i) {
      char c = line[i];
      if (c < '0' || c > '9') return ReplyStatus::kMalformed;
      code = code * 10 + (c - '0');
    }
    if (code < 200 && code >= 100) {
      // 1yz replies do not exist in SMTP; keep them as malformed.
      return ReplyStatus::kMalformed;
    }
    if (code < 100) return ReplyStatus::kMalformed;
    if (r.lines.empty()) {
      r.code = code;
    } else if (code != r.code) {
      return ReplyStatus::kMalformed;
    }
    bool last = true;
    if (line.size() > 3) {
      if (line[3] == '-') {
        last = false;
      } else if (line[3] != ' ') {
        return ReplyStatus::kMalformed;
      }
    }
    r.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    if (r.lines.size() > kMaxReplyLines) return ReplyStatus::kMalformed;
    pos = nl + 1;
    if (last) break;
  }
  *reply = std::move(r);
  *consumed = pos;
  return ReplyStatus::kComplete;
}

bool EhloOffers(const SmtpReply& ehlo, std::string_view keyword) {
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string_view l = ehlo.lines[i];
    size_t end = l.find(' ');
    std::string_view word = l.substr(0, end);
    if (word.size() != keyword.size()) continue;
    bool same = true;
    for (size_t k = 0; k < word.size() && same; ++k) {
      char a = word[k], b = keyword[k];
      if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 32);
      if (b >= 'a' && b <= 'z') b = static_cast<char>(b - 32);
      same = a == b;
    }
    if (same) return true;
  }
  return false;
}

std::string ReplySummary(const SmtpReply& reply) {
  std::string s = std::to_string(reply.code);
  if (!reply.lines.empty() && !reply.lines[0].empty()) {
    s += " ";
    for (char c : reply.lines[0]) {
      if (s.size() >= 200) break;
      s += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    }
  }
  return s;
}

}  // namespace mailflow
