// HttpReply: what the HTTP server writes for /metrics and /probe, built
// apart from civetweb so that the mapping is testable.
#pragma once

#include <string>

#include "collectors/common/probe.h"

namespace mailflow {

/// One HTTP response before the web config's headers are added.
struct HttpReply {
  int status = 200;
  std::string content_type;
  std::string body;
  /// Extra header lines, each ending in "\r\n".
  std::string headers;
};

/// The content type of the text exposition format 0.0.4.
inline constexpr char kExpositionContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

/// The extra header lines of an exposition body (/metrics, /probe), sent
/// gzip-compressed or not.
const char* ExpositionHeaders(bool gzipped);

/// The /probe response of `response`: kOk is 200 with the families in
/// the exposition format (in their order; gzip-compressed when
/// `accepts_gzip` and zlib succeeds); kBadRequest is 400 and kForbidden 403
/// with the message and a newline as plain text. Thread-safe.
HttpReply ProbeReply(const ProbeResponse& response, bool accepts_gzip);

}  // namespace mailflow
