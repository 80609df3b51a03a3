// MasterCf: master.cf entries, checked against `postconf -F` / `postconf -P`
// of the real postconf 3.7.11 (tests/fixtures/postfix/master/*.txt).
#include "lib/postfix/master_cf.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/lib/postfix/fixture_util.h"

namespace mailflow::postfix {
namespace {

using testing::NormalizeWhitespace;
using testing::ReadFixture;
using testing::ReadPostconfLines;

using Overrides = std::vector<std::pair<std::string, std::string>>;
using Args = std::vector<std::string>;

MasterCf ParseFixture(const std::string& name) {
  return MasterCf::Parse(ReadFixture("master/" + name + ".cf"), name + ".cf");
}

std::vector<std::string> Formatted(const MasterCf& cf) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : cf.problems())
    out.push_back(cf.FormatProblem(p));
  return out;
}

bool Resolve(const std::string& raw, bool def) {
  return raw == "-" ? def : raw == "y";
}

class MasterPostconfAnswers : public ::testing::TestWithParam<const char*> {};

TEST_P(MasterPostconfAnswers, FieldsMatchPostconfF) {
  const std::string name = GetParam();
  MasterCf cf = ParseFixture(name);
  std::vector<const MasterEntry*> enabled;
  for (const MasterEntry& e : cf.entries()) {
    if (e.enabled) enabled.push_back(&e);
  }
  std::map<std::string, std::string> fields;
  std::vector<std::string> services;  // service/type, in file order
  for (const auto& [key, value] :
       ReadPostconfLines("master/" + name + ".postconf-F.txt")) {
    fields[key] = value;
    size_t slash = key.rfind('/');
    if (key.substr(slash + 1) == "service")
      services.push_back(key.substr(0, slash));
  }
  ASSERT_EQ(enabled.size(), services.size());
  for (size_t i = 0; i < enabled.size(); ++i) {
    const MasterEntry& e = *enabled[i];
    const std::string k = services[i] + "/";
    SCOPED_TRACE(k);
    EXPECT_EQ(e.service, fields[k + "service"]);
    EXPECT_EQ(e.type, fields[k + "type"]);
    EXPECT_EQ(e.private_,
              e.type != "inet" && Resolve(fields[k + "private"], true));
    EXPECT_EQ(e.unpriv, Resolve(fields[k + "unprivileged"], true));
    EXPECT_EQ(e.chroot, Resolve(fields[k + "chroot"], false));
    EXPECT_EQ(e.wakeup, fields[k + "wakeup"]);
    const std::string& maxproc = fields[k + "process_limit"];
    EXPECT_EQ(e.maxproc, maxproc == "-" ? -1 : std::stoi(maxproc));
    const std::string& command = fields[k + "command"];
    EXPECT_EQ(e.command, command.substr(0, command.find(' ')));
  }
}

TEST_P(MasterPostconfAnswers, OverridesMatchPostconfP) {
  const std::string name = GetParam();
  MasterCf cf = ParseFixture(name);
  std::set<std::pair<std::string, std::string>> ours;
  for (const MasterEntry& e : cf.entries()) {
    if (!e.enabled) continue;
    std::map<std::string, std::string> last;  // the last -o wins
    for (const auto& [param, value] : e.overrides) last[param] = value;
    for (const auto& [param, value] : last) {
      ours.emplace(e.service + "/" + e.type + "/" + param,
                   NormalizeWhitespace(value));
    }
  }
  auto lines = ReadPostconfLines("master/" + name + ".postconf-P.txt");
  std::set<std::pair<std::string, std::string>> theirs(lines.begin(),
                                                       lines.end());
  EXPECT_EQ(ours, theirs);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MasterPostconfAnswers,
                         ::testing::Values("debian12", "options", "commented",
                                           "crlf"));

