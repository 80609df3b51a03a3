// The `firewall` collector's scrape: the watched ports, the kernel's ruleset
// (nftables, with iptables-nft's tables re-read from iptables-nft-save, and
// iptables-legacy), and the collector's registration and options.
#include "collectors/firewall/firewall_collector.h"

#include <sys/stat.h>

#include "collectors/firewall/firewall_collector_internal.h"
#include "lib/base/file_util.h"
#include "lib/base/log.h"
#include "lib/base/subprocess.h"
#include "lib/firewall/iptables_save_parser.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/postfix_config.h"

namespace mailflow {

namespace firewall_collector_internal {

using firewall::CommandResult;
using nlohmann::json;

namespace {

constexpr const char* kCapHint =
    "grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN and "
    "CapabilityBoundingSet=CAP_NET_ADMIN in the unit); nothing else needs "
    "root";

// A global-scope IPv6 address on an interface other than lo.
bool HasGlobalIPv6(const std::string& proc) {
  std::string text;
  std::string err;
  if (!ReadWholeFile(proc + "/net/if_inet6", &text, &err)) return false;
  std::istringstream in(text);
  std::string addr, idx, plen, scope, flags, dev;
  while (in >> addr >> idx >> plen >> scope >> flags >> dev) {
    if (dev != "lo" && scope == "00") return true;
  }
  return false;
}

std::string FirstLine(std::string s) {
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  if (s.size() > 300) s.resize(300);
  return s;
}

// Runs a *-save/nft command; on failure sets *err.
bool RunTool(const std::vector<std::string>& argv, Deadline deadline,
             std::string* out, std::string* err) {
  CommandResult r = firewall::RunCommand(argv, deadline);
  if (!r.started) {
    *err = argv[0] + ": cannot run: " + r.spawn_error;
    return false;
  }
  if (r.timed_out) {
    *err = argv[0] + ": killed at the scrape deadline";
    return false;
  }
  if (r.truncated) {
    *err = argv[0] + ": output too large";
    return false;
  }
  if (r.exit_code != 0) {
    std::string e = FirstLine(r.err);
    *err = argv[0] + ": exit status " + std::to_string(r.exit_code) +
           (r.signal ? " (signal " + std::to_string(r.signal) + ")" : "") +
           (e.empty() ? "" : ": " + e);
    if (e.find("Operation not permitted") != std::string::npos ||
        e.find("Permission denied") != std::string::npos) {
      *err += "; " + std::string(kCapHint);
    }
    return false;
  }
  *out = std::move(r.out);
  return true;
}

}  // namespace

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string ReadOrEmpty(const std::string& path) {
  std::string s, err;
  if (!ReadWholeFile(path, &s, &err, 4 << 20)) s.clear();
  return s;
}

Status FirewallCollector::Collect(Deadline scrape_deadline,
                                  std::vector<prometheus::MetricFamily>* out) {
  Deadline deadline = scrape_deadline.Min(Deadline::After(o_.command_timeout));
  std::set<int> served;
  std::set<int> ports = WatchedPorts(&served);
  const bool ipv6 =
      o_.ipv6 == "true" || (o_.ipv6 == "auto" && HasGlobalIPv6(o_.proc));
  std::vector<std::string> errors;

  // --- nftables (also iptables-nft, ufw and firewalld on Debian 12) ---
  BackendResult nft;
  std::vector<std::string> nft_tables;
  nft.present = Exists(o_.nft);
  if (nft.present) {
    std::string text, err;
    NftEvaluator ev;
    if (!RunTool({o_.nft, "-j", "list", "ruleset"}, deadline, &text, &err)) {
      errors.push_back("cannot read the nftables ruleset: " + err);
    } else if (!LoadNft(text, deadline, &ev, &err)) {
      errors.push_back("cannot evaluate the nftables ruleset: " + err);
    } else {
      nft.readable = true;
      nft.evaluated = true;
      nft.rules = ev.rule_count();
      nft.enabled = ev.base_chain_count() > 0;
      nft_tables = ev.tables();
      for (int p : ports) nft.verdicts[p] = ev.EvaluatePort(p, ipv6);
    }
  }

  // --- iptables-legacy: tables exist only when the x_tables of this
  //     network namespace were instantiated ---
  BackendResult legacy;
  {
    json objects = json::array();
    std::string err;
    bool any = false, ok = true;
    struct Fam {
      const char* names;
      const std::string* tool;
      const char* family;
    } fams[] = {{"/net/ip_tables_names", &o_.iptables_legacy_save, "ip"},
                {"/net/ip6_tables_names", &o_.ip6tables_legacy_save, "ip6"}};
    for (const auto& f : fams) {
      std::string names;
      if (!ReadWholeFile(o_.proc + f.names, &names, &err) || names.empty()) {
        continue;
      }
      if (!Exists(*f.tool)) continue;
      std::string text;
      if (!RunTool({*f.tool}, deadline, &text, &err)) {
        errors.push_back("cannot read iptables-legacy rules: " + err);
        ok = false;
        continue;
      }
      if (!firewall::IptablesSaveHasFiltering(text)) continue;
      any = true;
      if (!firewall::IptablesSaveToNft(text, f.family, &objects, nullptr,
                                       &err)) {
        errors.push_back(*f.tool + ": " + err);
        ok = false;
      }
    }
    legacy.present = any;
    legacy.enabled = any;
    if (any && ok) {
      NftEvaluator ev;
      if (ev.LoadDocument(json{{"nftables", objects}}, &err)) {
        legacy.readable = legacy.evaluated = true;
        legacy.rules = ev.rule_count();
        for (int p : ports) legacy.verdicts[p] = ev.EvaluatePort(p, ipv6);
      } else {
        errors.push_back("iptables-legacy: " + err);
      }
    }
  }

  // --- ufw's and firewalld's own configuration ---
  BackendResult ufw, firewalld;
  CollectUfw(ports, &ufw);
  CollectFirewalld(ports, nft_tables, nft.readable, &firewalld);

  EmitMetrics(ports, nft, legacy, ufw, firewalld, out);
  LogVerdicts("nftables", nft);
  LogVerdicts("iptables_legacy", legacy);

  std::string joined;
  for (const auto& e : errors) joined += (joined.empty() ? "" : "; ") + e;
  seen_ =
      FirewallFacts{std::move(ports),  std::move(served), std::move(nft),
                    std::move(legacy), std::move(ufw),    std::move(firewalld),
                    std::move(errors)};
  LogOnChange(LogLevel::kWarn, "firewall", "firewall/errors", joined,
              "the firewall ruleset is readable again");
  if (!joined.empty()) return Status::Error(joined);
  return Status::OK();
}

std::set<int> FirewallCollector::WatchedPorts(std::set<int>* served) const {
  std::set<int> ports;
  for (int64_t p : o_.ports) ports.insert(static_cast<int>(p));
  std::string err;
  auto snapshot = snapshots_->Get(o_.postfix_config_directory, &err);
  if (snapshot) {
    for (const auto& s : snapshot->inet_services) {
      if (s.enabled && s.port > 0) ports.insert(s.port);
    }
  }
  // Bounded: a pathological master.cf cannot explode the series count.
  while (ports.size() > 32) ports.erase(std::prev(ports.end()));
  served->clear();
  for (int p : ports) {
    bool used = !snapshot;
    for (const auto& s :
         snapshot ? snapshot->inet_services : std::vector<InetService>()) {
      used = used || (s.enabled && s.port == p);
    }
    if (used) served->insert(p);
  }
  return ports;
}

bool FirewallCollector::LoadNft(const std::string& text, Deadline deadline,
                                NftEvaluator* ev, std::string* err) {
  if (!ev->Load(text, err)) return false;
  struct Fam {
    const char* family;
    const std::string* tool;
  } fams[] = {{"ip", &o_.iptables_nft_save}, {"ip6", &o_.ip6tables_nft_save}};
  bool need = false;
  for (const auto& f : fams) need = need || ev->HasXt(f.family);
  if (!need) return true;
  json doc = json::parse(text, nullptr, false);
  for (const auto& f : fams) {
    if (!ev->HasXt(f.family) || !Exists(*f.tool)) continue;
    std::string save, e;
    if (!RunTool({*f.tool}, deadline, &save, &e)) {
      // Keep the opaque expressions: they evaluate as conditional.
      LogOnChange(LogLevel::kWarn, "firewall",
                  std::string("firewall/xt-") + f.family, e);
      continue;
    }
    if (!firewall::ReplaceTablesWithSave(&doc, f.family, save, &e)) {
      LogOnChange(LogLevel::kWarn, "firewall",
                  std::string("firewall/xt-") + f.family, *f.tool + ": " + e);
      continue;
    }
    LogOnChange(LogLevel::kWarn, "firewall",
                std::string("firewall/xt-") + f.family, "");
  }
  return ev->LoadDocument(doc, err);
}

}  // namespace firewall_collector_internal

using firewall_collector_internal::FirewallCollector;
using firewall_collector_internal::FirewallOptions;

void RegisterFirewallCollector(CollectorRegistry* registry) {
  registry->Add(
      {"firewall", true,
       "Verdict of the host firewall (nftables, iptables-legacy; ufw and "
       "firewalld configuration) for inbound connections to SMTP ports. "
       "Needs CAP_NET_ADMIN.",
       [](const Config& config, ConfigMap options,
          const CollectorContext& context,
          std::string* err) -> std::unique_ptr<Collector> {
         FirewallOptions o;
         o.ports = config.smtp_ports;
         o.proc = config.paths.proc;
         o.postfix_config_directory = config.paths.postfix_config_directory;
         if (!options.GetString("nft_path", &o.nft, err) ||
             !options.GetString("iptables_nft_save_path", &o.iptables_nft_save,
                                err) ||
             !options.GetString("ip6tables_nft_save_path",
                                &o.ip6tables_nft_save, err) ||
             !options.GetString("iptables_legacy_save_path",
                                &o.iptables_legacy_save, err) ||
             !options.GetString("ip6tables_legacy_save_path",
                                &o.ip6tables_legacy_save, err) ||
             !options.GetString("ipv6", &o.ipv6, err) ||
             !options.GetString("ufw_directory", &o.ufw_directory, err) ||
             !options.GetString("ufw_defaults_file", &o.ufw_defaults_file,
                                err) ||
             !options.GetString("firewalld_directory", &o.firewalld_directory,
                                err) ||
             !options.GetString("firewalld_lib_directory",
                                &o.firewalld_lib_directory, err) ||
             !options.GetDuration("command_timeout", &o.command_timeout, err)) {
           return nullptr;
         }
         if (o.ipv6 != "auto" && o.ipv6 != "true" && o.ipv6 != "false") {
           *err = options.Where("ipv6") +
                  ": ipv6 must be auto, true or false, got \"" + o.ipv6 + "\"";
           return nullptr;
         }
         for (const std::string* p :
              {&o.nft, &o.iptables_nft_save, &o.ip6tables_nft_save,
               &o.iptables_legacy_save, &o.ip6tables_legacy_save}) {
           if (p->empty() || (*p)[0] != '/') {
             *err = options.Where() +
                    ": firewall tool paths must be absolute, got \"" + *p +
                    "\"";
             return nullptr;
           }
         }
         if (!options.Finish(err)) return nullptr;
         return std::make_unique<FirewallCollector>(std::move(o),
                                                    context.postfix);
       }});
}

}  // namespace mailflow
