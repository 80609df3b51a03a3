#include "exporter/http_reply.h"

#include <utility>

#include "exporter/gzip.h"
#include "exporter/metrics_text.h"

namespace mailflow {

const char* ExpositionHeaders(bool gzipped) {
  return gzipped ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
                 : "Vary: Accept-Encoding\r\n";
}

HttpReply ProbeReply(const ProbeResponse& response, bool accepts_gzip) {
  using Outcome = ProbeResponse::Outcome;
  if (response.outcome != Outcome::kOk) {
    HttpReply r;
    r.status = response.outcome == Outcome::kForbidden ? 403 : 400;
    r.content_type = "text/plain; charset=utf-8";
    r.body = response.message + "\n";
    return r;
  }
  std::string text;
  for (const auto& family : response.families) AppendFamilyText(family, &text);
  HttpReply r;
  r.content_type = kExpositionContentType;
  std::string gz;
  const bool zipped = accepts_gzip && Gzip(text, &gz);
  r.body = zipped ? std::move(gz) : std::move(text);
  r.headers = ExpositionHeaders(zipped);
  return r;
}

}  // namespace mailflow
