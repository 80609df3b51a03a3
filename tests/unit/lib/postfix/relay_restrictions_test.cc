#include "lib/postfix/relay_restrictions.h"

#include <gtest/gtest.h>

#include <string>

namespace mailflow::postfix {
namespace {

struct Case {
  std::string main_cf;
  ParamOverrides overrides;
};

RelayDecision Decide(const std::string& main_cf,
                     const ParamOverrides& overrides = {}) {
  MainCf main = MainCf::Parse(main_cf, "main.cf");
  std::string err;
  RelayDecision d = EvaluateRelay(RestrictionsFor(main, overrides, &err));
  EXPECT_EQ(err, "");
  return d;
}

void ExpectVerdict(const RelayDecision& d, RelayVerdict v,
                   const std::string& reason) {
  EXPECT_EQ(RelayVerdictName(d.verdict), std::string(RelayVerdictName(v)));
  EXPECT_EQ(d.reason, reason);
}

TEST(RelayRestrictionsTest, DebianDefaultDefersStrangers) {
  ExpectVerdict(Decide("compatibility_level = 3.6\n"
                       "smtpd_relay_restrictions = permit_mynetworks "
                       "permit_sasl_authenticated defer_unauth_destination\n"),
                RelayVerdict::kRefused,
                "smtpd_relay_restrictions: defer_unauth_destination (item 3)");
}

TEST(RelayRestrictionsTest, CompatibilityLevelDefaults) {
  // Level >= 1: the built-in smtpd_relay_restrictions refuse.
  ExpectVerdict(Decide("compatibility_level = 2\n"), RelayVerdict::kRefused,
                "smtpd_relay_restrictions: defer_unauth_destination (item 3)");
  // Level 0 with nothing set: neither list works, smtpd refuses to run.
  EXPECT_EQ(Decide("").verdict, RelayVerdict::kRefused);
  EXPECT_NE(Decide("").reason.find("smtpd refuses to run"), std::string::npos);
  // Level 0, the old recipient list.
  ExpectVerdict(Decide("smtpd_recipient_restrictions = permit_mynetworks, "
                       "reject_unauth_destination\n"),
                RelayVerdict::kRefused,
                "smtpd_recipient_restrictions: reject_unauth_destination "
                "(item 2)");
}

TEST(RelayRestrictionsTest, DebianSubmissionBlockWithTerminalReject) {
  // Debian 12's stock submission service, uncommented: the safest setting.
  ExpectVerdict(Decide("compatibility_level = 3.6\n"
                       "smtpd_relay_restrictions = permit_mynetworks "
                       "permit_sasl_authenticated defer_unauth_destination\n",
                       {{"smtpd_client_restrictions", ""},
                        {"smtpd_helo_restrictions", ""},
                        {"smtpd_sender_restrictions", ""},
                        {"smtpd_relay_restrictions", ""},
                        {"smtpd_recipient_restrictions",
                         "permit_sasl_authenticated,reject"}}),
                RelayVerdict::kRefused,
                "smtpd_recipient_restrictions: reject (item 2)");
}

TEST(RelayRestrictionsTest, PermitBeforeRejectRelays) {
  // The sanity check is satisfied by the recipient list, the relay list
  // permits everyone, and the recipient list permits too.
  ExpectVerdict(Decide("smtpd_relay_restrictions = permit\n"
                       "smtpd_recipient_restrictions = permit_mynetworks, "
                       "check_client_access static:OK, reject\n"),
                RelayVerdict::kRelayed,
                "smtpd_relay_restrictions: permit (item 1)");
  // Level >= 3.6 walks the relay list first, older levels the recipient
  // list first: the same verdict, the first refusal named.
  ExpectVerdict(Decide("compatibility_level = 3.6\n"
                       "smtpd_relay_restrictions = defer\n"
                       "smtpd_recipient_restrictions = reject\n"),
                RelayVerdict::kRefused,
                "smtpd_relay_restrictions: defer (item 1)");
  ExpectVerdict(Decide("compatibility_level = 2\n"
                       "smtpd_relay_restrictions = defer\n"
                       "smtpd_recipient_restrictions = reject\n"),
                RelayVerdict::kRefused,
                "smtpd_recipient_restrictions: reject (item 1)");
  // A permit in the relay list does not skip the recipient list.
  ExpectVerdict(
      Decide("smtpd_relay_restrictions = permit\n"
             "smtpd_recipient_restrictions = reject_unauth_destination\n"),
      RelayVerdict::kRefused,
      "smtpd_recipient_restrictions: reject_unauth_destination (item 1)");
}

TEST(RelayRestrictionsTest, SanityCheckStopsAtPermit) {
  ExpectVerdict(
      Decide("smtpd_relay_restrictions = permit, reject_unauth_destination\n"
             "smtpd_recipient_restrictions = permit\n"),
      RelayVerdict::kRefused,
      "no reject_unauth_destination, defer_unauth_destination, reject, defer, "
      "defer_if_permit or check_relay_domains before a permit in either list: "
      "smtpd refuses to run");
  // warn_if_reject hides the restriction after it from the check.
  EXPECT_NE(Decide("smtpd_relay_restrictions = warn_if_reject "
                   "reject_unauth_destination\n")
                .reason.find("refuses to run"),
            std::string::npos);
}

TEST(RelayRestrictionsTest, RestrictionClassThatPermitsRelays) {
  ExpectVerdict(
      Decide("smtpd_restriction_classes = relay_ok\n"
             "relay_ok = permit\n"
             "smtpd_relay_restrictions = permit_mynetworks, relay_ok, "
             "reject_unauth_destination\n"),
      RelayVerdict::kRelayed,
      "smtpd_relay_restrictions: restriction class relay_ok: permit (item 1)");
  // A class that rejects refuses; one that falls through continues.
  ExpectVerdict(Decide("smtpd_restriction_classes = strict, lax\n"
                       "strict = reject_unauth_destination\n"
                       "lax = permit_mynetworks\n"
                       "smtpd_relay_restrictions = lax, strict\n"),
                RelayVerdict::kRefused,
                "smtpd_relay_restrictions: restriction class strict: "
                "reject_unauth_destination (item 1)");
}

TEST(RelayRestrictionsTest, WarnIfRejectCoversOnlyTheNextRestriction) {
  ExpectVerdict(
      Decide("smtpd_relay_restrictions = warn_if_reject "
             "reject_unauth_destination, reject_unauth_destination\n"),
      RelayVerdict::kRefused,
      "smtpd_relay_restrictions: reject_unauth_destination (item 3)");
  // Applied to a class, it covers the whole class.
  ExpectVerdict(
      Decide("smtpd_restriction_classes = c\n"
             "c = reject_unauth_destination, reject\n"
             "smtpd_relay_restrictions = defer_unauth_destination\n"
             "smtpd_recipient_restrictions = warn_if_reject c, permit\n"),
      RelayVerdict::kRefused,
      "smtpd_relay_restrictions: defer_unauth_destination (item 1)");
  ExpectVerdict(Decide("smtpd_restriction_classes = c\n"
                       "c = reject_unauth_destination, reject\n"
                       "smtpd_relay_restrictions = warn_if_reject c, defer\n"
                       "smtpd_recipient_restrictions = permit\n"),
                RelayVerdict::kRefused,
                "smtpd_relay_restrictions: defer (item 3)");
}

TEST(RelayRestrictionsTest, DeferIfPermit) {
  ExpectVerdict(Decide("smtpd_relay_restrictions = defer_if_permit, permit\n"),
                RelayVerdict::kRefused,
                "smtpd_relay_restrictions: defer_if_permit (item 1), then "
                "permitted: deferred");
  // Raised in the client list, it still defers at RCPT TO.
  ExpectVerdict(Decide("smtpd_client_restrictions = defer_if_permit\n"
                       "smtpd_relay_restrictions = permit_mynetworks, "
                       "defer_if_permit, permit\n"),
                RelayVerdict::kRefused,
                "smtpd_client_restrictions: defer_if_permit (item 1), then "
                "permitted: deferred");
}

TEST(RelayRestrictionsTest, TablesAndPoliciesDecide) {
  ExpectVerdict(Decide("smtpd_relay_restrictions = permit_mynetworks, "
                       "check_recipient_access hash:/etc/postfix/rcpt, "
                       "reject_unauth_destination\n"),
                RelayVerdict::kDepends,
                "smtpd_relay_restrictions: check_recipient_access "
                "hash:/etc/postfix/rcpt (item 2) decides");
  ExpectVerdict(Decide("smtpd_relay_restrictions = check_policy_service "
                       "inet:127.0.0.1:10023, reject_unauth_destination\n"),
                RelayVerdict::kDepends,
                "smtpd_relay_restrictions: check_policy_service "
                "inet:127.0.0.1:10023 (item 1)");
  ExpectVerdict(Decide("smtpd_relay_restrictions = permit_mx_backup, "
                       "reject_unauth_destination\n"),
                RelayVerdict::kDepends,
                "smtpd_relay_restrictions: permit_mx_backup (the recipient "
                "domain's MX records) (item 1)");
  ExpectVerdict(Decide("smtpd_relay_restrictions = permit_dnswl_client "
                       "list.dnswl.org, reject_unauth_destination\n"),
                RelayVerdict::kDepends,
                "smtpd_relay_restrictions: permit_dnswl_client list.dnswl.org "
                "(item 1)");
  // A table after the refusing restriction is never reached.
  ExpectVerdict(Decide("smtpd_relay_restrictions = reject_unauth_destination, "
                       "check_policy_service unix:private/policy\n"),
                RelayVerdict::kRefused,
                "smtpd_relay_restrictions: reject_unauth_destination (item 1)");
  // A whitelist in the client list only ends the client list.
  ExpectVerdict(
      Decide("smtpd_client_restrictions = check_client_access "
             "cidr:/etc/postfix/clients\n"
             "smtpd_relay_restrictions = reject_unauth_destination\n"),
      RelayVerdict::kRefused,
      "smtpd_relay_restrictions: reject_unauth_destination (item 1)");
  // The map shorthand takes the list's own kind of lookup.
  ExpectVerdict(Decide("smtpd_relay_restrictions = hash:/etc/postfix/access, "
                       "reject_unauth_destination\n"),
                RelayVerdict::kDepends,
                "smtpd_relay_restrictions: hash:/etc/postfix/access (item 1) "
                "decides");
}

TEST(RelayRestrictionsTest, StaticTablesAreDecided) {
  ExpectVerdict(Decide("smtpd_relay_restrictions = check_sender_access "
                       "static:OK, reject_unauth_destination\n"),
                RelayVerdict::kRelayed,
                "smtpd_relay_restrictions: check_sender_access static:OK "
                "(item 1)");
  ExpectVerdict(
      Decide("compatibility_level = 3.6\n"
             "smtpd_relay_restrictions = check_client_access "
             "static:DUNNO, permit_mynetworks, check_client_access "
             "static:{REJECT go away}, permit\n"
             "smtpd_recipient_restrictions = reject_unauth_destination\n"),
      RelayVerdict::kRefused,
      "smtpd_relay_restrictions: check_client_access static:{REJECT "
      "go away} (item 3)");
  ExpectVerdict(Decide("compatibility_level = 3.6\n"
                       "smtpd_relay_restrictions = check_client_access "
                       "static:{permit_mynetworks, reject}, reject\n"),
                RelayVerdict::kRefused,
                "smtpd_relay_restrictions: check_client_access "
                "static:{permit_mynetworks, reject} (item 1): reject (item 2)");
}

TEST(RelayRestrictionsTest, ChecksAStrangerPassesDoNotRefuse) {
  ExpectVerdict(Decide("smtpd_relay_restrictions = reject_rbl_client "
                       "zen.spamhaus.org, reject_unknown_client_hostname, "
                       "permit_sasl_authenticated, permit\n"
                       "smtpd_recipient_restrictions = defer\n"),
                RelayVerdict::kRefused,
                "smtpd_recipient_restrictions: defer (item 1)");
  ExpectVerdict(Decide("smtpd_recipient_restrictions = reject_rbl_client "
                       "zen.spamhaus.org, permit_naked_ip_address, "
                       "reject_unauth_destination\n"),
                RelayVerdict::kRelayed,
                "smtpd_recipient_restrictions: permit_naked_ip_address (HELO "
                "with an IP address) (item 2)");
}

TEST(RelayRestrictionsTest, UnknownRestrictionIsAServerError) {
  ExpectVerdict(
      Decide("compatibility_level = 3.6\n"
             "smtpd_relay_restrictions = permit_mynetwork, permit, "
             "reject\n"
             "smtpd_recipient_restrictions = reject_unauth_destination\n"),
      RelayVerdict::kRefused,
      "smtpd_relay_restrictions: unknown restriction permit_mynetwork "
      "(item 1)");
}

TEST(RelayRestrictionsTest, DelayRejectOffLeavesRecipientChecksToRcpt) {
  // At CONNECT there is no recipient: reject_unauth_destination in the
  // client list does nothing, the recipient list's permit relays.
  ExpectVerdict(Decide("smtpd_delay_reject = no\n"
                       "smtpd_client_restrictions = reject_unauth_destination\n"
                       "smtpd_relay_restrictions = permit\n"
                       "smtpd_recipient_restrictions = permit_mynetworks, "
                       "check_sender_access static:OK, reject\n"),
                RelayVerdict::kRelayed,
                "smtpd_relay_restrictions: permit (item 1)");
  // With the default (yes) the client list sees the recipient.
  ExpectVerdict(
      Decide("smtpd_client_restrictions = reject_unauth_destination\n"
             "smtpd_relay_restrictions = permit\n"
             "smtpd_recipient_restrictions = permit_mynetworks, "
             "check_sender_access static:OK, reject\n"),
      RelayVerdict::kRefused,
      "smtpd_client_restrictions: reject_unauth_destination (item 1)");
}

TEST(RelayRestrictionsTest, SelfReferencingClassIsRefused) {
  RelayDecision d = Decide(
      "smtpd_restriction_classes = loop\n"
      "loop = loop\n"
      "smtpd_relay_restrictions = loop, "
      "reject_unauth_destination\n");
  EXPECT_EQ(d.verdict, RelayVerdict::kRefused);
  EXPECT_NE(d.reason.find("nested too deep"), std::string::npos) << d.reason;
}

}  // namespace
}  // namespace mailflow::postfix

