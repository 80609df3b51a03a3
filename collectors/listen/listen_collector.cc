#include "collectors/listen/listen_collector.h"

#include <algorithm>
#include <map>
#include <set>

#include "collectors/common/metrics.h"
#include "collectors/listen/listen_diagnosis.h"
#include "collectors/listen/listen_options.h"
#include "lib/base/file_util.h"
#include "lib/base/log.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/master_status.h"
#include "lib/postfix/postfix_instances.h"
#include "lib/proc/proc_net_tcp.h"
#include "lib/proc/socket_owners.h"
#include "lib/proc/tcp_listeners.h"

namespace mailflow::listen_collector {

// One kind of disagreement between configuration and kernel per series.
constexpr const char* kMismatchKinds[] = {"not_listening", "not_external",
                                          "unexpected_external",
                                          "listening_but_disabled"};

class ListenCollector : public Collector, public Diagnosable {
 public:
  ListenCollector(ListenOptions options,
                  std::shared_ptr<PostfixSnapshotCache> snapshots)
      : options_(std::move(options)),
        snapshots_(std::move(snapshots)),
        owners_(options_.proc) {}

  std::string_view Name() const override { return "listen"; }

  Status Collect(Deadline deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    std::vector<ListeningSocket> sockets;
    Status st = ReadSockets(&sockets);
    if (!st.ok()) return st;

    // The Postfix view is optional here: without it, only the kernel's.
    // Every enabled instance's master.cf adds its ports.
    std::vector<PostfixInstance> instances;
    std::string err;
    const bool known = DiscoverPostfixInstances(
        snapshots_.get(), options_.postfix_config_directory, &instances,
        nullptr, &err);
    LogOnChange(LogLevel::kWarn, "listen", "listen/postfix-config",
                known ? ""
                      : "cannot compare sockets with Postfix's "
                        "configuration: " +
                            PostfixConfigDependencyError(
                                options_.postfix_config_directory));
    std::erase_if(instances, [](const PostfixInstance& in) {
      return !in.enabled || !in.snapshot;
    });
    // Each instance's master: its fd table is where new sockets are looked
    // for first, and mismatches count only while it runs.
    std::vector<MasterStatus> masters;
    std::vector<int> master_pids;
    for (const PostfixInstance& in : instances) {
      masters.push_back(ReadMasterStatus(in.snapshot->queue_directory,
                                         in.snapshot->process_id_directory,
                                         options_.proc));
      if (masters.back().running) master_pids.push_back(masters.back().pid);
    }
    std::set<int> ports(options_.ports.begin(), options_.ports.end());
    for (const PostfixInstance& in : instances) {
      for (const auto& s : in.snapshot->inet_services) {
        if (s.enabled && s.port > 0) ports.insert(s.port);
      }
    }
    std::vector<ListeningSocket> watched;
    std::set<uint64_t> inodes;
    for (auto& s : sockets) {
      if (ports.count(s.port)) {
        inodes.insert(s.inode);
        watched.push_back(std::move(s));
      }
    }
    std::map<uint64_t, SocketOwner> owners;
    if (options_.resolve_owners) {
      // Known sockets cost a stat read each; only new ones are looked for,
      // in the master's fd table first.
      SocketOwnerCache::Result r = owners_.Find(inodes, master_pids, deadline);
      owners = std::move(r.owners);
      LogOnChange(LogLevel::kInfo, "listen", "listen/owners",
                  r.unreadable > 0 && owners.size() < inodes.size()
                      ? "cannot read the fd tables of " +
                            std::to_string(r.unreadable) +
                            " processes (not root?): socket owners are "
                            "reported as \"unknown\""
                      : "");
    }
    // One set of facts per instance (ports, sockets, its services, the
    // mismatches); sockets are the host's, so every instance sees them all.
    // The default instance's (the first) is what diagnose shows.
    std::vector<ListenFacts> facts;
    for (size_t i = 0; i < instances.size(); ++i) {
      facts.push_back(InstanceFacts(&instances[i], masters[i].running, ports,
                                    watched, owners, ""));
    }
    if (facts.empty()) {
      facts.push_back(
          InstanceFacts(nullptr, false, ports, watched, owners, err));
    }
    AddSocketFamilies(facts.front(), out);
    for (size_t i = 0; i < instances.size(); ++i) {
      std::vector<prometheus::MetricFamily> part;
      AddMismatchFamily(facts[i], &part);
      AppendWithLabel(std::move(part), kPostfixInstanceLabel, instances[i].name,
                      out);
    }
    seen_ = std::move(facts.front());
    return Status::OK();
  }

