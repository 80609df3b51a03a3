#include "lib/smtp/smtp_reply.h"

namespace mailflow {

ReplyStatus SmtpReplyParser::EndLine() {
  std::string_view line = line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxReplyLine || line.size() < 3) {
    return ReplyStatus::kMalformed;
  }
  int code = 0;
  for (int i = 0; i < 3; ++i) {
    const char c = line[i];
    if (c < '0' || c > '9') return ReplyStatus::kMalformed;
    code = code * 10 + (c - '0');
  }
  // 1yz replies do not exist in SMTP; keep them (and 0yz) as malformed.
  if (code < 200) return ReplyStatus::kMalformed;
  if (reply_.lines.empty()) {
    reply_.code = code;
  } else if (code != reply_.code) {
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
  reply_.lines.emplace_back(line.size() > 4 ? line.substr(4)
                                            : std::string_view());
  if (reply_.lines.size() > kMaxReplyLines) return ReplyStatus::kMalformed;
  line_.clear();
  return last ? ReplyStatus::kComplete : ReplyStatus::kIncomplete;
}

ReplyStatus SmtpReplyParser::Feed(std::string_view data, size_t* consumed) {
  size_t pos = 0;
  while (status_ == ReplyStatus::kIncomplete && pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? data.size() : nl;
    line_.append(data.data() + pos, end - pos);
    bytes_ += end - pos;
    pos = end;
    // A line that can no longer fit (its CR allowed for) is malformed now,
    // not when its end finally arrives.
    if (line_.size() > kMaxReplyLine + 1) {
      status_ = ReplyStatus::kMalformed;
      break;
    }
    if (nl == std::string_view::npos) break;
    ++pos;
    ++bytes_;
    status_ = EndLine();
  }
  *consumed = pos;
  return status_;
}

SmtpReply SmtpReplyParser::Take() {
  SmtpReply r = std::move(reply_);
  Reset();
  return r;
}

void SmtpReplyParser::Reset() {
  reply_ = SmtpReply();
  line_.clear();
  bytes_ = 0;
  status_ = ReplyStatus::kIncomplete;
}

ReplyStatus ParseSmtpReply(std::string_view data, SmtpReply* reply,
                           size_t* consumed) {
  SmtpReplyParser parser;
  size_t used = 0;
  const ReplyStatus st = parser.Feed(data, &used);
  if (st == ReplyStatus::kComplete) {
    *reply = parser.Take();
    *consumed = used;
  }
  return st;
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
