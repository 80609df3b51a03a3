#include "collectors/dns/dns_collector.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "collectors/common/histogram.h"
#include "collectors/common/log.h"
#include "collectors/common/metrics.h"
#include "collectors/dns/dns_prober.h"
#include "collectors/dns/postfix_facts.h"

namespace mailflow {

const std::vector<double>& DnsDurationBuckets() {
  static const std::vector<double> b = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return b;
}

bool IsPublicAddress(const std::string& address) {
  unsigned char b[16];
  if (inet_pton(AF_INET, address.c_str(), b) == 1) {
    if (b[0] == 0 || b[0] == 127 || b[0] == 10 || b[0] >= 224) return false;
    if (b[0] == 172 && (b[1] & 0xf0) == 16) return false;
    if (b[0] == 192 && b[1] == 168) return false;
    if (b[0] == 169 && b[1] == 254) return false;
    if (b[0] == 100 && (b[1] & 0xc0) == 64) return false;  // CGNAT
    if (b[0] == 192 && b[1] == 0 && (b[2] == 2 || b[2] == 0)) return false;
    if (b[0] == 198 && (b[1] == 18 || b[1] == 19)) return false;
    if (b[0] == 198 && b[1] == 51 && b[2] == 100) return false;
    if (b[0] == 203 && b[1] == 0 && b[2] == 113) return false;
    return true;
  }
  if (inet_pton(AF_INET6, address.c_str(), b) == 1) {
    static const unsigned char zero[16] = {};
    if (memcmp(b, zero, 15) == 0) return false;               // :: and ::1
    if ((b[0] & 0xfe) == 0xfc) return false;                  // ULA
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // link-local
    if (b[0] == 0xff) return false;                           // multicast
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {
      return false;  // documentation
    }
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
                                               0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, v4mapped, 12) == 0) return false;
    return true;
  }
  return false;
}

std::vector<std::string> DiscoverPublicAddresses(size_t cap) {
  std::vector<std::string> out;
  struct ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) return out;
  for (auto* i = ifs; i && out.size() < cap; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK)) continue;
    char buf[INET6_ADDRSTRLEN];
    if (i->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr,
                buf, sizeof buf);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6,
                &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, buf,
                sizeof buf);
    } else {
      continue;
    }
    std::string a = buf;
    if (IsPublicAddress(a) &&
        std::find(out.begin(), out.end(), a) == out.end()) {
      out.push_back(a);
    }
  }
  freeifaddrs(ifs);
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string HostKey(std::string s) {
  s = Lower(std::move(s));
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool ValidDomainName(const std::string& d) {
  if (d.empty() || d.size() > 253) return false;
  size_t label = 0;
  for (char c : d) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
          c == '_')) {
      return false;
    }
    if (++label > 63) return false;
  }
  return true;
}

// ---- local facts (files only; read at scrape time and per round) ----------

struct ResolverEntry {
  NameServer ns;
  std::set<std::string> sources;  // resolv_conf, chroot_resolv_conf, config
};

struct LocalFacts {
  std::string host_path;
  bool host_ok = false;
  std::string host_err;
  ResolvConf host;
  bool postfix_ok = false;
  std::string postfix_err;
  PostfixDnsFacts postfix;
  bool chrooted = false;  // smtp runs chrooted
  std::string jail_path;
  bool jail_ok = false;
  ResolvConf jail;
  bool differs = false;
  std::vector<ResolverEntry> resolvers;  // in probe order
  /// Index into resolvers of the server Postfix's libc asks first.
  int primary = -1;
  std::string myhostname;
};

LocalFacts ReadLocalFacts(const DnsOptions& o) {
  LocalFacts f;
  f.host_path = o.resolv_conf;
  f.host_ok = ReadResolvConf(o.resolv_conf, &f.host, &f.host_err);
  if (!f.host_ok) f.host = ParseResolvConf("");  // libc: 127.0.0.1
  f.postfix_ok = ReadPostfixDnsFacts(
      o.postfix_config_directory, o.max_rbl_zones, &f.postfix, &f.postfix_err);
  if (o.chroot == "yes") {
    f.chrooted = true;
  } else if (o.chroot == "auto") {
    f.chrooted = f.postfix_ok && f.postfix.smtp_chrooted;
  }
  f.jail_path = o.chroot_resolv_conf;
  if (f.jail_path.empty() && !f.postfix.queue_directory.empty()) {
    f.jail_path = f.postfix.queue_directory + "/etc/resolv.conf";
  }
  if (f.chrooted && !f.jail_path.empty()) {
    std::string err;
    f.jail_ok = ReadResolvConf(f.jail_path, &f.jail, &err);
    if (!f.jail_ok) f.jail = ParseResolvConf("");  // libc default in the jail
    f.differs = NameServersDiffer(f.host, f.jail);
  }
  auto add = [&f](const NameServer& ns, const std::string& source) {
    for (auto& r : f.resolvers) {
      if (r.ns == ns) {
        r.sources.insert(source);
        return static_cast<int>(&r - f.resolvers.data());
      }
    }
    f.resolvers.push_back({ns, {source}});
    return static_cast<int>(f.resolvers.size() - 1);
  };
  if (o.probe_resolv_conf) {
    // The resolv.conf the smtp client reads first: the jail's when chrooted.
    if (f.chrooted && !f.jail_path.empty()) {
      for (const auto& ns : f.jail.Effective()) {
        int i = add(ns, "chroot_resolv_conf");
        if (f.primary < 0) f.primary = i;
      }
    }
    for (const auto& ns : f.host.Effective()) {
      int i = add(ns, "resolv_conf");
      if (f.primary < 0) f.primary = i;
    }
  }
  for (const auto& ns : o.extra_resolvers) {
    int i = add(ns, "config");
    if (f.primary < 0) f.primary = i;
  }
  f.myhostname =
      HostKey(!o.myhostname.empty() ? o.myhostname : f.postfix.myhostname);
  return f;
}