  void Diagnose(std::vector<Finding>* out) const override {
    ListenFindings(seen_, out);
  }

 private:
  // The kernel's listening sockets: from socket diagnostics when proc is
  // the real procfs (the cost follows the listeners, not the connections),
  // else (a fixture tree, or sock_diag refused) from PROC/net/tcp{,6}.
  Status ReadSockets(std::vector<ListeningSocket>* sockets) {
    if (!procfs_checked_) {
      use_sock_diag_ = IsProcfs(options_.proc);
      procfs_checked_ = true;
    }
    if (use_sock_diag_) {
      std::string err;
      const bool ok = DumpTcpListeners(sockets, &err);
      LogOnChange(LogLevel::kWarn, "listen", "listen/sock-diag",
                  ok ? ""
                     : "cannot list listening sockets over netlink, reading " +
                           options_.proc + "/net/tcp{,6} instead: " + err);
      if (ok) return Status::OK();
      sockets->clear();
    }
    int bad = 0;
    std::string text, err;
    if (!ReadWholeFile(options_.proc + "/net/tcp", &text, &err)) {
      return Status::Error(err);
    }
    ParseProcNetTcp(text, false, sockets, &bad);
    // No tcp6 table when IPv6 is disabled: not an error.
    if (ReadWholeFile(options_.proc + "/net/tcp6", &text, &err)) {
      ParseProcNetTcp(text, true, sockets, &bad);
    }
    LogOnChange(LogLevel::kWarn, "listen", "listen/bad-lines",
                bad ? std::to_string(bad) + " malformed lines in " +
                          options_.proc + "/net/tcp{,6} were skipped"
                    : "");
    return Status::OK();
  }

  // One port: its sockets (one per address and owner: SO_REUSEPORT and
  // forks can show an address twice), its master.cf services, and how they
  // disagree (only judged while the master runs).
  ListenFacts::Port PortFacts(int port,
                              const std::vector<InetService>& services,
                              const std::vector<ListeningSocket>& watched,
                              const std::map<uint64_t, SocketOwner>& owners,
                              bool have_config, bool master_running) const {
    ListenFacts::Port p;
    p.port = port;
    p.watched = IsWatched(port);
    std::set<std::pair<std::string, std::string>> seen;
    bool by_master = false;
    for (const auto& s : watched) {
      if (s.port != port) continue;
      auto it = owners.find(s.inode);
      ListenFacts::Socket sock{
          s.address, s.ipv6, s.external(),
          it == owners.end() ? 0 : it->second.pid,
          it == owners.end() ? "unknown" : it->second.comm};
      // Without the privilege to read root's fd tables the owner is
      // unknown; Postfix's master binds its listeners as root (uid 0).
      by_master = by_master || sock.owner == "master" ||
                  (sock.owner == "unknown" && s.uid == 0);
      if (seen.insert({sock.address, sock.owner}).second) {
        p.sockets.push_back(std::move(sock));
      }
    }
    bool enabled = false, expect_external = false;
    for (const auto& s : services) {
      if (s.port != port) continue;
      p.services.push_back({s.service, s.enabled,
                            !s.host.empty() && IsLoopbackHost(s.host), s.line,
                            s.text});
      enabled = enabled || s.enabled;
      expect_external = expect_external || (s.enabled && s.expect_external);
    }
    bool external = false;
    for (const auto& s : p.sockets) external = external || s.external;
    const bool any = !p.sockets.empty();
    const bool judge = have_config && master_running;
    p.not_listening = judge && enabled && !any;
    p.not_external = judge && enabled && expect_external && any && !external;
    p.unexpected_external =
        judge && enabled && !expect_external && external && by_master;
    p.listening_but_disabled = judge && !enabled && by_master;
    return p;
  }

