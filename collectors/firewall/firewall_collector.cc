#include "collectors/firewall/firewall_collector.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "collectors/common/log.h"
#include "collectors/common/metrics.h"
#include "collectors/firewall/iptables_save_parser.h"
#include "collectors/firewall/manager_config.h"
#include "collectors/firewall/nft_evaluator.h"
#include "collectors/firewall/subprocess.h"
#include "collectors/postfix/inet_services.h"
#include "collectors/postfix/postfix_config.h"

namespace mailflow {

namespace {

using firewall::CommandResult;
using firewall::NftEvaluator;
using firewall::Outcome;
using firewall::Reason;
using firewall::Verdict;
using nlohmann::json;

struct FirewallOptions {
  std::vector<int64_t> ports;
  std::string proc;
  std::string postfix_config_directory;
  std::string nft = "/usr/sbin/nft";
  std::string iptables_nft_save = "/usr/sbin/iptables-nft-save";
  std::string ip6tables_nft_save = "/usr/sbin/ip6tables-nft-save";
  std::string iptables_legacy_save = "/usr/sbin/iptables-legacy-save";
  std::string ip6tables_legacy_save = "/usr/sbin/ip6tables-legacy-save";
  std::string ipv6 = "auto";  // auto, true, false
  std::string ufw_directory = "/etc/ufw";
  std::string ufw_defaults_file = "/etc/default/ufw";
  std::string firewalld_directory = "/etc/firewalld";
  std::string firewalld_lib_directory = "/usr/lib/firewalld";
  std::chrono::milliseconds command_timeout{5000};
};

constexpr const char* kCapHint =
    "grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN and "
    "CapabilityBoundingSet=CAP_NET_ADMIN in the unit); nothing else needs "
    "root";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

bool ReadFile(const std::string& path, std::string* out, size_t max = 4 << 20) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  if (out->size() > max) out->resize(max);
  return true;
}

std::string ReadOrEmpty(const std::string& path) {
  std::string s;
  ReadFile(path, &s);
  return s;
}

std::vector<std::string> ListXml(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 4 && n.ends_with(".xml")) names.push_back(n.substr(0, n.size() - 4));
    if (names.size() > 1000) break;
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// A global-scope IPv6 address on an interface other than lo.
bool HasGlobalIPv6(const std::string& proc) {
  std::string text;
  if (!ReadFile(proc + "/net/if_inet6", &text)) return false;
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

struct BackendResult {
  bool present = false;
  bool enabled = false;
  bool readable = false;
  size_t rules = 0;
  bool evaluated = false;
  std::map<int, Outcome> verdicts;
};

class FirewallCollector : public Collector {
 public:
  explicit FirewallCollector(FirewallOptions o) : o_(std::move(o)) {}
  std::string_view Name() const override { return "firewall"; }

  Status Collect(Deadline scrape_deadline,
                 std::vector<prometheus::MetricFamily>* out) override {
    Deadline deadline =
        scrape_deadline.Min(Deadline::After(o_.command_timeout));
    std::set<int> ports = WatchedPorts();
    const bool ipv6 = o_.ipv6 == "true" ||
                      (o_.ipv6 == "auto" && HasGlobalIPv6(o_.proc));
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
        if (!ReadFile(o_.proc + f.names, &names) || names.empty()) continue;
        if (!Exists(*f.tool)) continue;
        std::string text;
        if (!RunTool({*f.tool}, deadline, &text, &err)) {
          errors.push_back("cannot read iptables-legacy rules: " + err);
          ok = false;
          continue;
        }
        if (!firewall::IptablesSaveHasFiltering(text)) continue;
        any = true;
        if (!firewall::IptablesSaveToNft(text, f.family, &objects, nullptr, &err)) {
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
    LogOnChange(LogLevel::kWarn, "firewall", "firewall/errors", joined,
                "the firewall ruleset is readable again");
    if (!joined.empty()) return Status::Error(joined);
    return Status::OK();
  }

 private:
  std::set<int> WatchedPorts() const {
    std::set<int> ports;
    for (int64_t p : o_.ports) ports.insert(static_cast<int>(p));
    PostfixConfig pf;
    std::string err;
    if (LoadPostfixConfig(o_.postfix_config_directory, &pf, &err)) {
      for (const auto& s : InetServices(pf)) {
        if (s.enabled && s.port > 0) ports.insert(s.port);
      }
    }
    // Bounded: a pathological master.cf cannot explode the series count.
    while (ports.size() > 32) ports.erase(std::prev(ports.end()));
    return ports;
  }

  // Parses nft JSON; when rules of the ip/ip6 families carry opaque xt
  // expressions (iptables-nft), replaces the tables iptables-nft-save
  // prints with their translation of its text form.
  bool LoadNft(const std::string& text, Deadline deadline, NftEvaluator* ev,
               std::string* err) {
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

  void CollectUfw(const std::set<int>& ports, BackendResult* r) const {
    std::string conf;
    if (!ReadFile(o_.ufw_directory + "/ufw.conf", &conf)) return;
    r->present = true;
    firewall::UfwConfig c;
    firewall::ParseUfwConfig(conf, ReadOrEmpty(o_.ufw_defaults_file),
                             ReadOrEmpty(o_.ufw_directory + "/user.rules"),
                             ReadOrEmpty(o_.ufw_directory + "/user6.rules"), &c);
    r->enabled = c.enabled;
    r->rules = c.rules.size();
    // A disabled ufw decides nothing: no verdict series.
    r->evaluated = c.enabled;
    for (int p : ports) r->verdicts[p] = firewall::UfwVerdict(c, p);
  }

  void CollectFirewalld(const std::set<int>& ports,
                        const std::vector<std::string>& nft_tables,
                        bool nft_readable, BackendResult* r) const {
    const std::string etc = o_.firewalld_directory;
    const std::string lib = o_.firewalld_lib_directory;
    if (!Exists(etc + "/firewalld.conf") && !Exists(lib + "/zones")) return;
    r->present = true;
    // firewalld runs when its table is in the kernel (no D-Bus query).
    r->enabled = nft_readable &&
                 std::find(nft_tables.begin(), nft_tables.end(),
                           "inet firewalld") != nft_tables.end();
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> svc;
    for (const std::string& dir : {lib + "/services", etc + "/services"}) {
      for (const auto& name : ListXml(dir)) {
        std::vector<std::pair<std::string, std::string>> p;
        if (firewall::ParseFirewalldService(ReadOrEmpty(dir + "/" + name + ".xml"), &p)) {
          svc[name] = std::move(p);  // /etc overrides /usr/lib
        }
      }
    }
    std::map<std::string, firewall::FirewalldZone> zones;
    for (const std::string& dir : {lib + "/zones", etc + "/zones"}) {
      for (const auto& name : ListXml(dir)) {
        firewall::FirewalldZone z;
        if (firewall::ParseFirewalldZone(ReadOrEmpty(dir + "/" + name + ".xml"), &z)) {
          zones[name] = std::move(z);
        }
      }
    }
    std::string def =
        firewall::FirewalldDefaultZone(ReadOrEmpty(etc + "/firewalld.conf"));
    auto it = zones.find(def);
    // A stopped firewalld decides nothing: no verdict series.
    if (it == zones.end() || !r->enabled) return;
    r->evaluated = true;
    r->rules = zones.size();
    for (int p : ports) {
      Outcome o = firewall::FirewalldZoneVerdict(it->second, p, svc);
      o.where = "zone " + def + ": " + o.where;
      // Interfaces or sources bound to another zone that decides otherwise.
      for (const auto& [name, z] : zones) {
        if (name == def || !z.has_bindings) continue;
        Outcome other = firewall::FirewalldZoneVerdict(z, p, svc);
        if (other.verdict != o.verdict) {
          o = Outcome{Verdict::kConditional, Reason::kInterface,
                      "zones " + def + " and " + name + " differ"};
          break;
        }
      }
      r->verdicts[p] = o;
    }
  }

  static void AddVerdicts(FamilyBuilder* f, FamilyBuilder* reason,
                          const std::string& backend, const BackendResult& b) {
    if (!b.evaluated) return;
    for (const auto& [port, o] : b.verdicts) {
      const std::string ps = std::to_string(port);
      for (Verdict v : firewall::kAllVerdicts) {
        f->Add({{"backend", backend},
                {"port", ps},
                {"verdict", std::string(firewall::VerdictName(v))}},
               o.verdict == v);
      }
      if (o.verdict == Verdict::kConditional) {
        reason->Add({{"backend", backend},
                     {"port", ps},
                     {"reason", std::string(firewall::ReasonName(o.reason))}},
                    1);
      }
    }
  }

  void EmitMetrics(const std::set<int>& ports, const BackendResult& nft,
                   const BackendResult& legacy, const BackendResult& ufw,
                   const BackendResult& firewalld,
                   std::vector<prometheus::MetricFamily>* out) const {
    (void)ports;
    const std::pair<const char*, const BackendResult*> all[] = {
        {"nftables", &nft},
        {"iptables_legacy", &legacy},
        {"ufw", &ufw},
        {"firewalld", &firewalld}};
    {
      FamilyBuilder f(out, "mailflow_firewall_inbound_verdict",
                      "Verdict of the kernel's ruleset for a new inbound TCP "
                      "connection from an outside address to the port, per "
                      "backend (nftables covers iptables-nft, ufw and "
                      "firewalld); one series per verdict, 1 for the current.",
                      prometheus::MetricType::Gauge);
      FamilyBuilder r(out, "mailflow_firewall_inbound_conditional_reason",
                      "Why the kernel verdict of the port is conditional "
                      "(source_address, destination_address, interface, "
                      "rate_limit, address_family, unsupported); present only "
                      "when conditional.",
                      prometheus::MetricType::Gauge);
      AddVerdicts(&f, &r, "nftables", nft);
      AddVerdicts(&f, &r, "iptables_legacy", legacy);
    }
    {
      FamilyBuilder f(out, "mailflow_firewall_manager_verdict",
                      "What the saved configuration of a firewall manager "
                      "(ufw, firewalld) says about inbound TCP to the port; "
                      "the kernel verdict stays the ground truth.",
                      prometheus::MetricType::Gauge);
      FamilyBuilder r(out, "mailflow_firewall_manager_conditional_reason",
                      "Why the manager's verdict is conditional; present "
                      "only when conditional.",
                      prometheus::MetricType::Gauge);
      AddVerdicts(&f, &r, "ufw", ufw);
      AddVerdicts(&f, &r, "firewalld", firewalld);
    }
    FamilyBuilder present(out, "mailflow_firewall_backend_present",
                          "Whether the firewall backend is installed "
                          "(nftables: the nft tool; iptables_legacy: legacy "
                          "tables with rules or a non-ACCEPT policy; ufw, "
                          "firewalld: their configuration).",
                          prometheus::MetricType::Gauge);
    FamilyBuilder enabled(out, "mailflow_firewall_backend_enabled",
                          "Whether the backend filters: nftables has input "
                          "base chains, ufw.conf says ENABLED=yes, firewalld's "
                          "table is in the kernel.",
                          prometheus::MetricType::Gauge);
    FamilyBuilder readable(out, "mailflow_firewall_ruleset_readable",
                           "Whether the ruleset of the kernel backend could be "
                           "read (0 without CAP_NET_ADMIN).",
                           prometheus::MetricType::Gauge);
    FamilyBuilder rules(out, "mailflow_firewall_ruleset_rules",
                        "Rules in the backend's ruleset (ufw: its user rules; "
                        "firewalld: its zones).",
                        prometheus::MetricType::Gauge);
    for (const auto& [name, b] : all) {
      present.Add({{"backend", name}}, b->present);
      enabled.Add({{"backend", name}}, b->enabled);
      if (b == &nft || (b == &legacy && legacy.present)) {
        readable.Add({{"backend", name}}, b->readable);
      }
      if (b->evaluated) rules.Add({{"backend", name}}, static_cast<double>(b->rules));
    }
  }

  static void LogVerdicts(const std::string& backend, const BackendResult& b) {
    for (const auto& [port, o] : b.verdicts) {
      std::string msg = "port " + std::to_string(port) + " " + backend + ": " +
                        std::string(firewall::VerdictName(o.verdict));
      if (o.verdict == Verdict::kConditional) {
        msg += " (" + std::string(firewall::ReasonName(o.reason)) + ")";
      }
      msg += " at " + o.where;
      LogOnChange(LogLevel::kInfo, "firewall",
                  "firewall/verdict/" + backend + "/" + std::to_string(port), msg);
    }
  }

  FirewallOptions o_;
};

}  // namespace

void RegisterFirewallCollector(CollectorRegistry* registry) {
  registry->Add(
      {"firewall", true,
       "Verdict of the host firewall (nftables, iptables-legacy; ufw and "
       "firewalld configuration) for inbound connections to SMTP ports. "
       "Needs CAP_NET_ADMIN.",
       [](const Config& config, ConfigMap options, const CollectorContext&,
          std::string* err) -> std::unique_ptr<Collector> {
         FirewallOptions o;
         o.ports = config.smtp_ports;
         o.proc = config.paths.proc;
         o.postfix_config_directory = config.paths.postfix_config_directory;
         if (!options.GetString("nft_path", &o.nft, err) ||
             !options.GetString("iptables_nft_save_path", &o.iptables_nft_save, err) ||
             !options.GetString("ip6tables_nft_save_path", &o.ip6tables_nft_save, err) ||
             !options.GetString("iptables_legacy_save_path", &o.iptables_legacy_save, err) ||
             !options.GetString("ip6tables_legacy_save_path", &o.ip6tables_legacy_save, err) ||
             !options.GetString("ipv6", &o.ipv6, err) ||
             !options.GetString("ufw_directory", &o.ufw_directory, err) ||
             !options.GetString("ufw_defaults_file", &o.ufw_defaults_file, err) ||
             !options.GetString("firewalld_directory", &o.firewalld_directory, err) ||
             !options.GetString("firewalld_lib_directory", &o.firewalld_lib_directory, err) ||
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
                    ": firewall tool paths must be absolute, got \"" + *p + "\"";
             return nullptr;
           }
         }
         if (!options.Finish(err)) return nullptr;
         return std::make_unique<FirewallCollector>(std::move(o));
       }});
}

}  // namespace mailflow
