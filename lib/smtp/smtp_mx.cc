#include "lib/smtp/smtp_mx.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "lib/dns/dns_prober.h"
#include "lib/dns/resolv_conf.h"

namespace mailflow {

bool ValidMxResolver(const std::string& text) {
  NameServer ns;
  return ParseNameServer(text, &ns);
}

namespace {

class MxResolver {
 public:
  MxResolver(const std::vector<NameQuery>& domains,
             const MxResolveOptions& options,
             std::vector<std::string>* problems)
      : domains_(domains),
        options_(options),
        problems_(problems),
        prober_({options.timeout, 1, 100}) {}

  std::vector<MxTarget> Run(const std::atomic<bool>* stop) {
    std::vector<NameServer> servers;
    for (const auto& r : options_.resolvers) {
      NameServer ns;
      if (ParseNameServer(r, &ns)) servers.push_back(ns);
    }
    n_ = servers.size();
    if (n_ == 0) {
      problems_->push_back("no resolvers configured for MX lookups");
      return {};
    }
    Status st = prober_.Init(servers);
    if (!st.ok()) problems_->push_back("resolver setup: " + st.message());
    for (const auto& q : domains_) {
      if (q.mx) {
        LookupMx(0, q.name, q.port);
      } else {
        LookupHost(0, q.name, q.name, q.port);
      }
    }
    // Each stage waits at most one query timeout per resolver tried.
    auto budget = options_.timeout * static_cast<int>(2 * n_ + 1);
    prober_.Run(Deadline::After(budget), stop);
    std::sort(out_.begin(), out_.end(),
              [](const MxTarget& a, const MxTarget& b) {
                return std::tie(a.domain, a.host, a.endpoint.host) <
                       std::tie(b.domain, b.host, b.endpoint.host);
              });
    return std::move(out_);
  }

 private:
  static bool Retryable(DnsResult r) {
    return r == DnsResult::kTimeout || r == DnsResult::kServfail ||
           r == DnsResult::kRefused || r == DnsResult::kOther;
  }

  void LookupMx(size_t r, const std::string& domain, uint16_t port) {
    prober_.Submit(r, DnsType::kMX, domain,
                   [this, r, domain, port](const DnsAnswer& a) {
                     if (Retryable(a.result) && r + 1 < n_) {
                       LookupMx(r + 1, domain, port);
                       return;
                     }
                     if (a.result == DnsResult::kNodata) {
                       LookupHost(r, domain, domain, port);  // implicit MX
                       return;
                     }
                     if (a.result != DnsResult::kOk) {
                       problems_->push_back("MX " + domain + ": " +
                                            DnsResultName(a.result));
                       return;
                     }
                     if (a.NullMx()) {
                       problems_->push_back("MX " + domain +
                                            ": null MX (accepts no mail)");
                       return;
                     }
                     for (const std::string& host :
                          PreferredMxHosts(a.mx, options_.hosts_per_domain)) {
                       LookupHost(r, domain, host, port);
                     }
                   });
  }

  void LookupHost(size_t r, const std::string& domain, const std::string& host,
                  uint16_t port) {
    LookupAddr(r, DnsType::kA, domain, host, port);
    if (options_.aaaa) LookupAddr(r, DnsType::kAAAA, domain, host, port);
  }

  void LookupAddr(size_t r, DnsType type, const std::string& domain,
                  const std::string& host, uint16_t port) {
    prober_.Submit(
        r, type, host, [this, r, type, domain, host, port](const DnsAnswer& a) {
          if (Retryable(a.result) && r + 1 < n_) {
            LookupAddr(r + 1, type, domain, host, port);
            return;
          }
          if (a.result != DnsResult::kOk) {
            if (type == DnsType::kA || a.result != DnsResult::kNodata) {
              problems_->push_back(std::string(DnsTypeName(type)) + " " + host +
                                   ": " + DnsResultName(a.result));
            }
            return;
          }
          for (const auto& addr : a.addresses) {
            MxTarget t;
            t.domain = domain;
            t.host = host;
            if (ParseIpLiteral(addr, port, &t.endpoint))
              out_.push_back(std::move(t));
          }
        });
  }

  const std::vector<NameQuery>& domains_;
  const MxResolveOptions& options_;
  std::vector<std::string>* problems_;
  DnsProber prober_;
  size_t n_ = 0;
  std::vector<MxTarget> out_;
};

}  // namespace

std::vector<MxTarget> ResolveNames(const std::vector<NameQuery>& queries,
                                   const MxResolveOptions& options,
                                   const std::atomic<bool>* stop,
                                   std::vector<std::string>* problems) {
  if (queries.empty()) return {};
  MxResolver r(queries, options, problems);
  return r.Run(stop);
}

std::vector<MxTarget> ResolveMxTargets(const std::vector<std::string>& domains,
                                       const MxResolveOptions& options,
                                       const std::atomic<bool>* stop,
                                       std::vector<std::string>* problems) {
  std::vector<NameQuery> q;
  for (const auto& d : domains) q.push_back({d, true, 25});
  return ResolveNames(q, options, stop, problems);
}

}  // namespace mailflow
