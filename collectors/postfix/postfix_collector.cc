#include "collectors/postfix/postfix_collector.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "collectors/common/metrics.h"
#include "collectors/postfix/chroot_check.h"
#include "collectors/postfix/config_findings.h"
#include "collectors/postfix/postfix_diagnosis.h"
#include "collectors/postfix/postfix_families.h"
#include "collectors/postfix/postfix_options.h"
#include "lib/base/interfaces.h"
#include "lib/base/log.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/master_status.h"
#include "lib/postfix/postfix_instances.h"

namespace mailflow::postfix_collector {

using prometheus::MetricType;

// smtpd restriction lists that may name a policy service.
constexpr const char* kRestrictionLists[] = {
    "smtpd_client_restrictions",     "smtpd_helo_restrictions",
    "smtpd_sender_restrictions",     "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",  "smtpd_data_restrictions",
    "smtpd_end_of_data_restrictions"};

std::string TooManyInstances(const std::string& skipped) {
  std::string msg = "more than ";
  msg.append(std::to_string(kMaxPostfixInstances))
      .append(" Postfix instances; not watched:")
      .append(skipped);
  return msg;
}

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
    std::vector<PostfixInstance> instances;
    std::vector<std::string> ignored;
    std::string err;
    if (!DiscoverPostfixInstances(snapshots_.get(), options_.config_directory,
                                  &instances, &ignored, &err)) {
      // Without main.cf the master's pid file location is unknown: report
      // the failure rather than a guessed "down". The other collectors
      // that need the configuration say they depend on this report.
      return Status::Error(err);
    }
    std::string skipped;
    for (const std::string& dir : ignored) skipped.append(" ").append(dir);
    LogOnChange(LogLevel::kWarn, "postfix", "postfix/instances",
                skipped.empty() ? "" : TooManyInstances(skipped));
    FamilyBuilder enabled(out, "mailflow_postfix_instance_enabled",
                          "The Postfix instances: the default one and those "
                          "of its multi_instance_directories, whether "
                          "enabled (multi_instance_enable; the default "
                          "instance always is). Disabled ones are not "
                          "watched.",
                          MetricType::Gauge);
    std::string errors;
    for (const PostfixInstance& in : instances) {
      enabled.Add({{kPostfixInstanceLabel, in.name},
                   {"config_directory", in.config_directory}},
                  in.enabled);
      if (!in.snapshot) {
        errors.append(errors.empty() ? "" : "; ").append(in.error);
        continue;
      }
      if (!in.enabled) continue;
      std::vector<prometheus::MetricFamily> part;
      PostfixObservation obs;
      CollectInstance(in, instances.size() > 1, &obs, &part);
      AppendWithLabel(std::move(part), kPostfixInstanceLabel, in.name, out);
      if (in.primary) seen_ = std::move(obs);
    }
    return errors.empty() ? Status::OK() : Status::Error(errors);
  }

 private:
  // One instance's families, without the postfix_instance label, and what
  // diagnose needs in *obs. `several`: log messages name the instance.
  void CollectInstance(const PostfixInstance& in, bool several,
                       PostfixObservation* obs,
                       std::vector<prometheus::MetricFamily>* out) {
    obs->snapshot = in.snapshot;
    obs->watched_ports = options_.smtp_ports;
    obs->host_etc = options_.etc;
    const std::shared_ptr<const PostfixSnapshot>& snapshot = in.snapshot;
    const std::string key = "/" + in.name;
    const std::string who = several ? in.name + ": " : std::string();
    const PostfixConfig& pf = snapshot->config;
    const postfix::MainCf& main = pf.main;
    int expansion_errors = 0;
    auto get = [&](const char* name) {
      std::string e;
      std::string v = main.Get(name, &e);
      if (!e.empty()) {
        ++expansion_errors;
        LogOnChange(LogLevel::kWarn, "postfix",
                    std::string("postfix/expand/").append(name) + key,
                    main.source() + ": " + name + ": " + e);
      }
      return v;
    };
    const std::string queue_directory = get("queue_directory");

    const MasterStatus master = ReadMasterStatus(
        queue_directory, get("process_id_directory"), options_.proc);
    obs->master = master;
    AddLivenessFamilies(master, who, key, out);

    const std::vector<InetService>& services = snapshot->inet_services;
    AddServices(pf, services, out);
    AddChroot(pf, queue_directory, &obs->chroot_files, out);

    AddGauge(out, "mailflow_postfix_inet_interfaces_loopback_only",
             "Whether main.cf inet_interfaces names loopback addresses only, "
             "so smtpd cannot accept mail from other hosts.",
             IsLoopbackOnly(get("inet_interfaces")));

    obs->interfaces = InterfaceNetworks();
    AddMynetworksFamilies(main, obs->interfaces, out);
    std::vector<std::pair<std::string, postfix::RelayDecision>> relay;
    AddRelayFamilies(*snapshot, out, &relay);
    for (const auto& [service, d] : relay) {
      obs->relay_safe.emplace_back(
          service, d.verdict != postfix::RelayVerdict::kRelayed);
    }
    AddRoleFamily(*snapshot, options_.role, out);
    AddOutboundRouteFamily(main, out);

    AddPolicyFamilies(main, services, get, obs, out);
    AddProblemFamilies(pf, expansion_errors, out);
    LogProblems(pf, key);
  }

  // mailflow_postfix_policy_services / _greylisting_enabled: the policy
  // services in main.cf's restriction lists (read through `get`) and in the
  // smtpd services' -o overrides.
  static void AddPolicyFamilies(
      const postfix::MainCf& main, const std::vector<InetService>& services,
      const std::function<std::string(const char*)>& get,
      PostfixObservation* obs, std::vector<prometheus::MetricFamily>* out) {
    std::vector<std::string> restriction_values;
    for (const char* list : kRestrictionLists) {
      restriction_values.push_back(get(list));
      if (restriction_values.back().find("check_policy_service") !=
          std::string::npos) {
        obs->policy_lists.push_back(list);
      }
    }
    for (const InetService& s : services) {
      if (!s.enabled || !s.smtpd) continue;
      for (const auto& override : s.overrides) {
        for (const char* list : kRestrictionLists) {
          if (override.first == list) {
            restriction_values.push_back(
                main.GetWithOverrides(list, s.overrides));
          }
        }
      }
    }
    PolicyServices policy = FindPolicyServices(restriction_values);
    obs->policy = policy;
    AddGauge(out, "mailflow_postfix_policy_services",
             "Number of check_policy_service entries in the smtpd "
             "restriction lists (main.cf and master.cf -o overrides).",
             policy.count);
    AddGauge(out, "mailflow_postfix_greylisting_enabled",
             "Whether a policy service looks like greylisting (postgrey, "
             "sqlgrey, port 10023/2501, or grey/gray in its name): first "
             "deliveries from new senders are delayed by design.",
             policy.greylisting);
  }

  // mailflow_postfix_config_problems per file and severity; main.cf's
  // errors include the `expansion_errors` of $name expansion.
  static void AddProblemFamilies(const PostfixConfig& pf, int expansion_errors,
                                 std::vector<prometheus::MetricFamily>* out) {
    const postfix::MainCf& main = pf.main;
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
  }

  // This host's addresses with their prefix lengths (mynetworks_style and
  // "not this host" for mynetworks).
  static std::vector<IpNetwork> InterfaceNetworks() {
    std::vector<InterfaceAddress> ifs;
    std::string err;
    if (!ListInterfaceAddresses(&ifs, &err)) {
      LogOnChange(LogLevel::kWarn, "postfix", "postfix/interfaces", err);
    }
    std::vector<IpNetwork> out;
    for (const InterfaceAddress& a : ifs) out.push_back(a.network);
    return out;
  }

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

  // The jail's files (also into *files, for diagnose).
  void AddChroot(const PostfixConfig& pf, const std::string& queue_directory,
                 std::vector<ChrootFileState>* files,
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
    *files = chroot_check_.Check(queue_directory, options_.etc);
    for (const ChrootFileState& st : *files) {
      f.Add({{"file", st.file}, {"problem", "missing"}}, st.missing);
      f.Add({{"file", st.file}, {"problem", "stale"}}, st.stale);
    }
  }

  void LogProblems(const PostfixConfig& pf, const std::string& key) const {
    std::string text;
    for (const auto& p : pf.main.problems()) {
      text += (text.empty() ? "" : "; ") + pf.main.FormatProblem(p);
    }
    for (const auto& p : pf.master.problems()) {
      text += (text.empty() ? "" : "; ") + pf.master.FormatProblem(p);
    }
    LogOnChange(LogLevel::kWarn, "postfix", "postfix/problems" + key, text);
  }

  PostfixOptions options_;
  const std::shared_ptr<PostfixSnapshotCache> snapshots_;
  ChrootCheck chroot_check_;  // Collect() never runs concurrently
  PostfixObservation seen_;   // the default instance's, for Diagnose()
};

}  // namespace mailflow::postfix_collector

namespace mailflow {

void RegisterPostfixCollector(CollectorRegistry* registry) {
  registry->Add(
      {"postfix", true,
       "Postfix's configuration (main.cf, master.cf, chroot jail) and master "
       "process.",
       [](const Config& config, ConfigMap options,
          const CollectorContext& context,
          std::string* err) -> std::unique_ptr<Collector> {
         PostfixOptions o;
         if (!ParsePostfixOptions(config, std::move(options), &o, err)) {
           return nullptr;
         }
         return std::make_unique<postfix_collector::PostfixCollector>(
             std::move(o), context.postfix);
       }});
}

}  // namespace mailflow