TEST(MasterCfTest, Debian12) {
  MasterCf cf = ParseFixture("debian12");
  EXPECT_TRUE(cf.problems().empty());
  const MasterEntry* smtp = cf.Find("smtp", "inet");
  ASSERT_NE(smtp, nullptr);
  EXPECT_EQ(smtp->line, 12);
  EXPECT_TRUE(smtp->chroot);
  EXPECT_FALSE(smtp->private_);
  EXPECT_EQ(smtp->host, "");
  EXPECT_EQ(smtp->port, 25);
  EXPECT_EQ(smtp->port_name, "smtp");
  EXPECT_EQ(smtp->maxproc, -1);
  EXPECT_EQ(cf.Find("submission", "inet"), nullptr);
  // The commented-out services of Debian's master.cf.
  std::vector<std::string> disabled;
  for (const MasterEntry& e : cf.entries()) {
    if (!e.enabled) {
      disabled.push_back(std::to_string(e.line) + " " + e.service + "/" +
                         e.type);
    }
  }
  EXPECT_EQ(disabled, (std::vector<std::string>{
                          "13 smtp/inet", "14 smtpd/pass", "15 dnsblog/unix",
                          "16 tlsproxy/unix", "18 127.0.0.1:submission/inet",
                          "19 submission/inet", "36 127.0.0.1:submissions/inet",
                          "37 submissions/inet", "52 628/inet", "56 qmgr/unix",
                          "112 cyrus/unix", "118 old-cyrus/unix"}));
  const MasterEntry& submission = cf.entries()[6];
  ASSERT_EQ(submission.service, "submission");
  EXPECT_EQ(submission.port, 587);
  ASSERT_EQ(submission.overrides.size(), 11u);
  EXPECT_EQ(submission.overrides[0], (std::pair<std::string, std::string>{
                                         "syslog_name", "postfix/submission"}));
  EXPECT_EQ(submission.overrides[10],
            (std::pair<std::string, std::string>{"milter_macro_daemon_name",
                                                 "ORIGINATING"}));
  const MasterEntry* postlog = cf.Find("postlog", "unix-dgram");
  ASSERT_NE(postlog, nullptr);
  EXPECT_FALSE(postlog->chroot);
  const MasterEntry* tlsmgr = cf.Find("tlsmgr", "unix");
  ASSERT_NE(tlsmgr, nullptr);
  EXPECT_EQ(tlsmgr->wakeup, "1000?");
  const MasterEntry* maildrop = cf.Find("maildrop", "unix");
  ASSERT_NE(maildrop, nullptr);
  EXPECT_EQ(maildrop->args,
            (Args{"flags=DRXhu", "user=vmail", "argv=/usr/bin/maildrop", "-d",
                  "${recipient}"}));
}

TEST(MasterCfTest, OptionForms) {
  MasterCf cf = ParseFixture("options");
  EXPECT_TRUE(cf.problems().empty());
  const MasterEntry* smtp = cf.Find("smtp", "inet");
  ASSERT_NE(smtp, nullptr);
  EXPECT_EQ(
      smtp->overrides,
      (Overrides{{"smtpd_tls_security_level", "may"},
                 {"smtpd_client_restrictions", "permit_mynetworks, reject"},
                 {"milter_macro_daemon_name", "ORIGINATING"},
                 {"smtpd_sasl_auth_enable", "yes"}}));
  EXPECT_EQ(smtp->args, Args{"-v"});
  const MasterEntry* submission = cf.Find("submission", "inet");
  ASSERT_NE(submission, nullptr);
  // "-o name= value": an empty value; "value" is the first non-option, so
  // the later "-o" is a plain argument (postconf -P agrees).
  EXPECT_EQ(submission->overrides,
            (Overrides{{"smtpd_sasl_auth_enable", "yes"},
                       {"smtpd_tls_security_level", "encrypt"},
                       {"name", ""}}));
  EXPECT_EQ(submission->args, (Args{"value", "-o", "after_first_arg=ignored"}));
  const MasterEntry* smtps = cf.Find("127.0.0.1:smtps", "inet");
  ASSERT_NE(smtps, nullptr);
  EXPECT_TRUE(smtps->overrides.empty());
  EXPECT_EQ(smtps->args, (Args{"--", "-o", "x=y"}));
  const MasterEntry* pipe = cf.Find("pipe1", "unix");
  ASSERT_NE(pipe, nullptr);
  EXPECT_EQ(pipe->args, (Args{"flags=R", "argv=/bin/x", "-a b", "${user}"}));
  EXPECT_TRUE(pipe->private_);
  EXPECT_FALSE(pipe->unpriv);
  EXPECT_FALSE(pipe->chroot);
}

