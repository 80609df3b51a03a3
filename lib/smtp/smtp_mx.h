// MX targets: the MX hosts of configured domains, resolved with the dns
// collector's c-ares prober through configured resolvers only (never
// /etc/resolv.conf).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/smtp/smtp_address.h"

namespace mailflow {

struct MxTarget {
  std::string domain;
  std::string host;   // MX host name (the domain itself for an implicit MX)
  Endpoint endpoint;  // port 25
};

struct MxResolveOptions {
  /// "127.0.0.1:5353", "[::1]:53" (dns collector's NameServer syntax).
  std::vector<std::string> resolvers;
  size_t hosts_per_domain = 2;  // lowest preference first
  bool aaaa = false;            // also AAAA records
  std::chrono::milliseconds timeout{5000};
};

/// Validates a resolver entry; false when malformed.
bool ValidMxResolver(const std::string& text);

/// One name to resolve: `mx` = MX first (a domain, or an unbracketed
/// relayhost), otherwise the host's A/AAAA only (a [bracketed] relayhost).
struct NameQuery {
  std::string name;
  bool mx = true;
  uint16_t port = 25;  // port of the resulting endpoints
};

/// Resolves each query; see ResolveMxTargets for the rules.
std::vector<MxTarget> ResolveNames(const std::vector<NameQuery>& queries,
                                   const MxResolveOptions& options,
                                   const std::atomic<bool>* stop,
                                   std::vector<std::string>* problems);

/// Resolves MX then A/AAAA for each domain. A resolver that fails (timeout,
/// SERVFAIL, REFUSED) is followed by the next one. No MX records: the
/// domain itself (RFC 5321 implicit MX); null MX (RFC 7505): no target.
/// Problems (one line per domain/host) go to `*problems`. Bounded by
/// `timeout` (per query) and by `stop`.
std::vector<MxTarget> ResolveMxTargets(const std::vector<std::string>& domains,
                                       const MxResolveOptions& options,
                                       const std::atomic<bool>* stop,
                                       std::vector<std::string>* problems);

}  // namespace mailflow
