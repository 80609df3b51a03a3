#include "collectors/log/auto_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace mailflow::log_collector {
namespace {

class AutoSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/auto_source_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string dir_;
};

TEST_F(AutoSourceTest, AnExistingFileWins) {
  std::ofstream(dir_ + "/mail.log") << "";
  const AutoSource a = ChooseAutoSource(dir_ + "/mail.log", dir_);
  EXPECT_EQ(a.source, LogSource::kFile);
  EXPECT_EQ(a.why, dir_ + "/mail.log exists");
}

TEST_F(AutoSourceTest, NeitherFileNorPostfixJournalEntries) {
  // An empty journal directory: opened, no Postfix entries.
  const AutoSource a = ChooseAutoSource(dir_ + "/mail.log", dir_);
  EXPECT_EQ(a.source, LogSource::kAuto);
  EXPECT_EQ(a.why,
            "no " + dir_ + "/mail.log and no Postfix entries in the journal");
}

}  // namespace
}  // namespace mailflow::log_collector
