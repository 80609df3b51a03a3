// The kernel's rulesets for the `firewall` collector: nftables (with
// iptables-nft's tables re-read from iptables-nft-save) and iptables-legacy,
// read and evaluated only when a change signal moved (the nftables
// generation id, the x_tables fingerprint), the watched ports or the
// address families changed, or ruleset_max_age passed.
#include "collectors/firewall/kernel_rulesets.h"

#include "collectors/firewall/firewall_files.h"
#include "lib/base/log.h"
#include "lib/base/subprocess.h"
#include "lib/firewall/iptables_save_parser.h"
#include "lib/firewall/ruleset_generation.h"

namespace mailflow::firewall_collector {

using firewall::CommandResult;
using firewall::NftEvaluator;
using nlohmann::json;

namespace {

constexpr const char* kCapHint =
    "grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN and "
    "CapabilityBoundingSet=CAP_NET_ADMIN in the unit; container: "
    "--cap-add=NET_ADMIN); nothing else needs root";

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

KernelSignals KernelRulesets::ReadSignals(bool nft_present) const {
  KernelSignals s;
  std::string err;
  s.known =
      (!nft_present || firewall::ReadNftGeneration(&s.nft_generation, &err)) &&
      firewall::ReadXtablesFingerprint(options_.proc, &s.xtables, &err);
  LogOnChange(LogLevel::kInfo, "firewall", "firewall/change-signal",
              s.known ? ""
                      : "cannot watch the ruleset for changes, it is read "
                        "every scrape: " +
                            err,
              "the ruleset is watched for changes again");
  return s;
}

const KernelView& KernelRulesets::Read(const std::set<int>& ports, bool ipv6,
                                       Deadline deadline) {
  const bool nft_present = Exists(options_.nft);
  // Read before the rulesets: a change during the read shows next time.
  const KernelSignals signals = ReadSignals(nft_present);
  const auto now = Deadline::Clock::now();
  if (view_.reusable && options_.ruleset_max_age.count() > 0 &&
      signals == view_.signals && ports == view_.ports && ipv6 == view_.ipv6 &&
      view_.nft.present == nft_present &&
      now - view_.read_at < options_.ruleset_max_age) {
    return view_;
  }
  KernelView v;
  v.signals = signals;
  v.ports = ports;
  v.ipv6 = ipv6;
  v.read_at = now;
  v.nft.present = nft_present;
  if (nft_present) ReadNft(deadline, &v);
  ReadLegacy(deadline, &v);
  v.reusable = signals.known && v.errors.empty();
  view_ = std::move(v);
  return view_;
}

void KernelRulesets::ReadNft(Deadline deadline, KernelView* v) {
  ++nft_reads_;
  std::string text, err;
  NftEvaluator ev;
  if (!RunTool({options_.nft, "-j", "list", "ruleset"}, deadline, &text,
               &err)) {
    v->errors.push_back("cannot read the nftables ruleset: " + err);
  } else if (!LoadNft(text, deadline, &ev, &err)) {
    v->errors.push_back("cannot evaluate the nftables ruleset: " + err);
  } else {
    FirewallBackend& nft = v->nft;
    nft.readable = true;
    nft.evaluated = true;
    nft.rules = ev.rule_count();
    nft.enabled = ev.base_chain_count() > 0;
    v->nft_tables = ev.tables();
    for (int p : v->ports) nft.verdicts[p] = ev.EvaluatePort(p, v->ipv6);
  }
}

// Legacy tables exist only when the x_tables of this network namespace were
// instantiated.
void KernelRulesets::ReadLegacy(Deadline deadline, KernelView* v) {
  json objects = json::array();
  std::string err;
  bool any = false, ok = true;
  struct Fam {
    const char* names;
    const std::string* tool;
    const char* family;
  } fams[] = {
      {"/net/ip_tables_names", &options_.iptables_legacy_save, "ip"},
      {"/net/ip6_tables_names", &options_.ip6tables_legacy_save, "ip6"}};
  for (const auto& f : fams) {
    std::string names;
    if (!ReadWholeFile(options_.proc + f.names, &names, &err) ||
        names.empty()) {
      continue;
    }
    if (!Exists(*f.tool)) continue;
    std::string text;
    ++legacy_reads_;
    if (!RunTool({*f.tool}, deadline, &text, &err)) {
      v->errors.push_back("cannot read iptables-legacy rules: " + err);
      ok = false;
      continue;
    }
    if (!firewall::IptablesSaveHasFiltering(text)) continue;
    any = true;
    if (!firewall::IptablesSaveToNft(text, f.family, &objects, nullptr, &err)) {
      v->errors.push_back(*f.tool + ": " + err);
      ok = false;
    }
  }
  FirewallBackend& legacy = v->legacy;
  legacy.present = any;
  legacy.enabled = any;
  if (!any || !ok) return;
  NftEvaluator ev;
  if (ev.LoadDocument(json{{"nftables", objects}}, &err)) {
    legacy.readable = legacy.evaluated = true;
    legacy.rules = ev.rule_count();
    for (int p : v->ports) legacy.verdicts[p] = ev.EvaluatePort(p, v->ipv6);
  } else {
    v->errors.push_back("iptables-legacy: " + err);
  }
}

bool KernelRulesets::LoadNft(const std::string& text, Deadline deadline,
                             NftEvaluator* ev, std::string* err) {
  if (!ev->Load(text, err)) return false;
  struct Fam {
    const char* family;
    const std::string* tool;
  } fams[] = {{"ip", &options_.iptables_nft_save},
              {"ip6", &options_.ip6tables_nft_save}};
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

}  // namespace mailflow::firewall_collector
