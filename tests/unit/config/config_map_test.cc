#include "config/config_map.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace mailflow {
namespace {

TEST(ConfigMapTest, EmptyDocumentIsAllDefaults) {
  ConfigMap m;
  std::string err;
  ASSERT_TRUE(ConfigMap::Parse("", "c.yml", &m, &err)) << err;
  EXPECT_TRUE(m.empty());
  bool b = true;
  EXPECT_TRUE(m.GetBool("x", &b, &err));
  EXPECT_TRUE(b);
  EXPECT_TRUE(m.Finish(&err));
}

TEST(ConfigMapTest, TypedGetters) {
  ConfigMap m;
  std::string err;
  ASSERT_TRUE(ConfigMap::Parse(
      "b: true\ns: hello\ni: 42\nd: 1m30s\nl: [a, b]\nn: [25, 587]\n", "c.yml",
      &m, &err))
      << err;
  bool b = false;
  std::string s;
  int64_t i = 0;
  std::chrono::milliseconds d{};
  std::vector<std::string> l;
  std::vector<int64_t> n;
  ASSERT_TRUE(m.GetBool("b", &b, &err) && m.GetString("s", &s, &err) &&
              m.GetInt("i", 0, 100, &i, &err) && m.GetDuration("d", &d, &err) &&
              m.GetStringList("l", &l, &err) &&
              m.GetIntList("n", 1, 65535, &n, &err))
      << err;
  EXPECT_TRUE(b);
  EXPECT_EQ(s, "hello");
  EXPECT_EQ(i, 42);
  EXPECT_EQ(d.count(), 90000);
  EXPECT_EQ(l, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(n, (std::vector<int64_t>{25, 587}));
  EXPECT_TRUE(m.Finish(&err)) << err;
}

TEST(ConfigMapTest, ErrorsNameFileLineAndColumn) {
  ConfigMap m;
  std::string err;
  ASSERT_TRUE(ConfigMap::Parse("a: 1\nb:   yes please\n", "c.yml", &m, &err));
  bool b;
  EXPECT_FALSE(m.GetBool("b", &b, &err));
  EXPECT_EQ(err, "c.yml:2:6: \"b\" must be true or false");

  int64_t i;
  ASSERT_TRUE(ConfigMap::Parse("port: 70000\n", "c.yml", &m, &err));
  EXPECT_FALSE(m.GetInt("port", 1, 65535, &i, &err));
  EXPECT_EQ(err, "c.yml:1:7: \"port\" must be an integer from 1 to 65535");

  std::chrono::milliseconds d;
  ASSERT_TRUE(ConfigMap::Parse("t: 10 s\n", "c.yml", &m, &err));
  EXPECT_FALSE(m.GetDuration("t", &d, &err));
  EXPECT_EQ(err,
            "c.yml:1:4: \"t\" must be a duration from 0s to 3650d (such as "
            "500ms, 10s or 5m)");

  std::vector<int64_t> n;
  ASSERT_TRUE(ConfigMap::Parse("ports:\n  - 25\n  - x\n", "c.yml", &m, &err));
  EXPECT_FALSE(m.GetIntList("ports", 1, 65535, &n, &err));
  EXPECT_EQ(err,
            "c.yml:3:5: items of \"ports\" must be an integer from 1 to 65535");
}

TEST(ConfigMapTest, UnknownKeyIsAnError) {
  ConfigMap m;
  std::string err;
  ASSERT_TRUE(ConfigMap::Parse("known: 1\n  \nunknwn: 2\n", "c.yml", &m, &err));
  int64_t i;
  ASSERT_TRUE(m.GetInt("known", 0, 9, &i, &err));
  EXPECT_FALSE(m.Finish(&err));
  EXPECT_EQ(err, "c.yml:3:1: unknown key \"unknwn\"");
}

TEST(ConfigMapTest, DuplicateKeyIsAnError) {
  ConfigMap m;
  std::string err;
  EXPECT_FALSE(ConfigMap::Parse("a: 1\nb: 2\na: 3\n", "c.yml", &m, &err));
  EXPECT_EQ(err, "c.yml:3:1: duplicate key \"a\"");
  // Nested maps are checked when opened.
  ASSERT_TRUE(ConfigMap::Parse("outer:\n  x: 1\n  x: 2\n", "c.yml", &m, &err));
  ConfigMap inner;
  EXPECT_FALSE(m.GetMap("outer", &inner, &err));
  EXPECT_EQ(err, "c.yml:3:3: duplicate key \"x\"");
}

TEST(ConfigMapTest, SyntaxErrorHasPosition) {
  ConfigMap m;
  std::string err;
  EXPECT_FALSE(ConfigMap::Parse("a: [1, 2\nb: 3\n", "c.yml", &m, &err));
  EXPECT_EQ(err.rfind("c.yml:", 0), 0u) << err;
  EXPECT_FALSE(ConfigMap::Parse("- 1\n- 2\n", "c.yml", &m, &err));
  EXPECT_EQ(err, "c.yml:1:1: the configuration must be a mapping");
}

TEST(ParseDurationTest, Forms) {
  std::chrono::milliseconds d;
  ASSERT_TRUE(ParseDuration("500ms", &d));
  EXPECT_EQ(d.count(), 500);
  ASSERT_TRUE(ParseDuration("2h", &d));
  EXPECT_EQ(d.count(), 7200000);
  ASSERT_TRUE(ParseDuration("1d", &d));
  EXPECT_EQ(d.count(), 86400000);
  EXPECT_FALSE(ParseDuration("", &d));
  EXPECT_FALSE(ParseDuration("5", &d));
  EXPECT_FALSE(ParseDuration("5x", &d));
  EXPECT_FALSE(ParseDuration("-5s", &d));
  ASSERT_TRUE(ParseDuration("1w1d", &d));
  EXPECT_EQ(d.count(), 8 * 86400000);
  ASSERT_TRUE(ParseDuration("1y", &d));
  EXPECT_EQ(d.count(), 365LL * 86400000);
}

TEST(ParseDurationTest, NoOverflowAndAnUpperBound) {
  std::chrono::milliseconds d{42};
  // The reproducer: once accepted, then it spun the probe loop.
  EXPECT_FALSE(ParseDuration("1000000000d", &d));
  EXPECT_FALSE(ParseDuration("999999999y", &d));
  EXPECT_FALSE(ParseDuration("3651d", &d));
  // Many terms that each fit but add up beyond the bound.
  std::string many;
  for (int i = 0; i < 200; ++i) many += "900000000h";
  EXPECT_FALSE(ParseDuration(many, &d));
  EXPECT_FALSE(ParseDuration("99999999999999999999ms", &d));
  EXPECT_EQ(d.count(), 42);
  ASSERT_TRUE(ParseDuration("3650d", &d));
  EXPECT_EQ(d, kMaxDuration);
}

TEST(ParseDurationTest, FormatsTheShortestForm) {
  using std::chrono::milliseconds;
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(86400000 + 1)), "1d1ms");
}

