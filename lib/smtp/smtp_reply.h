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

/// Parses one reply as its bytes arrive: every byte is looked at once, so a
/// peer that drips a long multi-line reply byte by byte costs linear time
/// (re-parsing the buffer on every read was quadratic). Lines end in CRLF
/// or a bare LF. Every line must start with the same three digits (200 to
/// 999) followed by '-', ' ' or the line end. kMalformed for anything
/// else, for a line longer than kMaxReplyLine (known as soon as it is) or
/// more than kMaxReplyLines lines. The outcome does not depend on how the
/// bytes are split between Feed() calls. Not thread-safe; value type.
class SmtpReplyParser {
 public:
  /// Consumes bytes from the front of `data`: kIncomplete when all of them
  /// were taken and the reply goes on; kComplete with `*consumed` (bytes
  /// used from `data`, including the final line end) and the reply in
  /// reply(); kMalformed. After kComplete or kMalformed, Reset() starts the
  /// next reply.
  ReplyStatus Feed(std::string_view data, size_t* consumed);
  const SmtpReply& reply() const { return reply_; }
  /// Moves the completed reply out and resets the parser.
  SmtpReply Take();
  void Reset();
  /// Bytes fed into the current reply so far.
  size_t bytes() const { return bytes_; }

 private:
  ReplyStatus EndLine();  // line_ holds one whole line (without the LF)

  SmtpReply reply_;
  std::string line_;
  size_t bytes_ = 0;
  ReplyStatus status_ = ReplyStatus::kIncomplete;
};

/// Parses one reply from the start of `data` (SmtpReplyParser over all of
/// it). On kComplete sets `*reply` and `*consumed`.
ReplyStatus ParseSmtpReply(std::string_view data, SmtpReply* reply,
                           size_t* consumed);

/// True when an EHLO reply advertises `keyword` (case-insensitive, the
/// first word of a line after the greeting line).
bool EhloOffers(const SmtpReply& ehlo, std::string_view keyword);

/// "554 5.3.2 go away" — code and first line, for log and error texts,
/// cut at 200 characters and with control characters replaced.
std::string ReplySummary(const SmtpReply& reply);

}  // namespace mailflow
