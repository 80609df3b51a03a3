#include "collectors/log/auto_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace mailflow::log_collector {
namespace {

class AutoSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
  }
  test_support::TempDir tmp_{"auto-source-test"};
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