TEST(ConfigMapTest, DurationBoundsNameTheRange) {
  ConfigMap m;
  std::string err;
  std::chrono::milliseconds d{7};
  ASSERT_TRUE(
      ConfigMap::Parse("i: 1000000000d\nj: 10ms\nk: 2m\n", "c.yml", &m, &err));
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  EXPECT_FALSE(m.GetDuration("i", seconds(1), seconds(86400), &d, &err));
  EXPECT_EQ(err,
            "c.yml:1:4: \"i\" must be a duration from 1s to 1d (such as "
            "500ms, 10s or 5m)");
  EXPECT_FALSE(m.GetDuration("j", seconds(1), seconds(86400), &d, &err));
  EXPECT_EQ(err,
            "c.yml:2:4: \"j\" must be a duration from 1s to 1d (such as "
            "500ms, 10s or 5m)");
  EXPECT_EQ(d.count(), 7);
  ASSERT_TRUE(m.GetDuration("k", seconds(1), seconds(86400), &d, &err));
  EXPECT_EQ(d.count(), 120000);
}

TEST(ConfigTest, ScrapeTimeoutsAreBounded) {
  Config c;
  std::string err;
  ASSERT_TRUE(ParseConfig("scrape:\n  max_timeout: 30s\n", "c.yml", &c, &err))
      << err;
  EXPECT_EQ(c.scrape.max_timeout.count(), 30000);
  EXPECT_FALSE(ParseConfig("scrape:\n  max_timeout: 1d\n", "c.yml", &c, &err));
  EXPECT_EQ(err,
            "c.yml:2:16: \"max_timeout\" must be a duration from 1ms to 10m "
            "(such as 500ms, 10s or 5m)");
  EXPECT_FALSE(
      ParseConfig("scrape:\n  default_timeout: 2m\n  max_timeout: 1m\n",
                  "c.yml", &c, &err));
  EXPECT_EQ(err,
            "c.yml:2:3: \"default_timeout\" must not exceed \"max_timeout\" "
            "(1m)");
}

