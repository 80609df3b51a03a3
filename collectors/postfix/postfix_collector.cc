#include "collectors/postfix/postfix_collector.h"

#include <algorithm>
#include <map>
#include <set>

#include "collectors/common/metrics.h"
#include "collectors/postfix/chroot_check.h"
#include "collectors/postfix/config_findings.h"
#include "collectors/postfix/postfix_diagnosis.h"
#include "lib/base/log.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/master_status.h"

namespace mailflow {

namespace {

using prometheus::MetricType;

// smtpd restriction lists that may name a policy service.
constexpr const char* kRestrictionLists[] = {
    "smtpd_client_restrictions",     "smtpd_helo_restrictions",
    "smtpd_sender_restrictions",     "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",  "smtpd_data_restrictions",
    "smtpd_end_of_data_restrictions"};

struct PostfixOptions {
  std::string config_directory;
  std::string proc;
  std::string etc;
  std::vector<int64_t> smtp_ports;
};

class PostfixCollector : public Collector, public Diagnosable {
 public:
  PostfixCollector(PostfixOptions options,
                   std::shared_ptr<PostfixSnapshotCache> snapshots)
      : options_(std::move(options)), snapshots_(std::move(snapshots)) {}

  std::string_view Name() const override { return "postfix"; }

  void Diagnose(std::vector<Finding>* out) const override {
    if (seen_.snapshot) PostfixFindings(FactsOf(seen_), out);
  }

  Status Collect(Deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    seen_ = PostfixObservation{};
    seen_.watched_ports = options_.smtp_ports;
    seen_.host_etc = options_.etc;
    std::string err;
    std::shared_ptr<const PostfixSnapshot> snapshot =
        snapshots_->Get(options_.config_directory, &err);
    seen_.snapshot = snapshot;
    if (!snapshot) {
      // Without main.cf the master's pid file location is unknown: report
      // the failure rather than a guessed "down". The other collectors
      // that need the configuration say they depend on this report.
      return Status::Error(err);
    }
    const PostfixConfig& pf = snapshot->config;
    const postfix::MainCf& main = pf.main;
    int expansion_errors = 0;
    auto get = [&](const char* name) {
      std::string e;
      std::string v = main.Get(name, &e);
      if (!e.empty()) {
        ++expansion_errors;
        LogOnChange(LogLevel::kWarn, "postfix",
                    std::string("postfix/expand/") + name,
                    main.source() + ": " + name + ": " + e);
      }
      return v;
    };
    const std::string queue_directory = get("queue_directory");

    MasterStatus master = ReadMasterStatus(
        queue_directory, get("process_id_directory"), options_.proc);
    seen_.master = master;
    LogOnChange(
        LogLevel::kWarn, "postfix", "postfix/master",
        master.running ? "" : "Postfix master is not running: " + master.detail,
        "Postfix master is running");
    AddGauge(out, "mailflow_postfix_up",
             "Whether the Postfix master process is running (pid file in "
             "the queue directory names a live process called master).",
             master.running);

    const std::vector<InetService>& services = snapshot->inet_services;
    AddServices(pf, services, out);
    AddChroot(pf, queue_directory, out);

    AddGauge(out, "mailflow_postfix_inet_interfaces_loopback_only",
             "Whether main.cf inet_interfaces names loopback addresses only, "
             "so smtpd cannot accept mail from other hosts.",
             IsLoopbackOnly(get("inet_interfaces")));

    std::string mynetworks = get("mynetworks");
    int public_networks =
        CountPublicNetworks(postfix::MainCf::SplitList(mynetworks));
    if (!main.IsSet("mynetworks")) {
      // Derived from mynetworks_style: "host" trusts only this host. For
      // "subnet"/"class" the networks are the host's own; only "class"
      // (whole class A/B/C networks) is flagged, as it trusts strangers.
      public_networks = get("mynetworks_style") == "class" ? 1 : 0;
    }
    AddGauge(out, "mailflow_postfix_mynetworks_public_addresses",
             "Number of mynetworks entries outside loopback and private "
             "address space: clients there may relay (open relay risk).",
             public_networks);

    FamilyBuilder relay(out, "mailflow_postfix_relay_restrictions_safe",
                        "Whether an smtpd inet service refuses to relay for "
                        "strangers: reject_unauth_destination or "
                        "defer_unauth_destination before any permit, with "
                        "the service's -o overrides applied.",
                        MetricType::Gauge);
    std::vector<std::string> restriction_values;
    for (const char* list : kRestrictionLists) {
      restriction_values.push_back(get(list));
      if (restriction_values.back().find("check_policy_service") !=
          std::string::npos) {
        seen_.policy_lists.push_back(list);
      }
    }
    std::set<std::string> relay_seen;
    for (const InetService& s : services) {
      if (!s.enabled || !s.smtpd || !relay_seen.insert(s.service).second) {
        continue;
      }
      std::string e1, e2;
      const std::string relay_list =
          main.GetWithOverrides("smtpd_relay_restrictions", s.overrides, &e1);
      const std::string rcpt_list = main.GetWithOverrides(
          "smtpd_recipient_restrictions", s.overrides, &e2);
      for (const auto& [name, value] : s.overrides) {
        for (const char* list : kRestrictionLists) {
          if (name == list) {
            restriction_values.push_back(
                main.GetWithOverrides(list, s.overrides));
          }
        }
      }
      const bool safe = RelayRestrictionsSafe(relay_list, rcpt_list);
      seen_.relay_safe.emplace_back(s.service, safe);
      relay.Add({{"service", s.service}}, safe);
    }
    PolicyServices policy = FindPolicyServices(restriction_values);
    seen_.policy = policy;
    AddGauge(out, "mailflow_postfix_policy_services",
             "Number of check_policy_service entries in the smtpd "
             "restriction lists (main.cf and master.cf -o overrides).",
             policy.count);
    AddGauge(out, "mailflow_postfix_greylisting_enabled",
             "Whether a policy service looks like greylisting (postgrey, "
             "sqlgrey, port 10023/2501, or grey/gray in its name): first "
             "deliveries from new senders are delayed by design.",
             policy.greylisting);

    FamilyBuilder problems(out, "mailflow_postfix_config_problems",
                           "Problems in main.cf/master.cf: severity error "
                           "for what Postfix would reject (and $name "
                           "expansion errors), warning for what it warns "
                           "about; each is logged once.",
                           MetricType::Gauge);
    auto count = [](const auto& list, postfix::ProblemSeverity severity) {
      return static_cast<double>(
          std::count_if(list.begin(), list.end(),
                        [&](const auto& p) { return p.severity == severity; }));
    };
    problems.Add({{"file", "main.cf"}, {"severity", "error"}},
                 count(main.problems(), postfix::ProblemSeverity::kError) +
                     expansion_errors);
    problems.Add({{"file", "main.cf"}, {"severity", "warning"}},
                 count(main.problems(), postfix::ProblemSeverity::kWarning));
    problems.Add({{"file", "master.cf"}, {"severity", "error"}},
                 count(pf.master.problems(), postfix::ProblemSeverity::kError));
    problems.Add(
        {{"file", "master.cf"}, {"severity", "warning"}},
        count(pf.master.problems(), postfix::ProblemSeverity::kWarning));
    LogProblems(pf);
    return Status::OK();
  }

