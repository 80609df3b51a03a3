// SMTP reply parsing (RFC 5321 section 4.2). Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow {

/// One (possibly multi-line) reply: "250-a\r\n250 b\r\n" -> {250, {a, b}}.
struct SmtpReply {
  int code = 0;
  std::vector<std::string> lines;  // text after "NNN-" / "NNN "
};

enum class ReplyStatus { kIncomplete, kComplete, kMalformed };

/// Longest reply line accepted (RFC 5321 allows 512; servers send more).
inline constexpr size_t kMaxReplyLine = 4096;
/// Most lines accepted in one reply.
inline constexpr size_t kMaxReplyLines = 128;

/// Parses one reply from the start of `data`. On kComplete sets `*reply`
/// and `*consumed` (bytes used, including the final line end). Lines end in
/// CRLF or a bare LF. Every line must start with the same three digits
/// followed by '-', ' ' or the line end. kMalformed for anything else, for
/// a line longer than kMaxReplyLine or more than kMaxReplyLines lines.
ReplyStatus ParseSmtpReply(std::string_view data, SmtpReply* reply,
                           size_t* consumed);

/// True when an EHLO reply advertises `keyword` (case-insensitive, the
/// first word of a line after the greeting line).
bool EhloOffers(const SmtpReply& ehlo, std::string_view keyword);

/// "554 5.3.2 go away" — code and first line, for log and error texts,
/// cut at 200 characters and with control characters replaced.
std::string ReplySummary(const SmtpReply& reply);

}  // namespace mailflow
