#include "diagnose/reports.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mailflow::diagnose {
namespace {

Diagnosis Sample() {
  Finding f;
  f.step = Step::kListening;
  f.status = CheckStatus::kFail;
  f.subject = "port 25";
  f.summary = "bound to 127.0.0.1 only";
  f.evidence = {{"LISTEN 127.0.0.1:25 master", "/proc/net/tcp"},
                {"inet_interfaces = loopback-only", "/etc/postfix/main.cf:12"}};
  f.fix = "postconf -e inet_interfaces=all";
  f.apply = "postfix stop && postfix start";
  f.runbook = "PostfixListeningLoopbackOnly";
  Finding hostile;
  hostile.step = Step::kQueue;
  hostile.status = CheckStatus::kWarn;
  hostile.summary = "deferred";
  hostile.evidence = {{"said: 450 \033[2J<b>\"x\"</b> \xff", "defer log"}};
  DiagnosisMeta meta;
  meta.host = "mx1";
  meta.version = "1.2.3";
  meta.config_source = "/etc/mailflow.yml";
  meta.started_at = 1714564800;
  meta.duration_seconds = 0.25;
  return BuildDiagnosis(
      {{"listen", Status::OK(), {f}}, {"queue", Status::OK(), {hostile}}},
      {"listen", "queue"}, meta);
}

TEST(TextReportTest, PlainChecklist) {
  const std::string text = RenderText(Sample(), false);
  EXPECT_EQ(text.find('\033'), std::string::npos) << text;
  EXPECT_NE(text.find(" 2. FAIL     Postfix listens on the SMTP ports"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("      FAIL    port 25: bound to 127.0.0.1 only\n"
                      "              evidence: LISTEN 127.0.0.1:25 master  "
                      "[/proc/net/tcp]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("              fix:      postconf -e "
                      "inet_interfaces=all\n"
                      "              then:     postfix stop && postfix "
                      "start\n"
                      "              runbook:  PostfixListeningLoopbackOnly "
                      "(/runbooks#postfixlisteningloopbackonly)\n"),
            std::string::npos)
      << text;
  // Terminal escapes from evidence are shown, not sent.
  EXPECT_NE(text.find("450 \\x1b[2J<b>"), std::string::npos) << text;
  EXPECT_NE(text.find("11 steps: 1 FAIL, 1 WARN, 0 OK, 9 SKIPPED. Exit status "
                      "2."),
            std::string::npos)
      << text;
}

TEST(TextReportTest, ColourOnRequest) {
  const std::string text = RenderText(Sample(), true);
  EXPECT_NE(text.find("\033[1;31mFAIL\033[0m"), std::string::npos);
  EXPECT_NE(text.find("\033[33mWARN\033[0m"), std::string::npos);
}

TEST(JsonReportTest, Structure) {
  const auto j = nlohmann::json::parse(RenderJson(Sample()));
  EXPECT_EQ(j["schema_version"], kJsonSchemaVersion);
  EXPECT_EQ(j["status"], "fail");
  EXPECT_EQ(j["exit_code"], 2);
  EXPECT_EQ(j["started_at"], "2024-05-01T12:00:00Z");
  EXPECT_EQ(j["counts"]["skipped"], 9);
  ASSERT_EQ(j["steps"].size(), static_cast<size_t>(kStepCount));
  const auto& step = j["steps"][1];
  EXPECT_EQ(step["id"], "listening");
  EXPECT_EQ(step["number"], 2);
  EXPECT_EQ(step["findings"][0]["evidence"][1]["source"],
            "/etc/postfix/main.cf:12");
  EXPECT_EQ(step["findings"][0]["runbook"]["href"],
            "/runbooks#postfixlisteningloopbackonly");
  // Invalid UTF-8 in evidence does not break the document.
  const std::string text = j["steps"][8]["findings"][0]["evidence"][0]["text"];
  EXPECT_NE(text.find("\xef\xbf\xbd"), std::string::npos);
}

TEST(HtmlReportTest, SelfContainedAndEscaped) {
  HtmlOptions o;
  o.refresh_seconds = 30;
  const std::string html = RenderHtml(Sample(), o);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&quot;x&quot;&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"30\">"),
            std::string::npos);
  EXPECT_NE(html.find("<a href=\"runbooks#postfixlisteningloopbackonly\">"
                      "PostfixListeningLoopbackOnly</a>"),
            std::string::npos);
  EXPECT_NE(html.find("<h2><span class=\"badge s-fail\">FAIL</span> Postfix "
                      "listens"),
            std::string::npos);
  o.refresh_seconds = 0;
  EXPECT_EQ(RenderHtml(Sample(), o).find("refresh"), std::string::npos);
}

}  // namespace
}  // namespace mailflow::diagnose
