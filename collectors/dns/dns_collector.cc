#include "collectors/dns/dns_collector.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collectors/dns/dns_collector_internal.h"
#include "lib/base/log.h"

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

namespace dns_collector_internal {

LocalFacts ReadLocalFacts(const DnsOptions& o,
                          PostfixSnapshotCache* snapshots) {
  LocalFacts f;
  f.host_path = o.resolv_conf;
  f.host_ok = ReadResolvConf(o.resolv_conf, &f.host, &f.host_err);
  if (!f.host_ok) f.host = ParseResolvConf("");  // libc: 127.0.0.1
  std::string err;
  std::shared_ptr<const PostfixSnapshot> snapshot =
      snapshots->Get(o.postfix_config_directory, &err);
  f.postfix_ok = snapshot != nullptr;
  if (snapshot) {
    f.postfix = ReadPostfixDnsFacts(snapshot->config, o.max_rbl_zones);
  } else {
    f.postfix_err = PostfixConfigDependencyError(o.postfix_config_directory);
  }
  if (o.chroot == "yes") {
    f.smtp_chrooted = f.smtpd_chrooted = true;
  } else if (o.chroot == "auto") {
    f.smtp_chrooted = f.postfix_ok && f.postfix.smtp_chrooted;
    f.smtpd_chrooted = f.postfix_ok && f.postfix.smtpd_chrooted;
  }
  f.chrooted = f.smtp_chrooted || f.smtpd_chrooted;
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
  int jail_first = -1, host_first = -1, config_first = -1;
  if (o.probe_resolv_conf) {
    if (f.chrooted && !f.jail_path.empty()) {
      for (const auto& ns : f.jail.Effective()) {
        int i = add(ns, "chroot_resolv_conf");
        if (jail_first < 0) jail_first = i;
      }
    }
    for (const auto& ns : f.host.Effective()) {
      int i = add(ns, "resolv_conf");
      if (host_first < 0) host_first = i;
    }
  }
  for (const auto& ns : o.extra_resolvers) {
    int i = add(ns, "config");
    if (config_first < 0) config_first = i;
  }
  // The server each daemon's libc asks first: the jail's copy when it runs
  // chrooted, else /etc/resolv.conf's; the config's resolvers when
  // resolv.conf is not probed.
  auto first_of = [&](bool in_jail) {
    int i = in_jail && jail_first >= 0 ? jail_first : host_first;
    return i >= 0 ? i : config_first;
  };
  f.primary = first_of(f.smtp_chrooted);
  f.smtpd_primary = first_of(f.smtpd_chrooted);
  f.myhostname =
      HostKey(!o.myhostname.empty() ? o.myhostname : f.postfix.myhostname);
  return f;
}

// ---- the collector ----------------------------------------------------------

DnsCollector::~DnsCollector() {
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

void DnsCollector::Start() {
  if (!HasTargets()) {
    Log(LogLevel::kInfo, "dns",
        "no domains, domains_from_queue, RBL checks or reverse DNS "
        "addresses configured: "
        "the DNS prober stays idle");
    return;
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { Loop(); });
}

Status DnsCollector::Collect(Deadline deadline,
                             std::vector<prometheus::MetricFamily>* out) {
  (void)deadline;
  LocalFacts f = ReadLocalFacts(options_, snapshots_.get());
  LogOnChange(LogLevel::kWarn, "dns", "dns/postfix", f.postfix_err,
              "Postfix config readable again");
  ExportLocal(f, out);
  ExportProbe(out);
  seen_ = FactsOf(f);
  if (!f.host_ok) return Status::Error(f.host_err);
  return Status::OK();
}

DnsFacts DnsCollector::FactsOf(const LocalFacts& f) {
  DnsFacts d;
  d.config_directory = options_.postfix_config_directory;
  d.host_path = f.host_path;
  d.host_ok = f.host_ok;
  d.host_error = f.host_err;
  auto labels = [](const ResolvConf& rc) {
    std::vector<std::string> out;
    for (const auto& ns : rc.Effective()) out.push_back(ns.Label());
    return out;
  };
  d.host_servers = labels(f.host);
  d.smtp_chrooted = f.smtp_chrooted;
  d.chrooted = f.chrooted;
  d.jail_path = f.jail_path;
  d.jail_ok = f.jail_ok;
  d.jail_servers = labels(f.jail);
  d.differs = f.differs;
  if (f.primary >= 0) {
    const NameServer& ns = f.resolvers[static_cast<size_t>(f.primary)].ns;
    d.primary = ns.Label();
    d.primary_local = ns.IsLoopback();
  }
  d.configured = HasTargets();
  d.domains = options_.domains.size();
  d.query_timeout_seconds =
      std::chrono::duration<double>(options_.query_timeout).count();
  d.round_timeout_seconds =
      std::chrono::duration<double>(options_.round_timeout).count();
  std::lock_guard<std::mutex> lock(state_.mu);
  d.round_done = state_.last.done;
  d.round_timestamp = state_.last.timestamp;
  for (const auto& [label, r] : state_.last.resolvers) d.resolvers.push_back(r);
  return d;
}

void DnsCollector::WaitForResults(Deadline deadline) {
  if (!HasTargets()) return;
  std::unique_lock<std::mutex> lock(state_.mu);
  state_.round_done.wait_until(lock, deadline.at(),
                               [this] { return state_.last.done; });
}

}  // namespace dns_collector_internal

std::unique_ptr<Collector> NewDnsCollector(DnsOptions options,
                                           const CollectorContext& context,
                                           const std::string& carry_key) {
  using dns_collector_internal::DnsState;
  auto state = carry_key.empty() ? std::make_shared<DnsState>()
                                 : context.carry_over->Get<DnsState>(carry_key);
  return std::make_unique<dns_collector_internal::DnsCollector>(
      std::move(options), context.destination_domains, context.postfix,
      std::move(state));
}

void RegisterDnsCollector(CollectorRegistry* registry) {
  registry->Add(
      {"dns", true,
       "Resolvers Postfix uses (resolv.conf, the chroot copy), MX/A/AAAA "
       "lookup latency and failures, RBL test entries, reverse DNS. Probes "
       "only what the config names.",
       [](const Config& config, ConfigMap options,
          const CollectorContext& context,
          std::string* err) -> std::unique_ptr<Collector> {
         DnsOptions o;
         o.postfix_config_directory = config.paths.postfix_config_directory;
         o.resolv_conf = config.paths.etc + "/resolv.conf";
         // What the probes depend on: the section, main.cf, /etc.
         const std::string key = "dns\n" + options.Fingerprint() + "\n" +
                                 config.paths.postfix_config_directory + "\n" +
                                 config.paths.etc;
         if (!ParseDnsOptions(std::move(options), &o, err)) return nullptr;
         return NewDnsCollector(std::move(o), context, key);
       }});
}

}  // namespace mailflow