TEST(MasterCfTest, InlineOptionValueIsGetoptStyle) {
  // postconf -F/-P split "-osyslog_name=x" at the 'o' of "syslog" (a
  // postconf display bug); the daemons' getopt() reads -o "syslog_name=x".
  MasterCf cf = MasterCf::Parse(
      "smtp inet n - y - - smtpd -osyslog_name=postfix/in -o{ a = b c }\n"
      "  -vDo x=1 -o =2 -o -o=3\n",
      "m.cf");
  EXPECT_EQ(Formatted(cf),
            std::vector<std::string>{"m.cf:1: bad -o value \"=2\" in service "
                                     "\"smtp\": missing attribute name"});
  ASSERT_EQ(cf.entries().size(), 1u);
  EXPECT_EQ(cf.entries()[0].overrides, (Overrides{{"syslog_name", "postfix/in"},
                                                  {"a", "b c"},
                                                  {"x", "1"},
                                                  {"-o", "3"}}));
  EXPECT_EQ(cf.entries()[0].args, Args{"-vD"});
}

TEST(MasterCfTest, InetServiceAddresses) {
  MasterCf cf = ParseFixture("options");
  struct Want {
    const char* service;
    const char* host;
    int port;
    const char* port_name;
  };
  for (const Want& w :
       {Want{"[::1]:2525", "::1", 2525, "2525"},
        Want{"127.0.0.1:smtps", "127.0.0.1", 465, "smtps"},
        Want{"0.0.0.0:10025", "0.0.0.0", 10025, "10025"},
        Want{"[IPv6:2001:db8::1]:submissions", "2001:db8::1", 465,
             "submissions"},
        Want{"mail.example.com:24", "mail.example.com", 24, "24"}}) {
    const MasterEntry* e = cf.Find(w.service, "inet");
    ASSERT_NE(e, nullptr) << w.service;
    EXPECT_EQ(e->host, w.host) << w.service;
    EXPECT_EQ(e->port, w.port) << w.service;
    EXPECT_EQ(e->port_name, w.port_name) << w.service;
  }
  EXPECT_EQ(ResolvePort("smtp"), 25);
  EXPECT_EQ(ResolvePort("submission"), 587);
  EXPECT_EQ(ResolvePort("smtps"), 465);
  EXPECT_EQ(ResolvePort("submissions"), 465);
  EXPECT_EQ(ResolvePort("2525"), 2525);
  EXPECT_EQ(ResolvePort("65536"), 0);
  EXPECT_EQ(ResolvePort("0"), 0);
  EXPECT_EQ(ResolvePort("gopher"), 0);
}