namespace mailflow::postfix {
namespace {

TEST(RelayRestrictionsTest, ClassesNamingEachOtherAreBounded) {
  // Each class names the next several times: without a bound the walk is
  // exponential in the nesting depth.
  std::string cf = "smtpd_restriction_classes =";
  for (int i = 0; i < 15; ++i) cf.append(" c").append(std::to_string(i));
  cf += "\n";
  for (int i = 0; i < 14; ++i) {
    const std::string next = std::string("c").append(std::to_string(i + 1));
    cf.append("c").append(std::to_string(i)).append(" = ").append(next);
    cf.append(" ").append(next).append(" ").append(next);
    cf.append(", check_policy_service inet:127.0.0.1:1\n");
  }
  cf += "c14 = permit_mynetworks\n";  // 3^14 walks of it without a bound
  cf += "smtpd_relay_restrictions = c0, reject_unauth_destination\n";
  RelayDecision d =
      EvaluateRelay(RestrictionsFor(MainCf::Parse(cf, "m"), {}, nullptr));
  EXPECT_EQ(d.verdict, RelayVerdict::kDepends);
  EXPECT_EQ(d.reason,
            "restriction classes name each other too often to evaluate (smtpd "
            "may recurse without end)");
}

}  // namespace
}  // namespace mailflow::postfix