  // One instance's facts: the watched ports' sockets and that instance's
  // services on them (none without `in`: config_error says why).
  ListenFacts InstanceFacts(const PostfixInstance* in, bool master_running,
                            const std::set<int>& ports,
                            const std::vector<ListeningSocket>& watched,
                            const std::map<uint64_t, SocketOwner>& owners,
                            const std::string& config_error) const {
    ListenFacts f;
    f.config_directory =
        in ? in->config_directory : options_.postfix_config_directory;
    f.sockets_source = options_.proc + "/net/tcp{,6}";
    f.have_config = in != nullptr;
    f.config_error = config_error;
    f.master_running = master_running;
    static const std::vector<InetService> kNone;
    const std::vector<InetService>& services =
        in ? in->snapshot->inet_services : kNone;
    if (in) {
      f.main_cf = in->snapshot->config.main.source();
      f.master_cf = in->snapshot->config.master.source();
      f.inet_interfaces =
          in->snapshot->config.main.AsWritten("inet_interfaces");
    }
    for (int port : ports) {
      f.ports.push_back(PortFacts(port, services, watched, owners,
                                  f.have_config, master_running));
    }
    return f;
  }

  // The host's sockets on the watched ports, from the facts the findings
  // use too.
  static void AddSocketFamilies(const ListenFacts& facts,
                                std::vector<prometheus::MetricFamily>* out) {
    FamilyBuilder socket_f(out, "mailflow_listen_socket",
                           "A listening TCP socket on a watched SMTP port, "
                           "from /proc/net/tcp{,6}; owner is the process "
                           "name holding it.",
                           prometheus::MetricType::Gauge);
    FamilyBuilder listening_f(out, "mailflow_listen_port_listening",
                              "Whether anything listens on the watched port.",
                              prometheus::MetricType::Gauge);
    FamilyBuilder external_f(
        out, "mailflow_listen_port_external",
        "Whether the port listens on a wildcard or non-loopback address, "
        "i.e. other hosts can connect (0 also when nothing listens).",
        prometheus::MetricType::Gauge);
    for (const ListenFacts::Port& p : facts.ports) {
      const std::string port = std::to_string(p.port);
      bool external = false;
      for (const auto& s : p.sockets) {
        socket_f.Add(
            {{"address", s.address}, {"owner", s.owner}, {"port", port}}, 1);
        external = external || s.external;
      }
      listening_f.Add({{"port", port}}, !p.sockets.empty());
      external_f.Add({{"port", port}}, external);
    }
  }

  // One instance's mailflow_listen_config_mismatch (without its
  // postfix_instance label).
  static void AddMismatchFamily(const ListenFacts& facts,
                                std::vector<prometheus::MetricFamily>* out) {
    FamilyBuilder f(out, "mailflow_listen_config_mismatch",
                    "Whether the kernel's sockets disagree with a Postfix "
                    "instance's main.cf and master.cf on a port, by kind "
                    "(only while that instance's master runs; 0 otherwise).",
                    prometheus::MetricType::Gauge);
    for (const ListenFacts::Port& p : facts.ports) {
      if (p.services.empty()) continue;
      const bool kinds[] = {p.not_listening, p.not_external,
                            p.unexpected_external, p.listening_but_disabled};
      for (size_t k = 0; k < std::size(kMismatchKinds); ++k) {
        f.Add({{"kind", kMismatchKinds[k]}, {"port", std::to_string(p.port)}},
              kinds[k]);
      }
    }
  }

  bool IsWatched(int port) const {
    return std::find(options_.ports.begin(), options_.ports.end(), port) !=
           options_.ports.end();
  }

  ListenOptions options_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  SocketOwnerCache owners_;
  bool procfs_checked_ = false;
  bool use_sock_diag_ = false;
  ListenFacts seen_;  // the default instance's at the last Collect()
};

}  // namespace mailflow::listen_collector

namespace mailflow {

void RegisterListenCollector(CollectorRegistry* registry) {
  registry->Add(
      {"listen", true,
       "Listening sockets on SMTP ports, and whether they match Postfix's "
       "configuration.",
       [](const Config& config, ConfigMap options,
          const CollectorContext& context,
          std::string* err) -> std::unique_ptr<Collector> {
         ListenOptions o;
         if (!ParseListenOptions(config, std::move(options), &o, err)) {
           return nullptr;
         }
         return std::make_unique<listen_collector::ListenCollector>(
             std::move(o), context.postfix);
       }});
}

}  // namespace mailflow
