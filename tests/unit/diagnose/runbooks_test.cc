#include "diagnose/runbooks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "diagnose/markdown.h"
#include "tests/support/fixture.h"

namespace mailflow::diagnose {
namespace {

TEST(RunbooksTest, EmbeddedCopyIsTheFile) {
  EXPECT_EQ(RunbooksMarkdown(), test::ReadSourceFile("dashboards/runbooks.md"));
}

TEST(RunbooksTest, PageHasEveryAlertAnchorAndNoScript) {
  const std::string& page = RunbooksPage();
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("<h2 id=\"postfixdown\">PostfixDown</h2>"),
            std::string::npos);
  // Every alert rule's runbook_url anchor exists on the page.
  const std::regex anchor("runbooks\\.md#([a-z0-9-]+)");
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(
           test::SourceDir() + "/dashboards/alerts")) {
    const std::string text = test::ReadSourceFile(
        std::filesystem::relative(e.path(), test::SourceDir()));
    for (std::sregex_iterator it(text.begin(), text.end(), anchor), end;
         it != end; ++it) {
      EXPECT_NE(page.find("id=\"" + (*it)[1].str() + "\""), std::string::npos)
          << e.path() << ": #" << (*it)[1];
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

TEST(RunbooksTest, HasRunbook) {
  EXPECT_TRUE(HasRunbook("PostfixListeningLoopbackOnly"));
  EXPECT_TRUE(HasRunbook("MailflowCollectorFailing"));
  EXPECT_FALSE(HasRunbook("NoSuchAlert"));
}

}  // namespace
}  // namespace mailflow::diagnose
