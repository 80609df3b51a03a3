#include "collectors/postfix/postfix_families.h"

#include <unistd.h>

#include <set>

#include "collectors/common/metrics.h"
#include "lib/base/log.h"
#include "lib/postfix/mynetworks.h"
#include "lib/postfix/outbound_route.h"
#include "lib/postfix/relay_restrictions.h"

namespace mailflow::postfix_collector {
namespace {

using prometheus::MetricType;

constexpr size_t kMaxReasonLength = 200;

// The -o overrides smtpd runs with for a service: its own, or for
// postscreen those of the `pass` service it hands clients to
// ($smtpd_service_name, "smtpd").
const postfix::ParamOverrides& SmtpdOverrides(const PostfixSnapshot& snapshot,
                                              const InetService& s) {
  if (s.command != "postscreen") return s.overrides;
  const std::string pass =
      snapshot.config.main.GetWithOverrides("smtpd_service_name", s.overrides);
  const postfix::MasterEntry* e =
      snapshot.config.master.Find(pass.empty() ? "smtpd" : pass, "pass");
  return e != nullptr ? e->overrides : s.overrides;
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

}  // namespace

void AddRelayFamilies(
    const PostfixSnapshot& snapshot, Families* out,
    std::vector<std::pair<std::string, postfix::RelayDecision>>* decided) {
  FamilyBuilder verdicts(
      out, "mailflow_postfix_relay_verdict",
      "What an smtpd inet service answers a stranger (outside mynetworks, "
      "not authenticated) asking to relay to a foreign domain: refused, "
      "relayed (an open relay) or depends (a lookup table or policy service "
      "decides). One series per verdict, the current one 1.",
      MetricType::Gauge);
  FamilyBuilder reasons(out, "mailflow_postfix_relay_reason",
                        "Why: the restriction list and the restriction that "
                        "decided the relay verdict of the service.",
                        MetricType::Gauge);
  std::set<std::string> seen;
  for (const InetService& s : snapshot.inet_services) {
    if (!s.enabled || !s.smtpd || !seen.insert(s.service).second) continue;
    postfix::RelayDecision d;
    if (!s.expect_external) {
      d = {postfix::RelayVerdict::kRefused,
           "listens on loopback only: a stranger cannot connect"};
    } else {
      std::string err;
      d = postfix::EvaluateRelay(postfix::RestrictionsFor(
          snapshot.config.main, SmtpdOverrides(snapshot, s), &err));
      if (!err.empty()) d.reason += " (expansion error: " + err + ")";
    }
    if (d.reason.size() > kMaxReasonLength) {
      d.reason = d.reason.substr(0, kMaxReasonLength - 3) + "...";
    }
    for (postfix::RelayVerdict v :
         {postfix::RelayVerdict::kRefused, postfix::RelayVerdict::kRelayed,
          postfix::RelayVerdict::kDepends}) {
      verdicts.Add(
          {{"service", s.service}, {"verdict", postfix::RelayVerdictName(v)}},
          v == d.verdict);
    }
    reasons.Add({{"reason", d.reason}, {"service", s.service}}, 1);
    if (decided) decided->emplace_back(s.service, d);
    LogOnChange(d.verdict == postfix::RelayVerdict::kRefused ? LogLevel::kInfo
                                                             : LogLevel::kWarn,
                "postfix", "postfix/relay/" + s.service,
                "relay verdict for service " + s.service + ": " +
                    postfix::RelayVerdictName(d.verdict) + " (" + d.reason +
                    ")");
  }
}

void AddMynetworksFamilies(const postfix::MainCf& main,
                           const std::vector<IpNetwork>& interfaces,
                           Families* out) {
  std::vector<std::string> entries =
      main.IsSet("mynetworks")
          ? postfix::MainCf::SplitList(main.Get("mynetworks"))
          : postfix::DerivedMynetworks(main.Get("mynetworks_style"),
                                       interfaces);
  std::vector<IpNetwork> own;
  for (IpNetwork n : interfaces) {
    n.bits = n.max_bits();
    own.push_back(n);
  }
  const postfix::PublicEntries pub = postfix::ClassifyMynetworks(entries, own);
  FamilyBuilder f(out, "mailflow_postfix_mynetworks_public_entries",
                  "mynetworks entries outside loopback and private space (not "
                  "this host's own addresses) by size: wide = /24 or wider "
                  "(IPv6 /48), narrow = smaller networks, host = one address.",
                  MetricType::Gauge);
  f.Add({{"size", "wide"}}, pub.wide);
  f.Add({{"size", "narrow"}}, pub.narrow);
  f.Add({{"size", "host"}}, pub.host);
  AddGauge(out, "mailflow_postfix_mynetworks_public_addresses",
           "Number of mynetworks entries outside loopback and private "
           "address space (not this host's own): clients there may relay.",
           pub.total());
  std::string list;
  for (const std::string& e : pub.entries)
    list += (list.empty() ? "" : " ") + e;
  LogOnChange(LogLevel::kWarn, "postfix", "postfix/mynetworks",
              list.empty() ? "" : "mynetworks trusts public entries: " + list,
              "mynetworks trusts no public network");
}

void AddRoleFamily(const PostfixSnapshot& snapshot,
                   std::optional<postfix::HostRole> declared, Families* out) {
  postfix::RoleGuess guess;
  const char* source = "config";
  if (declared) {
    guess = {*declared, "declared in the configuration"};
  } else {
    guess = postfix::GuessHostRole(snapshot.config, snapshot.inet_services,
                                   Hostname());
    source = "guess";
  }
  FamilyBuilder f(out, "mailflow_postfix_role",
                  "What the host is for (mx, submission, null_client), "
                  "declared in the exporter's configuration or guessed from "
                  "main.cf/master.cf; the inbound alerts follow it.",
                  MetricType::Gauge);
  for (postfix::HostRole r :
       {postfix::HostRole::kMx, postfix::HostRole::kSubmission,
        postfix::HostRole::kNullClient}) {
    f.Add({{"role", postfix::HostRoleName(r)}, {"source", source}},
          r == guess.role);
  }
  LogOnChange(LogLevel::kInfo, "postfix", "postfix/role",
              std::string("role: ") + postfix::HostRoleName(guess.role) + " (" +
                  source + ": " + guess.reason + ")");
}

void AddOutboundRouteFamily(const postfix::MainCf& main, Families* out) {
  const postfix::OutboundRoute r = postfix::ReadOutboundRoute(main);
  FamilyBuilder(out, "mailflow_postfix_outbound_route_info",
                "Where outbound mail goes: relayhost (\"\" = the recipients' "
                "MX hosts), content_filter, and the TCP port (the "
                "relayhost's, else smtp_tcp_port). Always 1.",
                MetricType::Gauge)
      .Add({{"content_filter", r.content_filter},
            {"port", std::to_string(r.port)},
            {"relayhost", r.relayhost}},
           1);
}

void AddLivenessFamilies(const MasterStatus& master, const std::string& who,
                         const std::string& key, Families* out) {
  if (master.liveness != MasterLiveness::kUnknown) {
    AddGauge(out, "mailflow_postfix_up",
             "Whether the Postfix master process runs (absent while "
             "mailflow_postfix_liveness says unknown).",
             master.running);
  }
  FamilyBuilder f(out, "mailflow_postfix_liveness",
                  "Whether the Postfix master runs (up, down, unknown: the "
                  "master may run in a pid namespace the exporter cannot see) "
                  "and how it was decided (lock: the lock the master holds on "
                  "its pid file; pid: the pid file's process; pid_file: no "
                  "pid file; none).",
                  MetricType::Gauge);
  for (MasterLiveness l :
       {MasterLiveness::kUp, MasterLiveness::kDown, MasterLiveness::kUnknown}) {
    f.Add({{"method", master.method}, {"state", MasterLivenessName(l)}},
          l == master.liveness);
  }
  LogOnChange(master.liveness == MasterLiveness::kUp ? LogLevel::kInfo
                                                     : LogLevel::kWarn,
              "postfix", "postfix/master" + key,
              who + "Postfix master: " + MasterLivenessName(master.liveness) +
                  " (" + master.method + ": " + master.detail + ")");
}

}  // namespace mailflow::postfix_collector
