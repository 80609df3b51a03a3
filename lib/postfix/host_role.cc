#include "lib/postfix/host_role.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace mailflow::postfix {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(c));
  return s;
}

struct OwnDomains {
  /// mydestination entries other than the host's own names (localhost,
  /// $myhostname, `hostname`): local delivery for a domain.
  std::vector<std::string> local;
  /// relay_domains (when set), virtual_alias_domains,
  /// virtual_mailbox_domains: hosted domains, what only a mail server has.
  std::vector<std::string> hosted;
};

OwnDomains FindOwnDomains(const MainCf& main, std::string_view hostname) {
  const std::string myhostname = Lower(main.Get("myhostname"));
  const std::string host = Lower(std::string(hostname));
  auto own_name = [&](const std::string& item) {
    const std::string i = Lower(item);
    return i == "localhost" || i.rfind("localhost.", 0) == 0 ||
           i == myhostname || i == host ||
           (!myhostname.empty() &&
            i == myhostname.substr(0, myhostname.find('.')));
  };
  OwnDomains out;
  for (const std::string& item : MainCf::SplitList(main.Get("mydestination"))) {
    if (!own_name(item)) out.local.push_back(item);
  }
  for (const char* param :
       {"relay_domains", "virtual_alias_domains", "virtual_mailbox_domains"}) {
    // compatibility_level < 2 defaults relay_domains to $mydestination.
    if (std::string_view(param) == "relay_domains" && !main.IsSet(param))
      continue;
    for (const std::string& item : MainCf::SplitList(main.Get(param))) {
      if (!own_name(item)) out.hosted.push_back(item);
    }
  }
  return out;
}

std::string Describe(const std::vector<std::string>& domains) {
  return domains.front() +
         (domains.size() > 1
              ? " and " + std::to_string(domains.size() - 1) + " more"
              : "");
}

}  // namespace

const char* HostRoleName(HostRole role) {
  switch (role) {
    case HostRole::kMx:
      return "mx";
    case HostRole::kSubmission:
      return "submission";
    case HostRole::kNullClient:
      return "null_client";
  }
  return "mx";
}

bool ParseHostRole(std::string_view name, HostRole* role) {
  for (HostRole r :
       {HostRole::kMx, HostRole::kSubmission, HostRole::kNullClient}) {
    if (name == HostRoleName(r)) {
      *role = r;
      return true;
    }
  }
  return false;
}

RoleGuess GuessHostRole(const PostfixConfig& config,
                        const std::vector<InetService>& services,
                        std::string_view hostname) {
  const MainCf& main = config.main;
  std::set<int> external;
  for (const InetService& s : services) {
    if (s.enabled && s.smtpd && s.expect_external) external.insert(s.port);
  }
  const OwnDomains domains = FindOwnDomains(main, hostname);
  const std::string relayhost = main.Get("relayhost");
  const bool local_only = main.Get("default_transport").rfind("error", 0) == 0;
  if (!domains.hosted.empty()) {
    return {HostRole::kMx, "it hosts " + Describe(domains.hosted)};
  }
  // A satellite sends everything to its relayhost, a "Local only" system
  // nowhere (default_transport = error): their mydestination names are
  // for local mail, not a domain the world sends to.
  const bool sends_only_locally_or_via_relayhost =
      domains.local.empty() || !relayhost.empty() || local_only;
  if (external.empty()) {
    if (!sends_only_locally_or_via_relayhost) {
      return {HostRole::kMx, "it is the destination of " +
                                 Describe(domains.local) +
                                 " (though no smtpd service accepts mail from "
                                 "other hosts)"};
    }
    return {HostRole::kNullClient,
            "no smtpd service accepts mail from other hosts (inet_interfaces "
            "= " +
                main.Get("inet_interfaces") + ")" +
                (domains.local.empty() ? ", no domain of its own"
                 : local_only          ? ", default_transport = error"
                                       : ", relayhost = " + relayhost)};
  }
  if (!external.count(25) && (external.count(587) || external.count(465))) {
    if (!sends_only_locally_or_via_relayhost) {
      return {HostRole::kMx, "it is the destination of " +
                                 Describe(domains.local) +
                                 " (though port 25 takes no mail)"};
    }
    return {HostRole::kSubmission,
            "port 25 takes no mail from other hosts, submission (" +
                std::string(external.count(587) ? "587" : "465") + ") does"};
  }
  return {HostRole::kMx, "smtpd accepts mail from other hosts on port " +
                             std::to_string(*external.begin())};
}

}  // namespace mailflow::postfix
