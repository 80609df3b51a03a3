#include "collectors/listen/listen_collector.h"

#include <algorithm>
#include <map>
#include <set>

#include "collectors/common/metrics.h"
#include "collectors/listen/listen_diagnosis.h"
#include "lib/base/file_util.h"
#include "lib/base/log.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/master_status.h"
#include "lib/proc/proc_net_tcp.h"
#include "lib/proc/socket_owners.h"

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

class ListenCollector : public Collector, public Diagnosable {
 public:
  ListenCollector(ListenOptions options,
                  std::shared_ptr<PostfixSnapshotCache> snapshots)
      : options_(std::move(options)), snapshots_(std::move(snapshots)) {}

  std::string_view Name() const override { return "listen"; }

  Status Collect(Deadline deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    std::vector<ListeningSocket> sockets;
    Status st = ReadSockets(&sockets);
    if (!st.ok()) return st;

    // The Postfix view is optional here: without it, only the kernel's.
    std::string err;
    std::shared_ptr<const PostfixSnapshot> snapshot =
        snapshots_->Get(options_.postfix_config_directory, &err);
    LogOnChange(LogLevel::kWarn, "listen", "listen/postfix-config",
                snapshot ? ""
                         : "cannot compare sockets with Postfix's "
                           "configuration: " +
                               PostfixConfigDependencyError(
                                   options_.postfix_config_directory));
    std::vector<InetService> services;
    bool master_running = false;
    if (snapshot) {
      services = snapshot->inet_services;
      master_running =
          ReadMasterStatus(snapshot->queue_directory,
                           snapshot->process_id_directory, options_.proc)
              .running;
    }

    std::set<int> ports(options_.ports.begin(), options_.ports.end());
    for (const auto& s : services) {
      if (s.enabled && s.port > 0) ports.insert(s.port);
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
      int unreadable = 0;
      owners = FindSocketOwners(options_.proc, inodes, deadline, &unreadable);
      LogOnChange(LogLevel::kInfo, "listen", "listen/owners",
                  unreadable > 0 && owners.size() < inodes.size()
                      ? "cannot read the fd tables of " +
                            std::to_string(unreadable) +
                            " processes (not root?): socket owners are "
                            "reported as \"unknown\""
                      : "");
    }
    seen_ = ListenFacts{};
    seen_.config_directory = options_.postfix_config_directory;
    seen_.sockets_source = options_.proc + "/net/tcp{,6}";
    seen_.have_config = snapshot != nullptr;
    seen_.config_error = err;
    seen_.master_running = master_running;
    if (snapshot) {
      seen_.main_cf = snapshot->config.main.source();
      seen_.master_cf = snapshot->config.master.source();
      seen_.inet_interfaces =
          snapshot->config.main.AsWritten("inet_interfaces");
    }
    for (int port : ports) {
      seen_.ports.push_back(PortFacts(port, services, watched, owners,
                                      snapshot != nullptr, master_running));
    }
    AddFamilies(out);
    return Status::OK();
  }

  void Diagnose(std::vector<Finding>* out) const override {
    ListenFindings(seen_, out);
  }

 private:
  Status ReadSockets(std::vector<ListeningSocket>* sockets) const {
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
      by_master = by_master || sock.owner == "master";
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

  // The families, from the facts the findings use too.
  void AddFamilies(std::vector<prometheus::MetricFamily>* out) const {
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
    for (const ListenFacts::Port& p : seen_.ports) {
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
    if (!seen_.have_config) return;
    FamilyBuilder f(out, "mailflow_listen_config_mismatch",
                    "Whether the kernel's sockets disagree with main.cf and "
                    "master.cf on a port, by kind (only while the Postfix "
                    "master runs; 0 otherwise).",
                    prometheus::MetricType::Gauge);
    for (const ListenFacts::Port& p : seen_.ports) {
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
  ListenFacts seen_;  // the last Collect(), for Diagnose() and the families
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
