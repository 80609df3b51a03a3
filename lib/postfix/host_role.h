// What a Postfix host is for, declared or guessed from main.cf/master.cf:
// the inbound alerts of a send-only host must not page. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/postfix/inet_services.h"
#include "lib/postfix/postfix_config.h"

namespace mailflow::postfix {

/// mx: takes mail from the internet on port 25. submission: only 587/465,
/// for its own users. null_client: sends only (no smtpd for other hosts).
enum class HostRole { kMx, kSubmission, kNullClient };

/// "mx", "submission", "null_client".
const char* HostRoleName(HostRole role);
/// Inverse of HostRoleName(); false for anything else.
bool ParseHostRole(std::string_view name, HostRole* role);

struct RoleGuess {
  HostRole role = HostRole::kMx;
  std::string reason;  // for the log: what in the configuration says so
};

/// The documented guess (docs/metrics.md, mailflow_postfix_role):
/// - null_client: no enabled smtpd/postscreen inet service accepts
///   connections from other hosts, and the host is the final destination of
///   no domain of its own (mydestination holds only localhost names,
///   $myhostname and `hostname`; relay_domains, virtual_alias_domains and
///   virtual_mailbox_domains are empty);
/// - submission: port 25 takes no mail from other hosts but 587 or 465
///   does, and the host has no domain of its own;
/// - mx otherwise (also a host with domains whose smtpd is off: that is the
///   incident the inbound alerts report).
/// `services`: InetServices(config); `hostname`: the machine's name.
RoleGuess GuessHostRole(const PostfixConfig& config,
                        const std::vector<InetService>& services,
                        std::string_view hostname);

}  // namespace mailflow::postfix