// ---- accumulated probe results ------------------------------------------

struct Counters {
  uint64_t by_result[std::size(kAllDnsResults)] = {};
};

struct RblState {
  CumulativeHistogram hist{DnsDurationBuckets()};
  Counters counters;
  bool listed = false;
  bool have_result = false;
  std::string resolver;
};

struct ReverseState {
  bool ptr_present = false;
  bool forward_confirmed = false;
  bool matches_myhostname = false;
};

struct RoundSummary {
  bool done = false;
  double timestamp = 0;
  double duration = 0;
  size_t sent = 0;
  size_t skipped = 0;
  std::map<std::string, bool> answering;           // resolver label
  std::map<std::string, double> first_median;      // resolver label
  std::map<std::string, double> repeat_median;     // resolver label
  std::map<std::string, std::pair<int, bool>> mx;  // domain -> count, null
  std::map<std::string, ReverseState> reverse;     // address
};

constexpr size_t kMaxResolverLabels = 16;

class DnsState {
 public:
  std::mutex mu;
  // (type, resolver) -> histogram / counters
  std::map<std::pair<std::string, std::string>, CumulativeHistogram> hist;
  std::map<std::pair<std::string, std::string>, Counters> counters;
  std::map<std::string, CumulativeHistogram> mx_hist;  // domain label
  std::map<std::string, Counters> mx_counters;         // domain label
  std::map<std::string, RblState> rbl;                 // zone
  RoundSummary last;

  // REQUIRES: mu held.
  std::string ResolverLabel(const std::string& label) {
    if (known_resolvers_.count(label)) return label;
    if (known_resolvers_.size() >= kMaxResolverLabels) return "other";
    known_resolvers_.insert(label);
    return label;
  }

 private:
  std::set<std::string> known_resolvers_;
};

