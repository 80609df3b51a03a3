// MainCf: parsing, built-in defaults and lists, checked against the answers
// of the real postconf 3.7.11 recorded in tests/fixtures/postfix.
#include "lib/postfix/main_cf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/lib/postfix/fixture_util.h"

namespace mailflow::postfix {
namespace {

using testing::NormalizeWhitespace;
using testing::ReadFixture;
using testing::ReadPostconfAnswers;

MainCf ParseFixture(const std::string& name) {
  return MainCf::Parse(ReadFixture("main/" + name + ".cf"), name + ".cf");
}

std::vector<std::string> Formatted(const MainCf& cf) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : cf.problems())
    out.push_back(cf.FormatProblem(p));
  return out;
}

// Every fixture that postconf accepts: our raw and expanded values equal
// `postconf -n` / `postconf -nx` (after postconf's whitespace folding).
class MainPostconfN : public ::testing::TestWithParam<const char*> {};
class MainPostconfNX : public ::testing::TestWithParam<const char*> {};

TEST_P(MainPostconfN, RawValuesMatchPostconfN) {
  const std::string name = GetParam();
  MainCf cf = ParseFixture(name);
  auto answers = ReadPostconfAnswers("main/" + name + ".postconf-n.txt");
  ASSERT_FALSE(answers.empty());
  for (const auto& [param, value] : answers) {
    EXPECT_TRUE(cf.IsSet(param)) << param;
    EXPECT_EQ(NormalizeWhitespace(cf.Raw(param)), value) << param;
  }
}

