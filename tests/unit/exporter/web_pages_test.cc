#include "exporter/web_pages.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "exporter/exporter.h"

namespace mailflow {
namespace {

// Reports a failing listening step with a hostile evidence text.
class BoardCollector : public Collector, public Diagnosable {
 public:
  std::string_view Name() const override { return "listen"; }
  Status Collect(Deadline, std::vector<prometheus::MetricFamily>*) override {
    return Status::OK();
  }
  void Diagnose(std::vector<Finding>* out) const override {
    Finding f;
    f.step = Step::kListening;
    f.status = CheckStatus::kFail;
    f.subject = "port 25";
    f.summary = "bound to 127.0.0.1 only";
    f.evidence = {{"<img src=x onerror=alert(1)>", "/proc/net/tcp"}};
    f.runbook = "PostfixListeningLoopbackOnly";
    out->push_back(f);
  }
};

class WebPagesTest : public testing::Test {
 protected:
  WebPagesTest() {
    registry_.Add({"listen", true, "fake",
                   [](const Config&, ConfigMap options, const CollectorContext&,
                      std::string* err) -> std::unique_ptr<Collector> {
                     if (!options.Finish(err)) return nullptr;
                     return std::make_unique<BoardCollector>();
                   }});
    exporter_ = std::make_unique<Exporter>(registry_, ExporterOptions());
    std::string err;
    EXPECT_TRUE(exporter_->Init(&err)) << err;
  }

  WebPage Get(const std::string& path, const std::string& query = "") {
    return RenderWebPage(exporter_.get(), path, query, "/metrics");
  }

  CollectorRegistry registry_;
  std::unique_ptr<Exporter> exporter_;
};

TEST_F(WebPagesTest, Paths) {
  EXPECT_TRUE(IsWebPage("/"));
  EXPECT_TRUE(IsWebPage("/diagnose"));
  EXPECT_TRUE(IsWebPage("/runbooks"));
  EXPECT_FALSE(IsWebPage("/runbooks/"));
  EXPECT_FALSE(IsWebPage("/metrics"));
}

TEST_F(WebPagesTest, BoardIsTheDiagnosis) {
  for (const char* path : {"/", "/diagnose"}) {
    WebPage page = Get(path);
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("FAIL</span> Postfix listens"), std::string::npos)
        << page.body;
    EXPECT_NE(page.body.find("&lt;img src=x onerror=alert(1)&gt;"),
              std::string::npos);
    EXPECT_EQ(page.body.find("<img"), std::string::npos);
    EXPECT_NE(page.body.find("content=\"30\""), std::string::npos);
    EXPECT_NE(page.body.find("collectors: listen"), std::string::npos);
  }
  EXPECT_EQ(Get("/", "refresh=0").body.find("http-equiv"), std::string::npos);
  EXPECT_NE(Get("/", "refresh=5").body.find("content=\"5\""),
            std::string::npos);
}

TEST_F(WebPagesTest, JsonAndText) {
  WebPage json = Get("/diagnose", "format=json");
  EXPECT_EQ(json.content_type, "application/json");
  auto doc = nlohmann::json::parse(json.body);
  EXPECT_EQ(doc["status"], "fail");
  EXPECT_EQ(doc["steps"][1]["findings"][0]["subject"], "port 25");
  WebPage text = Get("/diagnose", "format=text");
  EXPECT_EQ(text.content_type, "text/plain; charset=utf-8");
  EXPECT_NE(text.body.find(" 2. FAIL     Postfix listens"), std::string::npos);
}

TEST_F(WebPagesTest, BadQueries) {
  EXPECT_EQ(Get("/diagnose", "format=xml").status, 400);
  EXPECT_EQ(Get("/", "refresh=-1").status, 400);
  EXPECT_EQ(Get("/", "refresh=99999").status, 400);
  EXPECT_EQ(Get("/", "format=" + std::string(100, 'j')).status, 400);
}

TEST_F(WebPagesTest, Runbooks) {
  WebPage page = Get("/runbooks");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("id=\"postfixlisteningloopbackonly\""),
            std::string::npos);
}

}  // namespace
}  // namespace mailflow
