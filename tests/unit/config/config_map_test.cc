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
            "c.yml:1:4: \"t\" must be a duration such as 500ms, 10s or 5m");

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

}  // namespace
}  // namespace mailflow
