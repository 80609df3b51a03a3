#include "collectors/listen/listen_collector.h"

#include <algorithm>
#include <map>
#include <set>

#include "collectors/common/metrics.h"
#include "lib/base/file_util.h"
#include "lib/base/log.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/master_status.h"
#include "lib/postfix/postfix_instances.h"
#include "lib/proc/proc_net_tcp.h"
#include "lib/proc/socket_owners.h"
#include "lib/proc/tcp_listeners.h"

namespace mailflow {

namespace {

struct ListenOptions {
  std::vector<int64_t> ports;
  std::string proc;
  std::string postfix_config_directory;
  bool resolve_owners = true;
};

// One kind of disagreement between configuration and kernel per series.
constexpr const char* kMismatchKinds[] = {"not_listening", "not_external",
                                          "unexpected_external",
                                          "listening_but_disabled"};

class ListenCollector : public Collector {
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
      SocketOwnerCache::Result r =
          owners_.Find(inodes, master_pids, deadline);
      owners = std::move(r.owners);
      LogOnChange(LogLevel::kInfo, "listen", "listen/owners",
                  r.unreadable > 0 && owners.size() < inodes.size()
                      ? "cannot read the fd tables of " +
                            std::to_string(r.unreadable) +
                            " processes (not root?): socket owners are "
                            "reported as \"unknown\""
                      : "");
    }
    auto owner_of = [&](const ListeningSocket& s) -> std::string {
      auto it = owners.find(s.inode);
      return it == owners.end() ? "unknown" : it->second.comm;
    };

    FamilyBuilder socket_f(out, "mailflow_listen_socket",
                           "A listening TCP socket on a watched SMTP port, "
                           "from /proc/net/tcp{,6}; owner is the process "
                           "name holding it.",
                           prometheus::MetricType::Gauge);
    std::set<std::tuple<int, std::string, std::string>> seen;
    for (const auto& s : watched) {
      // SO_REUSEPORT and forks can show one address twice: one series.
      if (!seen.insert({s.port, s.address, owner_of(s)}).second) continue;
      socket_f.Add({{"address", s.address},
                    {"owner", owner_of(s)},
                    {"port", std::to_string(s.port)}},
                   1);
    }
    FamilyBuilder listening_f(out, "mailflow_listen_port_listening",
                              "Whether anything listens on the watched port.",
                              prometheus::MetricType::Gauge);
    FamilyBuilder external_f(
        out, "mailflow_listen_port_external",
        "Whether the port listens on a wildcard or non-loopback address, "
        "i.e. other hosts can connect (0 also when nothing listens).",
        prometheus::MetricType::Gauge);
    for (int port : ports) {
      bool any = false, external = false;
      for (const auto& s : watched) {
        if (s.port != port) continue;
        any = true;
        external = external || s.external();
      }
      listening_f.Add({{"port", std::to_string(port)}}, any);
      external_f.Add({{"port", std::to_string(port)}}, external);
    }
    for (size_t i = 0; i < instances.size(); ++i) {
      const PostfixInstance& in = instances[i];
      std::vector<prometheus::MetricFamily> part;
      AddMismatches(in.snapshot->inet_services, watched, owner_of,
                    masters[i].running, &part);
      AppendWithLabel(std::move(part), kPostfixInstanceLabel, in.name, out);
    }
    return Status::OK();
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

  template <typename OwnerFn>
  void AddMismatches(const std::vector<InetService>& services,
                     const std::vector<ListeningSocket>& watched,
                     OwnerFn owner_of, bool master_running,
                     std::vector<prometheus::MetricFamily>* out) const {
    std::set<int> ports;
    for (const auto& s : services) {
      if (s.port > 0 && (s.enabled || IsWatched(s.port))) ports.insert(s.port);
    }
    FamilyBuilder f(out, "mailflow_listen_config_mismatch",
                    "Whether the kernel's sockets disagree with a Postfix "
                    "instance's main.cf and master.cf on a port, by kind "
                    "(only while that instance's master runs; 0 otherwise).",
                    prometheus::MetricType::Gauge);
    for (int port : ports) {
      bool enabled = false, expect_external = false;
      for (const auto& s : services) {
        if (s.port != port || !s.enabled) continue;
        enabled = true;
        expect_external = expect_external || s.expect_external;
      }
      bool any = false, external = false, by_master = false;
      for (const auto& s : watched) {
        if (s.port != port) continue;
        any = true;
        external = external || s.external();
        // Without the privilege to read root's fd tables the owner is
        // unknown; Postfix's master binds its listeners as root (uid 0).
        const std::string owner = owner_of(s);
        by_master = by_master || owner == "master" ||
                    (owner == "unknown" && s.uid == 0);
      }
      const bool kinds[] = {
          master_running && enabled && !any,
          master_running && enabled && expect_external && any && !external,
          master_running && enabled && !expect_external && external &&
              by_master,
          master_running && !enabled && by_master,
      };
      for (size_t k = 0; k < std::size(kMismatchKinds); ++k) {
        f.Add({{"kind", kMismatchKinds[k]}, {"port", std::to_string(port)}},
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
};

}  // namespace

void RegisterListenCollector(CollectorRegistry* registry) {
  registry->Add(
      {"listen", true,
       "Listening sockets on SMTP ports, and whether they match Postfix's "
       "configuration.",
       [](const Config& config, ConfigMap options,
          const CollectorContext& context,
          std::string* err) -> std::unique_ptr<Collector> {
         ListenOptions o;
         o.ports = config.smtp_ports;
         o.proc = config.paths.proc;
         o.postfix_config_directory = config.paths.postfix_config_directory;
         if (!options.GetBool("resolve_owners", &o.resolve_owners, err) ||
             !options.Finish(err)) {
           return nullptr;
         }
         return std::make_unique<ListenCollector>(std::move(o),
                                                  context.postfix);
       }});
}

}  // namespace mailflow