TEST(MasterCfTest, CommentedOutServices) {
  MasterCf cf = ParseFixture("commented");
  EXPECT_TRUE(cf.problems().empty());
  std::vector<std::string> got;
  for (const MasterEntry& e : cf.entries()) {
    got.push_back(std::to_string(e.line) + (e.enabled ? " + " : " # ") +
                  e.service + "/" + e.type + " " + e.command);
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "2 + smtp/inet smtpd", "3 # smtp/inet postscreen",
                     "4 # submission/inet smtpd", "13 # smtps/inet smtpd",
                     "17 + pickup/unix pickup", "18 # cyrus/unix pipe",
                     "20 + relay/unix smtp", "23 # 628/inet qmqpd",
                     "24 # qmgr/unix oqmgr"}));
  const MasterEntry& submission = cf.entries()[2];
  EXPECT_EQ(submission.overrides,
            (Overrides{{"syslog_name", "postfix/submission"},
                       {"smtpd_recipient_restrictions",
                        "permit_sasl_authenticated,reject"}}));
  EXPECT_TRUE(submission.args.empty());
  EXPECT_EQ(cf.entries()[3].port, 465);
  EXPECT_EQ(cf.entries()[5].args,
            (Args{"flags=DRX", "user=cyrus", "argv=/cyrus/bin/deliver", "-e",
                  "-r", "${sender}", "${user}"}));
  // The commented -o line inside the real relay entry is not an override.
  EXPECT_EQ(cf.entries()[6].overrides,
            (Overrides{{"syslog_name", "postfix/$service_name"}}));
  EXPECT_TRUE(cf.entries()[8].overrides.empty());
  EXPECT_EQ(cf.Find("smtp", "inet")->command, "smtpd");
}

TEST(MasterCfTest, CommentedEntryInsideRealEntry) {
  // Postfix skips the comment: "-o a=b" continues smtp, not submission.
  MasterCf cf = MasterCf::Parse(
      "smtp inet n - y - - smtpd\n"
      "#submission inet n - y - - smtpd\n"
      "  -o a=b\n"
      "#  -o c=d\n",
      "m.cf");
  EXPECT_TRUE(cf.problems().empty());
  ASSERT_EQ(cf.entries().size(), 2u);
  EXPECT_EQ(cf.entries()[0].overrides, (Overrides{{"a", "b"}}));
  EXPECT_FALSE(cf.entries()[1].enabled);
  EXPECT_EQ(cf.entries()[1].line, 2);
  EXPECT_TRUE(cf.entries()[1].overrides.empty());
}

TEST(MasterCfTest, CrlfLineEndings) {
  MasterCf cf = ParseFixture("crlf");
  EXPECT_TRUE(cf.problems().empty());
  ASSERT_EQ(cf.entries().size(), 3u);
  EXPECT_EQ(cf.entries()[0].overrides,
            (Overrides{{"smtpd_tls_security_level", "may"}}));
  EXPECT_FALSE(cf.entries()[1].enabled);
  EXPECT_EQ(cf.entries()[1].overrides,
            (Overrides{{"syslog_name", "postfix/submission"}}));
  EXPECT_EQ(cf.entries()[2].command, "pickup");
}