TEST(ConfigTest, ParsesTopLevelSections) {
  Config c;
  std::string err;
  ASSERT_TRUE(ParseConfig(
      "paths:\n  postfix_config_directory: /tmp/pf\n  proc: /tmp/proc\n"
      "scrape:\n  timeout_offset: 250ms\n"
      "collectors:\n  listen:\n    enabled: false\n    ports: [25]\n",
      "c.yml", &c, &err))
      << err;
  EXPECT_EQ(c.paths.postfix_config_directory, "/tmp/pf");
  EXPECT_EQ(c.paths.proc, "/tmp/proc");
  EXPECT_EQ(c.paths.etc, "/etc");
  EXPECT_EQ(c.scrape.timeout_offset.count(), 250);
  ASSERT_EQ(c.collectors.count("listen"), 1u);
  EXPECT_EQ(c.collectors["listen"].enabled, false);
  EXPECT_TRUE(c.collectors["listen"].options.Has("ports"));
}

TEST(ConfigTest, UnknownTopLevelKey) {
  Config c;
  std::string err;
  EXPECT_FALSE(ParseConfig("paths: {}\ncolectors: {}\n", "c.yml", &c, &err));
  EXPECT_EQ(err, "c.yml:2:1: unknown key \"colectors\"");
  EXPECT_FALSE(ParseConfig("paths:\n  prc: /x\n", "c.yml", &c, &err));
  EXPECT_EQ(err, "c.yml:2:3: unknown key \"prc\"");
}

TEST(ConfigTest, MissingFileNamesIt) {
  Config c;
  std::string err;
  EXPECT_FALSE(LoadConfigFile("/nonexistent/mailflow.yml", &c, &err));
  EXPECT_EQ(
      err, "/nonexistent/mailflow.yml: cannot read: No such file or directory");
}

TEST(ConfigMapTest, OverrideReplacesTheFileValueAndNamesItsOrigin) {
  ConfigMap m;
  std::string err;
  ASSERT_TRUE(ConfigMap::Parse("source: file\npath: /var/log/mail.log\n",
                               "c.yml", &m, &err));
  const ConfigMap file_only = m;
  m.Override("source", "stdin", "environment variable MAILFLOW_LOG_SOURCE");
  std::string source, path;
  ASSERT_TRUE(m.GetString("source", &source, &err) &&
              m.GetString("path", &path, &err))
      << err;
  EXPECT_EQ(source, "stdin");
  EXPECT_EQ(path, "/var/log/mail.log");
  EXPECT_TRUE(m.Finish(&err)) << err;
  EXPECT_EQ(m.Where("source"), "environment variable MAILFLOW_LOG_SOURCE");
  EXPECT_EQ(m.Where("path"), "c.yml:2:1");

  // Copies made before the override keep the file's value.
  ConfigMap copy = file_only;
  ASSERT_TRUE(copy.GetString("source", &source, &err));
  EXPECT_EQ(source, "file");

  // Type errors name the origin, not a line of the file.
  bool b;
  m.Override("follow", "maybe", "--collector.log.follow");
  EXPECT_FALSE(m.GetBool("follow", &b, &err));
  EXPECT_EQ(err, "--collector.log.follow: \"follow\" must be true or false");
}

TEST(ConfigMapTest, OverrideOfAnAbsentSectionAndUnreadOverride) {
  ConfigMap m;  // no such section in the file
  std::string err;
  m.Override("sorce", "stdin", "--collector.log.sorce");
  EXPECT_FALSE(m.empty());
  EXPECT_TRUE(m.Has("sorce"));
  EXPECT_FALSE(m.Finish(&err));
  EXPECT_EQ(err, "--collector.log.sorce: unknown key \"sorce\"");
}

TEST(ConfigTest, ApplyOverridesCreatesTheCollectorSection) {
  Config c;
  std::string err;
  ASSERT_TRUE(ParseConfig("collectors:\n  log:\n    source: file\n", "c.yml",
                          &c, &err));
  ApplyOverrides({{"log", "source", "journal", "MAILFLOW_LOG_SOURCE"},
                  {"queue", "top_domains", "3", "--x"}},
                 &c);
  std::string source;
  int64_t top = 0;
  ASSERT_TRUE(c.collectors["log"].options.GetString("source", &source, &err));
  EXPECT_EQ(source, "journal");
  ASSERT_TRUE(
      c.collectors["queue"].options.GetInt("top_domains", 0, 9, &top, &err));
  EXPECT_EQ(top, 3);
}

}  // namespace
}  // namespace mailflow