size_t ResultIndex(DnsResult r) {
  for (size_t i = 0; i < std::size(kAllDnsResults); ++i) {
    if (kAllDnsResults[i] == r) return i;
  }
  return std::size(kAllDnsResults) - 1;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// ---- one round ------------------------------------------------------------

struct Observation {
  std::string type;
  std::string resolver;
  std::string domain;  // MX only: the domain label
  std::string zone;    // RBL only
  DnsResult result;
  double seconds;
};

class Round {
 public:
  Round(const DnsOptions& o, const LocalFacts& facts,
        const std::vector<std::string>& reverse_addresses)
      : o_(o),
        facts_(facts),
        reverse_addresses_(reverse_addresses),
        prober_({o.query_timeout, o.attempts, o.max_in_flight}) {}

  Status Run(const std::atomic<bool>* stop, int wake_fd, DnsState* state) {
    const auto start = Clock::now();
    const double wall_start =
        std::chrono::duration<double>(
            std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::vector<NameServer> servers;
    for (const auto& r : facts_.resolvers) servers.push_back(r.ns);
    // Resolvers c-ares rejects answer "other"; the rest still run.
    Status init = prober_.Init(servers);
    hosts_seen_.resize(servers.size());
    first_.resize(servers.size());
    repeat_.resize(servers.size());
    answering_.assign(servers.size(), false);
    for (size_t r = 0; r < servers.size(); ++r) {
      for (size_t d = 0; d < o_.domains.size(); ++d) SubmitMx(r, d, false);
    }
    if (facts_.primary >= 0) {
      const size_t p = static_cast<size_t>(facts_.primary);
      for (const auto& z : rbl_zones_) SubmitRbl(p, z);
      for (const auto& a : reverse_addresses_) SubmitPtr(p, a);
    }
    Status st = prober_.Run(Deadline(start + o_.round_timeout), stop, wake_fd);
    RoundSummary s;
    s.done = true;
    s.timestamp = wall_start;
    s.duration = std::chrono::duration<double>(Clock::now() - start).count();
    s.sent = prober_.sent();
    s.skipped = prober_.skipped();
    for (size_t r = 0; r < servers.size(); ++r) {
      const std::string label = servers[r].Label();
      s.answering[label] = answering_[r];
      if (!first_[r].empty()) {
        s.first_median[label] = Median(first_[r]);
        s.repeat_median[label] = Median(repeat_[r]);
      }
    }
    s.mx = mx_;
    s.reverse = reverse_;
    Merge(state, std::move(s));
    return init.ok() ? st : init;
  }

  void SetRblZones(std::vector<RblZone> zones) {
    rbl_zones_ = std::move(zones);
  }

 private:
  std::string DomainLabel(size_t d) const {
    return d < o_.max_domains ? o_.domains[d] : "other";
  }

  void Observe(size_t r, DnsType type, const DnsAnswer& a,
               std::string domain = "") {
    if (a.responded) answering_[r] = true;
    obs_.push_back({DnsTypeName(type), facts_.resolvers[r].ns.Label(),
                    std::move(domain), "", a.result, a.seconds});
  }

  void SubmitMx(size_t r, size_t d, bool repeat) {
    const std::string& domain = o_.domains[d];
    prober_.Submit(r, DnsType::kMX, domain,
                   [this, r, d, repeat](const DnsAnswer& a) {
                     if (repeat) {
                       if (a.responded) answering_[r] = true;
                       repeat_[r].push_back(a.seconds);
                       return;
                     }
                     Observe(r, DnsType::kMX, a, DomainLabel(d));
                     OnMx(r, d, a);
                   });
  }

  void OnMx(size_t r, size_t d, const DnsAnswer& a) {
    const std::string label = DomainLabel(d);
    if (label != "other" && !mx_.count(label) &&
        (a.result == DnsResult::kOk || a.result == DnsResult::kNodata ||
         a.result == DnsResult::kNxdomain)) {
      mx_[label] = {static_cast<int>(a.mx.size()), a.NullMx()};
    }
    if (a.result != DnsResult::kOk) return;
    if (o_.cache_check) {
      first_[r].push_back(a.seconds);
      SubmitMx(r, d, true);
    }
    if (a.NullMx()) return;
    std::vector<MxRecord> mx = a.mx;
    std::stable_sort(mx.begin(), mx.end(), [](const auto& x, const auto& y) {
      return x.preference < y.preference;
    });
    size_t n = 0;
    for (const auto& m : mx) {
      if (n >= o_.mx_hosts_per_domain) break;
      if (m.host.empty()) continue;
      ++n;
      if (!hosts_seen_[r].insert(HostKey(m.host)).second) continue;
      prober_.Submit(r, DnsType::kA, m.host, [this, r](const DnsAnswer& x) {
        Observe(r, DnsType::kA, x);
      });
      if (o_.lookup_aaaa) {
        prober_.Submit(
            r, DnsType::kAAAA, m.host,
            [this, r](const DnsAnswer& x) { Observe(r, DnsType::kAAAA, x); });
      }
    }
  }

  void SubmitRbl(size_t r, const RblZone& z) {
    prober_.Submit(r, DnsType::kA, z.TestName(),
                   [this, r, zone = z.zone](const DnsAnswer& a) {
                     if (a.responded) answering_[r] = true;
                     Observation ob{"A",      facts_.resolvers[r].ns.Label(),
                                    "",       zone,
                                    a.result, a.seconds};
                     obs_.push_back(ob);
                     bool listed = false;
                     for (const auto& addr : a.addresses) {
                       // 127.0.0.0/8 but not 127.255.255.0/24 (the lists'
                       // error codes, e.g. "public resolver refused").
                       if (addr.rfind("127.", 0) == 0 &&
                           addr.rfind("127.255.255.", 0) != 0) {
                         listed = true;
                       }
                     }
                     rbl_listed_[zone] = listed;
                   });
  }

  void SubmitPtr(size_t r, const std::string& address) {
    reverse_[address] = ReverseState();
    prober_.Submit(
        r, DnsType::kPTR, address, [this, r, address](const DnsAnswer& a) {
          Observe(r, DnsType::kPTR, a);
          ReverseState& rs = reverse_[address];
          rs.ptr_present = a.result == DnsResult::kOk && !a.names.empty();
          const bool v6 = address.find(':') != std::string::npos;
          size_t n = 0;
          for (const auto& name : a.names) {
            if (++n > 4) break;
            if (!facts_.myhostname.empty() &&
                HostKey(name) == facts_.myhostname) {
              rs.matches_myhostname = true;
            }
            prober_.Submit(r, v6 ? DnsType::kAAAA : DnsType::kA, name,
                           [this, r, address, v6](const DnsAnswer& x) {
                             Observe(r, v6 ? DnsType::kAAAA : DnsType::kA, x);
                             for (const auto& got : x.addresses) {
                               if (got == address) {
                                 reverse_[address].forward_confirmed = true;
                               }
                             }
                           });
          }
        });
  }

  void Merge(DnsState* state, RoundSummary s) {
    std::lock_guard<std::mutex> lock(state->mu);
    // Pre-create every series this config can produce, so rate() works
    // from the first round on.
    for (const auto& r : facts_.resolvers) {
      const std::string res = state->ResolverLabel(r.ns.Label());
      std::vector<std::string> types;
      if (!o_.domains.empty()) {
        types = {"MX", "A"};
        if (o_.lookup_aaaa) types.push_back("AAAA");
      }
      if (!reverse_addresses_.empty() &&
          &r - facts_.resolvers.data() == facts_.primary) {
        types.push_back("PTR");
        if (std::find(types.begin(), types.end(), "A") == types.end()) {
          types.push_back("A");
        }
      }
      for (const auto& t : types) {
        state->hist.try_emplace({t, res}, DnsDurationBuckets());
        state->counters[{t, res}];
      }
    }
    for (const auto& ob : obs_) {
      const size_t ri = ResultIndex(ob.result);
      if (!ob.zone.empty()) {
        RblState& z = state->rbl[ob.zone];
        z.hist.Observe(ob.seconds);
        ++z.counters.by_result[ri];
        z.resolver = ob.resolver;
        continue;
      }
      const std::string res = state->ResolverLabel(ob.resolver);
      state->hist.try_emplace({ob.type, res}, DnsDurationBuckets())
          .first->second.Observe(ob.seconds);
      ++state->counters[{ob.type, res}].by_result[ri];
      if (!ob.domain.empty()) {
        state->mx_hist.try_emplace(ob.domain, DnsDurationBuckets())
            .first->second.Observe(ob.seconds);
        ++state->mx_counters[ob.domain].by_result[ri];
      }
    }
    for (const auto& [zone, listed] : rbl_listed_) {
      state->rbl[zone].listed = listed;
      state->rbl[zone].have_result = true;
    }
    state->last = std::move(s);
  }

  const DnsOptions& o_;
  const LocalFacts& facts_;
  std::vector<std::string> reverse_addresses_;
  std::vector<RblZone> rbl_zones_;
  DnsProber prober_;
  std::vector<std::set<std::string>> hosts_seen_;
  std::vector<std::vector<double>> first_, repeat_;
  std::vector<bool> answering_;
  std::vector<Observation> obs_;
  std::map<std::string, std::pair<int, bool>> mx_;
  std::map<std::string, bool> rbl_listed_;
  std::map<std::string, ReverseState> reverse_;
};

std::vector<RblZone> RblZonesFor(const DnsOptions& o, const LocalFacts& f) {
  std::vector<RblZone> zones;
  if (!o.rbl_checks) return zones;
  std::set<std::string> seen;
  for (const auto& z : f.postfix.rbl_zones) {
    if (zones.size() < o.max_rbl_zones && seen.insert(z.zone).second) {
      zones.push_back(z);
    }
  }
  for (const auto& z : o.rbl_zones) {
    // "zone" (IP list) or "rhsbl:zone" (domain list)
    RblZone rz;
    rz.parameter = "config";
    if (z.rfind("rhsbl:", 0) == 0) {
      rz.domain_list = true;
      rz.zone = HostKey(z.substr(6));
    } else {
      rz.zone = HostKey(z);
    }
    if (zones.size() < o.max_rbl_zones && seen.insert(rz.zone).second) {
      zones.push_back(rz);
    }
  }
  return zones;
}

// ---- the collector ----------------------------------------------------------

class DnsCollector : public Collector {
 public:
  explicit DnsCollector(DnsOptions o) : o_(std::move(o)) {}

  ~DnsCollector() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    if (wake_fd_ >= 0) {
      uint64_t one = 1;
      ssize_t n = write(wake_fd_, &one, sizeof one);
      (void)n;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  std::string_view Name() const override { return "dns"; }

  bool HasTargets() const {
    return !o_.domains.empty() || o_.rbl_checks ||
           !o_.reverse_dns_addresses.empty() || o_.reverse_dns_auto;
  }

  void Start() override {
    if (!HasTargets()) {
      Log(LogLevel::kInfo, "dns",
          "no domains, RBL checks or reverse DNS addresses configured: "
          "the DNS prober stays idle");
      return;
    }
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    thread_ = std::thread([this] { Loop(); });
  }

  Status Collect(Deadline deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    (void)deadline;
    LocalFacts f = ReadLocalFacts(o_);
    LogOnChange(
        LogLevel::kWarn, "dns", "dns/postfix",
        f.postfix_ok ? "" : "cannot read Postfix config: " + f.postfix_err,
        "Postfix config readable again");
    ExportLocal(f, out);
    ExportProbe(out);
    if (!f.host_ok) return Status::Error(f.host_err);
    return Status::OK();
  }

 private:
  void Loop() {
    auto next = Clock::now();
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_until(lock, next, [this] { return stop_.load(); });
        if (stop_) return;
      }
      next = Clock::now() + o_.interval;
      LocalFacts f = ReadLocalFacts(o_);
      std::vector<std::string> reverse = o_.reverse_dns_addresses;
      if (o_.reverse_dns_auto) {
        reverse = DiscoverPublicAddresses(o_.max_reverse_dns_addresses);
      }
      Round round(o_, f, reverse);
      round.SetRblZones(RblZonesFor(o_, f));
      Status st = round.Run(&stop_, wake_fd_, &state_);
      LogOnChange(LogLevel::kWarn, "dns", "dns/round",
                  st.ok() ? "" : "DNS probe round failed: " + st.message(),
                  "DNS probe rounds work again");
    }
  }

  void ExportLocal(const LocalFacts& f,
                   std::vector<prometheus::MetricFamily>* out) {
    {
      FamilyBuilder b(out, "mailflow_dns_resolver_configured",
                      "DNS servers the exporter knows, by where they come "
                      "from: resolv_conf (the first three nameservers libc "
                      "uses), chroot_resolv_conf (Postfix's jail copy, when "
                      "smtp runs chrooted) or config (extra resolvers).",
                      prometheus::MetricType::Gauge);
      FamilyBuilder local(out, "mailflow_dns_resolver_local",
                          "Whether the DNS server is on this host "
                          "(loopback address): a local cache.",
                          prometheus::MetricType::Gauge);
      std::set<std::pair<std::string, std::string>> seen;
      auto configured = [&](const std::vector<NameServer>& list,
                            const std::string& source) {
        for (const auto& ns : list) {
          if (seen.insert({ns.Label(), source}).second) {
            b.Add({{"resolver", ns.Label()}, {"source", source}}, 1);
          }
        }
      };
      configured(f.host.Effective(), "resolv_conf");
      if (f.chrooted) configured(f.jail.Effective(), "chroot_resolv_conf");
      configured(o_.extra_resolvers, "config");
      std::set<std::string> done;
      auto add_local = [&](const NameServer& ns) {
        if (done.insert(ns.Label()).second) {
          local.Add({{"resolver", ns.Label()}}, ns.IsLoopback() ? 1 : 0);
        }
      };
      for (const auto& ns : f.host.Effective()) add_local(ns);
      if (f.chrooted)
        for (const auto& ns : f.jail.Effective()) add_local(ns);
      for (const auto& ns : o_.extra_resolvers) add_local(ns);
    }
    const ResolvConf& used = f.chrooted ? f.jail : f.host;
    AddGauge(
        out, "mailflow_dns_local_cache_configured",
        "Whether the first nameserver Postfix's resolver asks (the "
        "chroot copy's when smtp runs chrooted) is on this host.",
        !used.nameservers.empty() && used.nameservers[0].IsLoopback() ? 1 : 0);
    AddGauge(out, "mailflow_dns_smtp_chrooted",
             "Whether Postfix's smtp client runs chrooted (master.cf, or the "
             "`chroot` option), so it reads $queue_directory/etc/resolv.conf.",
             f.chrooted ? 1 : 0);
    AddGauge(out, "mailflow_dns_chroot_resolv_conf_differs",
             "Whether the chroot jail's resolv.conf makes Postfix use other "
             "nameservers than /etc/resolv.conf (a missing copy counts as "
             "the libc default 127.0.0.1); 0 when smtp is not chrooted.",
             f.differs ? 1 : 0);
    {
      FamilyBuilder p(out, "mailflow_dns_resolv_conf_problems",
                      "Lines of the resolv.conf file the libc resolver "
                      "ignores or misreads (bad addresses, unknown options, "
                      "more than three nameservers), by file (host, chroot).",
                      prometheus::MetricType::Gauge);
      p.Add({{"file", "host"}}, static_cast<double>(f.host.problems.size()));
      if (f.chrooted) {
        p.Add({{"file", "chroot"}},
              static_cast<double>(f.jail.problems.size()));
      }
    }
    std::string problems;
    for (const auto& p : f.host.problems) problems += " " + p + ";";
    LogOnChange(LogLevel::kInfo, "dns", "dns/resolv_conf",
                problems.empty() ? "" : f.host_path + ":" + problems);
    {
      FamilyBuilder t(out, "mailflow_dns_probe_targets",
                      "What the DNS prober is configured to look up per round "
                      "and resolver (0 everywhere: the prober is idle).",
                      prometheus::MetricType::Gauge);
      t.Add({{"kind", "domain"}}, static_cast<double>(o_.domains.size()));
      t.Add({{"kind", "rbl"}}, static_cast<double>(RblZonesFor(o_, f).size()));
      t.Add(
          {{"kind", "reverse"}},
          static_cast<double>(
              o_.reverse_dns_auto
                  ? DiscoverPublicAddresses(o_.max_reverse_dns_addresses).size()
                  : o_.reverse_dns_addresses.size()));
    }
  }

  void ExportProbe(std::vector<prometheus::MetricFamily>* out) {
    std::lock_guard<std::mutex> lock(state_.mu);
    const RoundSummary& s = state_.last;
    if (!s.done) return;
    AddGauge(out, "mailflow_dns_last_run_timestamp_seconds",
             "When the last DNS probe round started (Unix time).", s.timestamp);
    AddGauge(out, "mailflow_dns_last_run_duration_seconds",
             "How long the last DNS probe round took: bounded by the slowest "
             "answer (or the round timeout), not by the number of names.",
             s.duration);
    {
      FamilyBuilder q(out, "mailflow_dns_last_run_queries",
                      "Queries of the last DNS probe round: sent, or skipped "
                      "because the round timeout came first.",
                      prometheus::MetricType::Gauge);
      q.Add({{"state", "sent"}}, static_cast<double>(s.sent));
      q.Add({{"state", "skipped"}}, static_cast<double>(s.skipped));
    }
    {
      FamilyBuilder h(out, "mailflow_dns_lookup_duration_seconds",
                      "DNS lookup latency by query type and resolver, from "
                      "the background prober (timeouts count at their "
                      "timeout).",
                      prometheus::MetricType::Histogram);
      for (const auto& [k, hist] : state_.hist) {
        h.AddHistogram({{"type", k.first}, {"resolver", k.second}}, hist);
      }
    }
    {
      FamilyBuilder c(out, "mailflow_dns_lookups_total",
                      "DNS lookups of the background prober by type, "
                      "resolver and result class.",
                      prometheus::MetricType::Counter);
      for (const auto& [k, cnt] : state_.counters) {
        for (size_t i = 0; i < std::size(kAllDnsResults); ++i) {
          c.Add({{"type", k.first},
                 {"resolver", k.second},
                 {"result", DnsResultName(kAllDnsResults[i])}},
                static_cast<double>(cnt.by_result[i]));
        }
      }
    }
    {
      FamilyBuilder h(out, "mailflow_dns_mx_lookup_duration_seconds",
                      "MX lookup latency by domain over all probed resolvers "
                      "(configured domains beyond the cap fold into "
                      "domain=\"other\").",
                      prometheus::MetricType::Histogram);
      for (const auto& [d, hist] : state_.mx_hist) {
        h.AddHistogram({{"domain", d}}, hist);
      }
      FamilyBuilder c(out, "mailflow_dns_mx_lookups_total",
                      "MX lookups by domain and result class.",
                      prometheus::MetricType::Counter);
      for (const auto& [d, cnt] : state_.mx_counters) {
        for (size_t i = 0; i < std::size(kAllDnsResults); ++i) {
          c.Add({{"domain", d}, {"result", DnsResultName(kAllDnsResults[i])}},
                static_cast<double>(cnt.by_result[i]));
        }
      }
    }
    {
      FamilyBuilder n(out, "mailflow_dns_mx_records",
                      "MX records of the domain in the last probe round "
                      "(0 for NXDOMAIN/NODATA: mail goes to the A record).",
                      prometheus::MetricType::Gauge);
      FamilyBuilder z(out, "mailflow_dns_mx_null",
                      "Whether the domain publishes a null MX (RFC 7505: "
                      "accepts no mail), last probe round.",
                      prometheus::MetricType::Gauge);
      for (const auto& [d, v] : s.mx) {
        n.Add({{"domain", d}}, v.first);
        z.Add({{"domain", d}}, v.second ? 1 : 0);
      }
    }
    {
      FamilyBuilder a(out, "mailflow_dns_resolver_answering",
                      "Whether the resolver sent any DNS response (any rcode) "
                      "in the last probe round.",
                      prometheus::MetricType::Gauge);
      std::map<std::string, bool> folded;  // several may fold into "other"
      for (const auto& [r, v] : s.answering) {
        folded[state_.ResolverLabel(r)] |= v;
      }
      for (const auto& [r, v] : folded) a.Add({{"resolver", r}}, v ? 1 : 0);
    }
    if (!s.first_median.empty()) {
      FamilyBuilder m(out, "mailflow_dns_cache_lookup_duration_seconds",
                      "Median MX lookup time of the last round per resolver: "
                      "attempt=first, and attempt=repeat for the same name "
                      "asked again at once (a cache answers the repeat "
                      "fast).",
                      prometheus::MetricType::Gauge);
      FamilyBuilder e(out, "mailflow_dns_resolver_caching",
                      "Whether repeated lookups come back from a cache: the "
                      "repeat median is under 2 ms or under half the first "
                      "(last probe round).",
                      prometheus::MetricType::Gauge);
      for (const auto& [r, first] : s.first_median) {
        auto it = s.repeat_median.find(r);
        const double rep = it == s.repeat_median.end() ? 0 : it->second;
        const std::string label = state_.ResolverLabel(r);
        if (label == "other") continue;  // medians do not fold
        m.Add({{"resolver", label}, {"attempt", "first"}}, first);
        m.Add({{"resolver", label}, {"attempt", "repeat"}}, rep);
        e.Add({{"resolver", label}},
              rep > 0 && (rep < 0.002 || rep < first / 2) ? 1 : 0);
      }
    }
    if (!state_.rbl.empty()) {
      FamilyBuilder h(out, "mailflow_dns_rbl_lookup_duration_seconds",
                      "Latency of the RBL's standard test entry "
                      "(2.0.0.127.ZONE, or test.ZONE for RHSBLs) on the "
                      "resolver Postfix asks first.",
                      prometheus::MetricType::Histogram);
      FamilyBuilder c(out, "mailflow_dns_rbl_lookups_total",
                      "RBL test entry lookups by zone and result class.",
                      prometheus::MetricType::Counter);
      FamilyBuilder l(out, "mailflow_dns_rbl_test_entry_listed",
                      "Whether the RBL answered its test entry with a "
                      "127.0.0.x listing as it must (0: the list is dead, "
                      "refuses this resolver with 127.255.255.x, or times "
                      "out), last probe round.",
                      prometheus::MetricType::Gauge);
      for (const auto& [zone, z] : state_.rbl) {
        h.AddHistogram({{"zone", zone}}, z.hist);
        for (size_t i = 0; i < std::size(kAllDnsResults); ++i) {
          c.Add({{"zone", zone}, {"result", DnsResultName(kAllDnsResults[i])}},
                static_cast<double>(z.counters.by_result[i]));
        }
        if (z.have_result) l.Add({{"zone", zone}}, z.listed ? 1 : 0);
      }
    }
    if (!s.reverse.empty()) {
      FamilyBuilder p(out, "mailflow_dns_reverse_ptr_present",
                      "Whether the address has a PTR record (last probe "
                      "round).",
                      prometheus::MetricType::Gauge);
      FamilyBuilder fc(out, "mailflow_dns_reverse_forward_confirmed",
                       "Whether a PTR name of the address resolves back to "
                       "it (FCrDNS), last probe round.",
                       prometheus::MetricType::Gauge);
      FamilyBuilder m(out, "mailflow_dns_reverse_matches_myhostname",
                      "Whether a PTR name of the address equals Postfix's "
                      "myhostname (last probe round).",
                      prometheus::MetricType::Gauge);
      for (const auto& [addr, r] : s.reverse) {
        p.Add({{"address", addr}}, r.ptr_present ? 1 : 0);
        fc.Add({{"address", addr}}, r.forward_confirmed ? 1 : 0);
        m.Add({{"address", addr}}, r.matches_myhostname ? 1 : 0);
      }
    }
  }

  DnsOptions o_;
  DnsState state_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace

bool ParseDnsOptions(ConfigMap m, DnsOptions* o, std::string* err) {
  std::vector<std::string> resolvers, domains;
  int64_t max_domains = static_cast<int64_t>(o->max_domains);
  int64_t mx_hosts = static_cast<int64_t>(o->mx_hosts_per_domain);
  int64_t attempts = o->attempts;
  int64_t in_flight = static_cast<int64_t>(o->max_in_flight);
  int64_t max_rbl = static_cast<int64_t>(o->max_rbl_zones);
  int64_t max_rev = static_cast<int64_t>(o->max_reverse_dns_addresses);
  if (!m.GetString("resolv_conf", &o->resolv_conf, err) ||
      !m.GetString("chroot_resolv_conf", &o->chroot_resolv_conf, err) ||
      !m.GetString("chroot", &o->chroot, err) ||
      !m.GetBool("probe_resolv_conf", &o->probe_resolv_conf, err) ||
      !m.GetStringList("resolvers", &resolvers, err) ||
      !m.GetStringList("domains", &domains, err) ||
      !m.GetInt("max_domains", 1, 1000, &max_domains, err) ||
      !m.GetInt("mx_hosts_per_domain", 0, 10, &mx_hosts, err) ||
      !m.GetBool("lookup_aaaa", &o->lookup_aaaa, err) ||
      !m.GetBool("cache_check", &o->cache_check, err) ||
      !m.GetDuration("interval", &o->interval, err) ||
      !m.GetDuration("round_timeout", &o->round_timeout, err) ||
      !m.GetDuration("query_timeout", &o->query_timeout, err) ||
      !m.GetInt("query_attempts", 1, 5, &attempts, err) ||
      !m.GetInt("max_in_flight", 1, 10000, &in_flight, err) ||
      !m.GetBool("rbl_checks", &o->rbl_checks, err) ||
      !m.GetStringList("rbl_zones", &o->rbl_zones, err) ||
      !m.GetInt("max_rbl_zones", 0, 100, &max_rbl, err) ||
      !m.GetStringList("reverse_dns_addresses", &o->reverse_dns_addresses,
                       err) ||
      !m.GetInt("max_reverse_dns_addresses", 1, 64, &max_rev, err) ||
      !m.GetString("myhostname", &o->myhostname, err)) {
    return false;
  }
  if (o->chroot != "auto" && o->chroot != "yes" && o->chroot != "no") {
    *err = m.Where("chroot") + ": chroot must be auto, yes or no";
    return false;
  }
  for (const auto& r : resolvers) {
    NameServer ns;
    if (!ParseNameServer(r, &ns)) {
      *err = m.Where("resolvers") + ": invalid resolver \"" + r +
             "\" (want ADDRESS, ADDRESS:PORT or [IPV6]:PORT)";
      return false;
    }
    o->extra_resolvers.push_back(ns);
  }
  std::set<std::string> seen;
  for (auto d : domains) {
    d = HostKey(d);
    if (!ValidDomainName(d)) {
      *err = m.Where("domains") + ": invalid domain \"" + d + "\"";
      return false;
    }
    if (seen.insert(d).second) o->domains.push_back(d);
  }
  for (const auto& z : o->rbl_zones) {
    std::string zone = HostKey(z.rfind("rhsbl:", 0) == 0 ? z.substr(6) : z);
    if (!ValidDomainName(zone)) {
      *err = m.Where("rbl_zones") + ": invalid zone \"" + z + "\"";
      return false;
    }
  }
  if (o->reverse_dns_addresses.size() == 1 &&
      o->reverse_dns_addresses[0] == "auto") {
    o->reverse_dns_auto = true;
    o->reverse_dns_addresses.clear();
  }
  for (const auto& a : o->reverse_dns_addresses) {
    if (ReverseName(a).empty()) {
      *err = m.Where("reverse_dns_addresses") + ": invalid address \"" + a +
             "\" (want numeric addresses, or the single word auto)";
      return false;
    }
  }
  o->max_domains = static_cast<size_t>(max_domains);
  o->mx_hosts_per_domain = static_cast<size_t>(mx_hosts);
  o->attempts = static_cast<int>(attempts);
  o->max_in_flight = static_cast<size_t>(in_flight);
  o->max_rbl_zones = static_cast<size_t>(max_rbl);
  o->max_reverse_dns_addresses = static_cast<size_t>(max_rev);
  if (o->reverse_dns_addresses.size() > o->max_reverse_dns_addresses) {
    o->reverse_dns_addresses.resize(o->max_reverse_dns_addresses);
  }
  if (o->interval < std::chrono::seconds(1)) {
    *err = m.Where("interval") + ": interval must be at least 1s";
    return false;
  }
  if (o->round_timeout > o->interval ||
      o->round_timeout < std::chrono::milliseconds(100)) {
    *err = m.Where("round_timeout") +
           ": round_timeout must be between 100ms and the interval";
    return false;
  }
  if (o->query_timeout < std::chrono::milliseconds(10) ||
      o->query_timeout > o->round_timeout) {
    *err = m.Where("query_timeout") +
           ": query_timeout must be between 10ms and the round_timeout";
    return false;
  }
  return m.Finish(err);
}

std::unique_ptr<Collector> NewDnsCollector(DnsOptions options) {
  return std::make_unique<DnsCollector>(std::move(options));
}

void RegisterDnsCollector(CollectorRegistry* registry) {
  registry->Add(
      {"dns", true,
       "Resolvers Postfix uses (resolv.conf, the chroot copy), MX/A/AAAA "
       "lookup latency and failures, RBL test entries, reverse DNS. Probes "
       "only what the config names.",
       [](const Config& config, ConfigMap options,
          std::string* err) -> std::unique_ptr<Collector> {
         DnsOptions o;
         o.postfix_config_directory = config.paths.postfix_config_directory;
         o.resolv_conf = config.paths.etc + "/resolv.conf";
         if (!ParseDnsOptions(std::move(options), &o, err)) return nullptr;
         return NewDnsCollector(std::move(o));
       }});
}

}  // namespace mailflow