TEST(MasterCfTest, MalformedEntries) {
  MasterCf cf = ParseFixture("malformed");
  EXPECT_EQ(
      Formatted(cf),
      (std::vector<std::string>{
          "malformed.cf:1: logical line must not start with whitespace: "
          "\" leading = continuation withou...\"",
          "malformed.cf:3: bad transport type \"inetx\" in service \"smtp2\"",
          "malformed.cf:4: bad field count (need at least 8 fields, got 4): "
          "\"short     unix  -       -\"",
          "malformed.cf:5: bad private field \"x\" in service \"submission\" "
          "(expected y, n or -)",
          "malformed.cf:6: bad unprivileged field \"maybe\" in service "
          "\"sub2\" (expected y, n or -)",
          "malformed.cf:7: bad chroot field \"yes\" in service \"sub3\" "
          "(expected y, n or -)",
          "malformed.cf:8: bad wakeup field \"soon\" in service \"pickup\" "
          "(expected -, seconds, or seconds followed by ?)",
          "malformed.cf:9: bad maxproc field \"many\" in service \"cleanup\" "
          "(expected - or a number)",
          "malformed.cf:10: inet service \"priv\" cannot be private "
          "(\"-\" means y)",
          "malformed.cf:11: bad inet service address \"[::1\": missing \"]\"",
          "malformed.cf:12: bad inet service address \"host:2x5\": valid "
          "port number required",
          "malformed.cf:13: bad -o value \"novalue\" in service \"opt1\": "
          "missing '=' after attribute name",
          "malformed.cf:14: bad -o value \"{ a = b\" in service \"opt2\": "
          "missing '}'",
          "malformed.cf:15: bad -o value \"{ = b }\" in service \"opt3\": "
          "missing attribute name",
          "malformed.cf:16: -o without a value in service \"opt4\"",
          "malformed.cf:17: bad argument \"{a}x\" in service \"arg1\": text "
          "after '}'",
          "malformed.cf:18: bad field count (need at least 8 fields, got 1): "
          "\"toolong" +
              std::string(93, 'x') + "...\"",
          "malformed.cf:19: duplicate service \"smtp/inet\" (first defined at "
          "line 2)",
          "malformed.cf:20: text after null byte is ignored",
      }));
  // Entries with unusable columns are dropped; the others are kept.
  std::vector<std::string> kept;
  for (const MasterEntry& e : cf.entries()) kept.push_back(e.service);
  EXPECT_EQ(kept, (std::vector<std::string>{"smtp", "priv", "[::1", "host:2x5",
                                            "opt1", "opt2", "opt3", "opt4",
                                            "arg1", "smtp", "nul"}));
  EXPECT_FALSE(cf.entries()[1].private_);
  EXPECT_EQ(cf.entries()[2].port, 0);
  EXPECT_EQ(cf.entries().back().command, "cleanup");
  EXPECT_TRUE(cf.entries().back().args.empty());
}

TEST(MasterCfTest, ServiceDisable) {
  MasterEntry smtp;
  smtp.service = "smtp";
  smtp.type = "inet";
  EXPECT_FALSE(IsServiceDisabled(smtp, ""));
  EXPECT_TRUE(IsServiceDisabled(smtp, "inet"));
  EXPECT_TRUE(IsServiceDisabled(smtp, "smtp/inet"));
  EXPECT_TRUE(IsServiceDisabled(smtp, "SMTP/INET"));
  EXPECT_TRUE(IsServiceDisabled(smtp, "smtp.inet"));  // legacy form
  EXPECT_TRUE(IsServiceDisabled(smtp, " , unix,\tinet"));
  EXPECT_FALSE(IsServiceDisabled(smtp, "!smtp/inet, inet"));
  EXPECT_TRUE(IsServiceDisabled(smtp, "!!smtp/inet"));
  EXPECT_FALSE(IsServiceDisabled(smtp, "unix, submission/inet, smtp"));
  MasterEntry local;
  local.service = "127.0.0.1:25";
  local.type = "inet";
  EXPECT_TRUE(IsServiceDisabled(local, "127.0.0.1:25/inet"));
  EXPECT_FALSE(IsServiceDisabled(local, "smtp/inet"));
}

TEST(MasterCfTest, EmptyAndGarbageInput) {
  EXPECT_TRUE(MasterCf::Parse("", "m.cf").entries().empty());
  MasterCf cf = MasterCf::Parse("\n\n# only comments\n#\n", "m.cf");
  EXPECT_TRUE(cf.entries().empty());
  EXPECT_TRUE(cf.problems().empty());
  MasterCf garbage = MasterCf::Parse("{{{{ }\n\x01\x02 \xff", "m.cf");
  EXPECT_TRUE(garbage.entries().empty());
  EXPECT_EQ(Formatted(garbage),
            (std::vector<std::string>{
                "m.cf:1: bad field count (need at least 8 fields, got 1): "
                "\"{{{{ }\"",
                "m.cf:2: bad field count (need at least 8 fields, got 2): "
                "\"\\x01\\x02 \xff\""}));
}

}  // namespace
}  // namespace mailflow::postfix