TEST_P(MainPostconfNX, ExpandedValuesMatchPostconfNX) {
  const std::string name = GetParam();
  MainCf cf = ParseFixture(name);
  auto answers = ReadPostconfAnswers("main/" + name + ".postconf-nx.txt");
  ASSERT_FALSE(answers.empty());
  for (const auto& [param, value] : answers) {
    std::string err = "not cleared";
    EXPECT_EQ(NormalizeWhitespace(cf.Get(param, &err)), value) << param;
    EXPECT_EQ(err, "") << param;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MainPostconfN,
                         ::testing::Values("debian12", "expand", "continuation",
                                           "crlf", "nul", "long_line", "deep"));
// postconf -nx itself fails on deep.cf (p0..p49 nest too deeply).
INSTANTIATE_TEST_SUITE_P(Fixtures, MainPostconfNX,
                         ::testing::Values("debian12", "expand", "continuation",
                                           "crlf", "nul", "long_line"));

TEST(MainCfTest, Debian12HasNoProblems) {
  MainCf cf = ParseFixture("debian12");
  EXPECT_TRUE(cf.problems().empty());
  EXPECT_EQ(cf.Raw("inet_interfaces"), "loopback-only");
  EXPECT_EQ(cf.Get("smtpd_banner"), "vm ESMTP Postfix (Debian/GNU)");
  EXPECT_EQ(cf.Raw("relayhost"), "");
  EXPECT_TRUE(cf.IsSet("relayhost"));
  EXPECT_EQ(cf.LineOf("myhostname"), 26);
  EXPECT_EQ(cf.Get("mynetworks_style"), "host");  // compatibility_level 3.6
}

TEST(MainCfTest, ContinuationLinesAreAppendedVerbatim) {
  MainCf cf = ParseFixture("continuation");
  // Comment lines, indented comments and blank lines neither end nor join
  // the logical line; the continuation text keeps its whitespace (postconf
  // only folds it when printing).
  EXPECT_EQ(cf.Raw("myhostname"), "first  second\tthird  fourth");
  EXPECT_EQ(cf.LineOf("myhostname"), 2);
  EXPECT_EQ(cf.Raw("mydomain"), "tight");
  EXPECT_EQ(cf.Raw("relayhost"), "[mail.example.net]:587");
  EXPECT_EQ(cf.Raw("smtpd_banner"), "");
  EXPECT_EQ(cf.Raw("alias_maps"),
            "hash:/etc/aliases,    hash:/etc/postfix/more_aliases");
  EXPECT_EQ(cf.Raw("inet_interfaces"), "all");
  EXPECT_EQ(cf.LineOf("inet_interfaces"), 15);
  EXPECT_EQ(Formatted(cf),
            std::vector<std::string>{"continuation.cf:14: overriding earlier "
                                     "entry: inet_interfaces=loopback-only"});
  EXPECT_EQ(cf.problems()[0].severity, ProblemSeverity::kWarning);
}

TEST(MainCfTest, CrlfLineEndings) {
  MainCf cf = ParseFixture("crlf");
  EXPECT_EQ(cf.Raw("myhostname"), "first\r  second\r\tthird\r  fourth");
  EXPECT_EQ(cf.Raw("mydomain"), "tight");
  EXPECT_EQ(cf.Raw("relayhost"), "[mail.example.net]:587");
  EXPECT_EQ(cf.SplitList(cf.Get("alias_maps")),
            (std::vector<std::string>{"hash:/etc/aliases",
                                      "hash:/etc/postfix/more_aliases"}));
  EXPECT_EQ(Formatted(cf),
            std::vector<std::string>{"crlf.cf:14: overriding earlier entry: "
                                     "inet_interfaces=loopback-only"});
}

TEST(MainCfTest, NulByteTruncatesTheLogicalLine) {
  // postconf 3.7 silently reads up to the NUL (C strings); we also warn.
  MainCf cf = ParseFixture("nul");
  EXPECT_EQ(cf.Raw("myhostname"), "before");
  EXPECT_EQ(cf.Raw("mydomain"), "x  y");
  EXPECT_EQ(cf.Raw("relayhost"), "kept");
  EXPECT_EQ(Formatted(cf), (std::vector<std::string>{
                               "nul.cf:1: text after null byte is ignored",
                               "nul.cf:2: text after null byte is ignored"}));
}

TEST(MainCfTest, MalformedLinesAreReportedAndSkipped) {
  // postconf stops at the first error: "main.cf, line 3: missing '=' after
  // attribute name: "this line has no equals sign"". We keep going.
  MainCf cf = ParseFixture("malformed");
  EXPECT_EQ(Formatted(cf),
            (std::vector<std::string>{
                "malformed.cf:1: logical line must not start with whitespace: "
                "\" leading = continuation withou...\"",
                "malformed.cf:3: missing '=' after attribute name: "
                "\"this line has no equals sign\"",
                "malformed.cf:4: missing attribute name: "
                "\"= value without a name\\tcontinued\"",
                "malformed.cf:9: overriding earlier entry: "
                "mydomain=example.com  junk  and  more",
                "malformed.cf:11: text after null byte is ignored",
            }));
  EXPECT_EQ(cf.problems()[0].severity, ProblemSeverity::kWarning);
  EXPECT_EQ(cf.problems()[1].severity, ProblemSeverity::kError);
  EXPECT_EQ(cf.problems()[1].line, 3);
  EXPECT_EQ(cf.Raw("myhostname"), "good");
  EXPECT_EQ(cf.Raw("mydomain"), "other.example");
  EXPECT_EQ(cf.Raw("!@#$"), "punctuation is a name for Postfix");
  EXPECT_EQ(cf.Raw("relayhost"), "before");
  EXPECT_FALSE(cf.IsSet("leading"));
  EXPECT_EQ(cf.SetNames(), (std::vector<std::string>{
                               "!@#$", "mydomain", "myhostname", "relayhost"}));
}

TEST(MainCfTest, VeryLongLines) {
  MainCf cf = ParseFixture("long_line");
  EXPECT_TRUE(cf.problems().empty());
  EXPECT_EQ(cf.SplitList(cf.Get("smtpd_client_restrictions")).size(), 800u);
  EXPECT_EQ(cf.Raw("myhostname"), "after.long");

  std::string garbage(20000, 'x');
  MainCf bad = MainCf::Parse(garbage + "\nmyhostname = ok\n", "long.cf");
  ASSERT_EQ(bad.problems().size(), 1u);
  EXPECT_EQ(bad.FormatProblem(bad.problems()[0]),
            "long.cf:1: missing '=' after attribute name: \"" +
                std::string(100, 'x') + "...\"");
  EXPECT_EQ(bad.Raw("myhostname"), "ok");
}

TEST(MainCfTest, EmptyInputAndDefaults) {
  MainCf cf = MainCf::Parse("", "empty.cf");
  EXPECT_TRUE(cf.problems().empty());
  EXPECT_FALSE(cf.IsSet("queue_directory"));
  EXPECT_EQ(cf.LineOf("queue_directory"), 0);
  // `postconf -c EMPTYDIR -d` / `-dx` answers (Debian 12, Postfix 3.7.11).
  EXPECT_EQ(cf.Raw("queue_directory"), "/var/spool/postfix");
  EXPECT_EQ(cf.Raw("inet_interfaces"), "all");
  EXPECT_EQ(cf.Raw("inet_protocols"), "all");
  EXPECT_EQ(cf.Raw("data_directory"), "/var/lib/postfix");
  EXPECT_EQ(cf.Raw("process_id_directory"), "pid");
  EXPECT_EQ(cf.Raw("default_transport"), "smtp");
  EXPECT_EQ(cf.Raw("relay_transport"), "relay");
  EXPECT_EQ(cf.Raw("compatibility_level"), "0");
  EXPECT_EQ(cf.Raw("config_directory"), "/etc/postfix");
  EXPECT_EQ(cf.Get("bounce_queue_lifetime"), "5d");
  EXPECT_EQ(cf.Get("maximal_queue_lifetime"), "5d");
  EXPECT_EQ(cf.Get("mynetworks_style"), "subnet");  // compatibility_level 0
  EXPECT_EQ(cf.Get("smtpd_relay_restrictions"), "");
  EXPECT_EQ(cf.Get("syslog_name"), "postfix");
  EXPECT_EQ(cf.Get("smtpd_timeout"), "300s");
  EXPECT_EQ(cf.Raw("mynetworks"), "");
  EXPECT_EQ(cf.Raw("no_such_parameter"), "");
  EXPECT_EQ(cf.Get("no_such_parameter"), "");
  EXPECT_FALSE(MainCf::Default("no_such_parameter").has_value());
  EXPECT_EQ(MainCf::Default("master_service_disable"), "");

  MainCf defaults;  // default-constructed: same as an empty file
  EXPECT_EQ(defaults.Get("default_process_limit"), "100");
}

TEST(MainCfTest, DefaultsFollowCompatibilityLevel) {
  // `postconf -dx relay_domains smtpd_relay_restrictions` with these hosts.
  MainCf old = MainCf::Parse(
      "myhostname = vm.localdomain\nmydomain = localdomain\n", "old.cf");
  EXPECT_EQ(old.Get("relay_domains"),
            "vm.localdomain, localhost.localdomain, localhost");
  EXPECT_EQ(old.Get("smtpd_relay_restrictions"), "");
  MainCf current = MainCf::Parse("compatibility_level = 3.6\n", "new.cf");
  EXPECT_EQ(current.Get("relay_domains"), "");
  EXPECT_EQ(current.Get("mynetworks_style"), "host");
  EXPECT_EQ(current.Get("smtpd_relay_restrictions"),
            "permit_mynetworks, permit_sasl_authenticated, "
            "defer_unauth_destination");
}

TEST(MainCfTest, OverridesTakePrecedenceEverywhere) {
  MainCf cf = MainCf::Parse(
      "mua_relay = permit_sasl_authenticated, reject\n"
      "smtpd_relay_restrictions = permit_mynetworks, reject\n",
      "main.cf");
  ParamOverrides overrides = {
      {"smtpd_relay_restrictions", "first"},
      {"smtpd_relay_restrictions", "$mua_relay"},  // the last one wins
      {"service_name", "submission"},
      {"syslog_name", "postfix/$service_name"},
  };
  EXPECT_EQ(cf.GetWithOverrides("smtpd_relay_restrictions", overrides),
            "permit_sasl_authenticated, reject");
  EXPECT_EQ(cf.GetWithOverrides("syslog_name", overrides),
            "postfix/submission");
  EXPECT_EQ(cf.Get("smtpd_relay_restrictions"), "permit_mynetworks, reject");
  EXPECT_EQ(cf.Expand("$syslog_name", nullptr, &overrides),
            "postfix/submission");
}

TEST(MainCfTest, ExpansionErrorsReturnEmptyAndSetErr) {
  MainCf cf = ParseFixture("cycle");
  EXPECT_TRUE(cf.problems().empty());
  std::string err;
  // postconf -xh answers: warning: unreasonable macro call nesting: "x ",
  // ... "b", ... "self"; then "fatal: macro processing error".
  EXPECT_EQ(cf.Get("a", &err), "");
  EXPECT_EQ(err, "unreasonable macro call nesting: \"x \"");
  EXPECT_EQ(cf.Get("b", &err), "");
  EXPECT_EQ(err, "unreasonable macro call nesting: \"b\"");
  EXPECT_EQ(cf.Get("self", &err), "");
  EXPECT_EQ(err, "unreasonable macro call nesting: \"self\"");
  EXPECT_EQ(cf.Get("ok", &err), "fine");
  EXPECT_EQ(err, "");
  EXPECT_EQ(cf.Get("a"), "");  // err is optional
}

TEST(MainCfTest, NestingLimitIsPostfixs) {
  MainCf cf = ParseFixture("deep");
  std::string err;
  // postconf -xh p50 -> "end"; p49 and p48 fail with these warnings.
  EXPECT_EQ(cf.Get("p50", &err), "end");
  EXPECT_EQ(err, "");
  EXPECT_EQ(cf.Get("p49", &err), "");
  EXPECT_EQ(err, "unreasonable macro call nesting: \"end\"");
  EXPECT_EQ(cf.Get("p48", &err), "");
  EXPECT_EQ(err, "unreasonable macro call nesting: \"p150\"");
}

TEST(MainCfTest, SplitList) {
  EXPECT_EQ(MainCf::SplitList("a, b,c\t{x y, z}\n d{e f}g ,,"),
            (std::vector<std::string>{"a", "b", "c", "{x y, z}", "d{e f}g"}));
  EXPECT_EQ(MainCf::SplitList(" , "), std::vector<std::string>{});
  EXPECT_EQ(MainCf::SplitList("check_policy_service { inet:127.0.0.1:10023, "
                              "timeout=10s }, reject"),
            (std::vector<std::string>{"check_policy_service",
                                      "{ inet:127.0.0.1:10023, timeout=10s }",
                                      "reject"}));
  EXPECT_EQ(MainCf::SplitList("{unbalanced, x"),
            std::vector<std::string>{"{unbalanced, x"});
}

TEST(MainCfTest, ParseTimeValueAsConvTime) {
  int64_t s = -1;
  EXPECT_TRUE(MainCf::ParseTimeValue("5d", 'd', &s));
  EXPECT_EQ(s, 432000);
  EXPECT_TRUE(MainCf::ParseTimeValue("3600s", 'd', &s));
  EXPECT_EQ(s, 3600);
  EXPECT_TRUE(MainCf::ParseTimeValue("1h", 's', &s));
  EXPECT_EQ(s, 3600);
  EXPECT_TRUE(MainCf::ParseTimeValue("30m", 's', &s));
  EXPECT_EQ(s, 1800);
  EXPECT_TRUE(MainCf::ParseTimeValue("2w", 's', &s));
  EXPECT_EQ(s, 1209600);
  EXPECT_TRUE(MainCf::ParseTimeValue("10", 's', &s));
  EXPECT_EQ(s, 10);
  EXPECT_TRUE(MainCf::ParseTimeValue("10", 'd', &s));
  EXPECT_EQ(s, 864000);
  EXPECT_TRUE(MainCf::ParseTimeValue("24854d", 's', &s));
  EXPECT_EQ(s, 2147385600);
  EXPECT_TRUE(MainCf::ParseTimeValue("2147483647", 's', &s));
  EXPECT_EQ(s, 2147483647);
  // conv_time() quirks: strtol skips leading blanks; a bare unit is 0.
  EXPECT_TRUE(MainCf::ParseTimeValue(" 5s", 'd', &s));
  EXPECT_EQ(s, 5);
  EXPECT_TRUE(MainCf::ParseTimeValue("d", 's', &s));
  EXPECT_EQ(s, 0);
  for (const char* bad : {"", "5x", "5dd", "5 d", "-1", "24855d", "2147483648",
                          "99999999999999999999", "5D", "10", "1.5h"}) {
    char unit = std::string(bad) == "10" ? 'x' : 's';
    EXPECT_FALSE(MainCf::ParseTimeValue(bad, unit, &s)) << bad;
  }
}

}  // namespace
}  // namespace mailflow::postfix
