#include "exporter/override_flags.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>

namespace mailflow {
namespace {

// argv for CLI11 and OnCommandLine, owning its strings.
struct Args {
  explicit Args(std::vector<std::string> a) : words(std::move(a)) {
    for (std::string& w : words) ptrs.push_back(w.data());
  }
  int argc() const { return static_cast<int>(ptrs.size()); }
  char** argv() { return ptrs.data(); }
  std::vector<std::string> words;
  std::vector<char*> ptrs;
};

TEST(OverrideFlagsTest, OnCommandLine) {
  Args a({"x", "--collector.log.path=/a", "--collector.log.source", "file",
          "--", "--collector.log.sourcex"});
  EXPECT_TRUE(OnCommandLine(a.argc(), a.argv(), "--collector.log.path"));
  EXPECT_TRUE(OnCommandLine(a.argc(), a.argv(), "--collector.log.source"));
  EXPECT_FALSE(OnCommandLine(a.argc(), a.argv(), "--collector.log"));
  Args after({"x", "--", "--collector.log.path=/a"});
  EXPECT_FALSE(
      OnCommandLine(after.argc(), after.argv(), "--collector.log.path"));
}

TEST(OverrideFlagsTest, FlagAndEnvironmentNameTheirOrigin) {
  ASSERT_EQ(setenv("MAILFLOW_LOG_SOURCE", "journal", 1), 0);
  unsetenv("MAILFLOW_LOG_PATH");
  CLI::App app;
  std::vector<OverrideFlag> flags = AddOverrideFlags(&app);
  Args a({"x", "--collector.log.path", "/var/log/mail.log"});
  app.parse(a.argc(), a.argv());
  unsetenv("MAILFLOW_LOG_SOURCE");
  std::vector<CollectorOverride> got =
      CollectOverrides(flags, a.argc(), a.argv());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].collector, "log");
  EXPECT_EQ(got[0].key, "source");
  EXPECT_EQ(got[0].value, "journal");
  EXPECT_EQ(got[0].origin, "environment variable MAILFLOW_LOG_SOURCE");
  EXPECT_EQ(got[1].key, "path");
  EXPECT_EQ(got[1].value, "/var/log/mail.log");
  EXPECT_EQ(got[1].origin, "--collector.log.path");
}

TEST(OverrideFlagsTest, NothingGivenNothingOverridden) {
  unsetenv("MAILFLOW_LOG_SOURCE");
  unsetenv("MAILFLOW_LOG_PATH");
  CLI::App app;
  std::vector<OverrideFlag> flags = AddOverrideFlags(&app);
  Args a({"x"});
  app.parse(a.argc(), a.argv());
  EXPECT_TRUE(CollectOverrides(flags, a.argc(), a.argv()).empty());
}

}  // namespace
}  // namespace mailflow