 private:
  void AddServices(const PostfixConfig& pf,
                   const std::vector<InetService>& services,
                   std::vector<prometheus::MetricFamily>* out) const {
    FamilyBuilder enabled(out, "mailflow_postfix_service_enabled",
                          "Whether a master.cf inet service is enabled (1) "
                          "or commented out / listed in "
                          "master_service_disable (0). Disabled services "
                          "are shown for watched SMTP ports only.",
                          MetricType::Gauge);
    // A service may appear twice (a commented-out copy and a live one):
    // live wins, as in Postfix, where comments do not exist.
    std::map<std::pair<std::string, std::string>, bool> state;
    for (const InetService& s : services) {
      const bool watched =
          std::find(options_.smtp_ports.begin(), options_.smtp_ports.end(),
                    s.port) != options_.smtp_ports.end();
      if (!s.enabled && !watched) continue;
      state[{s.service, std::to_string(s.port)}] |= s.enabled;
    }
    for (const auto& [key, on] : state) {
      enabled.Add({{"port", key.second}, {"service", key.first}}, on);
    }
    FamilyBuilder chroot(out, "mailflow_postfix_service_chroot",
                         "Whether an enabled master.cf service runs chrooted "
                         "(chroot column, '-' resolved to Postfix's default "
                         "n).",
                         MetricType::Gauge);
    std::set<std::pair<std::string, std::string>> chroot_seen;
    for (const auto& e : pf.master.entries()) {
      if (!e.enabled || !chroot_seen.insert({e.service, e.type}).second) {
        continue;
      }
      chroot.Add({{"service", e.service}, {"type", e.type}}, e.chroot);
    }
  }

  void AddChroot(const PostfixConfig& pf, const std::string& queue_directory,
                 std::vector<prometheus::MetricFamily>* out) {
    bool any_chroot = false;
    for (const auto& e : pf.master.entries()) {
      any_chroot = any_chroot || (e.enabled && e.chroot);
    }
    if (!any_chroot) return;  // nothing reads the jail
    FamilyBuilder f(out, "mailflow_postfix_chroot_file_problem",
                    "For chrooted services: whether the jail's copy of a "
                    "system file under the queue directory is missing or "
                    "differs from the host's (stale).",
                    MetricType::Gauge);
    seen_.chroot_files = CheckChrootFiles(queue_directory, options_.etc);
    for (const ChrootFileState& st : seen_.chroot_files) {
      f.Add({{"file", st.file}, {"problem", "missing"}}, st.missing);
      f.Add({{"file", st.file}, {"problem", "stale"}}, st.stale);
    }
  }

  void LogProblems(const PostfixConfig& pf) const {
    std::string text;
    for (const auto& p : pf.main.problems()) {
      text += (text.empty() ? "" : "; ") + pf.main.FormatProblem(p);
    }
    for (const auto& p : pf.master.problems()) {
      text += (text.empty() ? "" : "; ") + pf.master.FormatProblem(p);
    }
    LogOnChange(LogLevel::kWarn, "postfix", "postfix/problems", text);
  }

  PostfixOptions options_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  PostfixObservation seen_;  // the last Collect(), for Diagnose()
};

}  // namespace

void RegisterPostfixCollector(CollectorRegistry* registry) {
  registry->Add(
      {"postfix", true,
       "Postfix's configuration (main.cf, master.cf, chroot jail) and master "
       "process.",
       [](const Config& config, ConfigMap options,
          const CollectorContext& context,
          std::string* err) -> std::unique_ptr<Collector> {
         if (!options.Finish(err)) return nullptr;
         return std::make_unique<PostfixCollector>(
             PostfixOptions{config.paths.postfix_config_directory,
                            config.paths.proc, config.paths.etc,
                            config.smtp_ports},
             context.postfix);
       }});
}

}  // namespace mailflow
