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

#include "collectors/dns/dns_diagnosis.h"
#include "collectors/dns/dns_families.h"
#include "collectors/dns/dns_round.h"
#include "collectors/dns/dns_state.h"
#include "collectors/dns/local_facts.h"
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

namespace dns_collector {

/// The collector: local facts at scrape time, probe rounds in a thread of
/// its own (Start() to the destructor). Collect() and Diagnose() are not
/// called concurrently on one instance (CollectorSet); the state is shared
/// with the round thread under DnsState::mu.
class DnsCollector : public Collector, public Diagnosable {
 public:
  DnsCollector(DnsOptions options, std::shared_ptr<DestinationDomains> queue,
               std::shared_ptr<PostfixSnapshotCache> snapshots,
               std::shared_ptr<DnsState> state)
      : options_(std::move(options)),
        queue_domains_(std::move(queue)),
        snapshots_(std::move(snapshots)),
        held_state_(std::move(state)),
        state_(*held_state_) {}

  ~DnsCollector() override;

  std::string_view Name() const override { return "dns"; }

  bool HasTargets() const {
    return !options_.domains.empty() || options_.domains_from_queue > 0 ||
           options_.rbl_checks || !options_.reverse_dns_addresses.empty() ||
           options_.reverse_dns_auto;
  }

  void Start() override;
  Status Collect(Deadline deadline,
                 std::vector<prometheus::MetricFamily>* out) override;
  void Diagnose(std::vector<Finding>* out) const override {
    DnsFindings(seen_, out);
  }
  // The first probe round (when anything is probed).
  void WaitForResults(Deadline deadline) override;

 private:
  // The background probe rounds: one RunRound per interval.
  void Loop();
  // The facts of the findings: local files and the last round.
  DnsFacts FactsOf(const LocalFacts& f);

  DnsOptions options_;
  const std::shared_ptr<DestinationDomains> queue_domains_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  const std::shared_ptr<DnsState> held_state_;  // never null
  DnsState& state_;
  DnsFacts seen_;  // the last Collect(), for Diagnose()
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

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
  AppendLocalFamilies(options_, f, *queue_domains_, out);
  AppendProbeFamilies(&state_, out);
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

void DnsCollector::Loop() {
  // The schedule is the state's: after a reload with the same options the
  // next round comes when it was due, not at once (RoundClock).
  for (uint64_t round_number = 0;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, state_.clock.due(), [this] { return stop_.load(); });
      if (stop_) return;
    }
    if (!state_.clock.Claim(RoundClock::Clock::now(), options_.interval))
      continue;
    ++round_number;
    LocalFacts f = ReadLocalFacts(options_, snapshots_.get());
    std::vector<std::string> reverse = options_.reverse_dns_addresses;
    if (options_.reverse_dns_auto) {
      reverse = DiscoverPublicAddresses(options_.max_reverse_dns_addresses);
    }
    // The first round starts before any scrape could have scanned the
    // queue; from the second on, nothing published means no queue scans.
    LogOnChange(LogLevel::kWarn, "dns", "dns/queue_domains",
                options_.domains_from_queue > 0 && round_number > 1 &&
                        queue_domains_->published_at() == 0
                    ? "domains_from_queue is set, but no queue scan has "
                      "published destination domains: is the queue "
                      "collector enabled and scraped?"
                    : "",
                "queue destination domains published");
    Status st =
        RunRound(options_, f, ProbeDomainsFor(options_, *queue_domains_),
                 reverse, RblZonesFor(options_, f), &stop_, wake_fd_, &state_);
    LogOnChange(LogLevel::kWarn, "dns", "dns/round",
                st.ok() ? "" : "DNS probe round failed: " + st.message(),
                "DNS probe rounds work again");
  }
}

}  // namespace dns_collector

std::unique_ptr<Collector> NewDnsCollector(DnsOptions options,
                                           const CollectorContext& context,
                                           const std::string& carry_key) {
  using dns_collector::DnsState;
  auto state = carry_key.empty() ? std::make_shared<DnsState>()
                                 : context.carry_over->Get<DnsState>(carry_key);
  return std::make_unique<dns_collector::DnsCollector>(
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
         // What the probes depend on: the section, main.cf, /etc.
         const std::string key = "dns\n" + options.Fingerprint() + "\n" +
                                 config.paths.postfix_config_directory + "\n" +
                                 config.paths.etc;
         if (!ParseDnsOptions(config, std::move(options), &o, err)) {
           return nullptr;
         }
         return NewDnsCollector(std::move(o), context, key);
       }});
}

}  // namespace mailflow
