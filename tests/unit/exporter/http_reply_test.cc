#include "exporter/http_reply.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "collectors/common/metrics.h"

namespace mailflow {
namespace {

std::string Gunzip(const std::string& gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(1 << 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

ProbeResponse TwoFamilies() {
  ProbeResponse r;
  // Not in name order: the handler's order is kept.
  AddGauge(&r.families, "probe_success", "Whether it succeeded.", 1);
  AddGauge(&r.families, "probe_duration_seconds", "How long it took.", 0.25);
  return r;
}

constexpr char kTwoFamiliesText[] =
    "# HELP probe_success Whether it succeeded.\n"
    "# TYPE probe_success gauge\n"
    "probe_success 1\n"
    "# HELP probe_duration_seconds How long it took.\n"
    "# TYPE probe_duration_seconds gauge\n"
    "probe_duration_seconds 0.25\n";

TEST(ProbeReplyTest, OkIsTheExpositionTextInHandlerOrder) {
  HttpReply r = ProbeReply(TwoFamilies(), false);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, kTwoFamiliesText);
  EXPECT_EQ(r.headers, "Vary: Accept-Encoding\r\n");
}

TEST(ProbeReplyTest, GzipDecodesToTheSameText) {
  HttpReply r = ProbeReply(TwoFamilies(), true);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
  EXPECT_NE(r.body, kTwoFamiliesText);
  EXPECT_EQ(Gunzip(r.body), kTwoFamiliesText);
}

TEST(ProbeReplyTest, RefusalsMapToStatusCodes) {
  using Outcome = ProbeResponse::Outcome;
  HttpReply r = ProbeReply(
      ProbeResponse::Refused(Outcome::kBadRequest, "Unknown module \"x\""),
      true);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "Unknown module \"x\"\n");  // never gzipped
  EXPECT_EQ(r.headers, "");
  r = ProbeReply(ProbeResponse::Refused(Outcome::kForbidden, "no"), false);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "no\n");
}

}  // namespace
}  // namespace mailflow
