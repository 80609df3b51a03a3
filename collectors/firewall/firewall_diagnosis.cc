#include "collectors/firewall/firewall_diagnosis.h"

namespace mailflow {

namespace {

using firewall::Outcome;
using firewall::Verdict;
using S = CheckStatus;

// "inet filter input handle 7" / "policy of inet filter input" -> the
// chain "inet filter input"; "" when `where` names no chain.
std::string ChainOf(const std::string& where) {
  std::string w = where;
  if (w.starts_with("policy of ")) w = w.substr(10);
  const size_t handle = w.find(" handle ");
  if (handle != std::string::npos) w.resize(handle);
  const size_t paren = w.find(" (");
  if (paren != std::string::npos) w.resize(paren);
  int words = 0;
  for (char c : w) words += c == ' ';
  return words == 2 ? w : "";
}

const char* FirewalldService(int port) {
  switch (port) {
    case 25:
      return "smtp";
    case 587:
      return "smtp-submission";
    case 465:
      return "smtps";
  }
  return nullptr;
}

// The fix in the tool that owns the ruleset: a manager when one is on (its
// next reload would undo a hand-made rule), else the backend itself.
Finding WithFix(Finding x, const FirewallFacts& f, const std::string& backend,
                const Outcome& o, int port) {
  const std::string p = std::to_string(port);
  if (f.ufw.enabled) {
    return std::move(x).Fix("ufw allow " + p + "/tcp",
                            "ufw applies it at once (both IPv4 and IPv6)");
  }
  if (f.firewalld.enabled) {
    const char* svc = FirewalldService(port);
    return std::move(x).Fix(std::string("firewall-cmd --permanent ") +
                                (svc ? std::string("--add-service=") + svc
                                     : "--add-port=" + p + "/tcp"),
                            "firewall-cmd --reload");
  }
  if (backend == "iptables_legacy") {
    return std::move(x).Fix(
        "iptables-legacy -I INPUT -p tcp --dport " + p + " -j ACCEPT",
        "save it where the rules come from (iptables-save > "
        "/etc/iptables/rules.v4), or it is lost at reboot");
  }
  const std::string chain = ChainOf(o.where);
  return std::move(x).Fix(
      chain.empty()
          ? "accept tcp dport " + p + " before the rule that drops it"
          : "nft insert rule " + chain + " tcp dport " + p + " accept",
      "add the same rule to /etc/nftables.conf (or the tool that writes the "
      "ruleset), or it is lost at reboot");
}

Evidence Decided(const std::string& backend, const Outcome& o) {
  std::string text = o.rule;
  if (text.empty()) {
    text = o.where.starts_with("policy of ")
               ? "policy " + std::string(firewall::VerdictName(o.verdict))
               : std::string(firewall::VerdictName(o.verdict));
  }
  return {text,
          backend + ": " + (o.where.empty() ? "end of ruleset" : o.where)};
}

void Port(const FirewallFacts& f, const std::string& backend,
          const FirewallBackend& b, int port, std::vector<Finding>* out) {
  auto it = b.verdicts.find(port);
  if (it == b.verdicts.end()) return;
  const Outcome& o = it->second;
  const std::string p = std::to_string(port);
  const bool served = f.served.count(port) > 0;
  Finding x;
  switch (o.verdict) {
    case Verdict::kAccept:
      x = Finding(Step::kFirewall, S::kOk,
                  "new connections from other hosts are accepted");
      x.evidence.push_back(
          {"no rule drops or rejects them",
           backend + ": " + std::to_string(b.rules) + " rules"});
      break;
    case Verdict::kDrop:
    case Verdict::kReject: {
      const bool drop = o.verdict == Verdict::kDrop;
      const std::string what =
          drop ? "new connections are dropped: senders time out and queue "
                 "the mail"
               : "new connections are rejected: senders get \"Connection "
                 "refused\" or \"No route to host\"";
      x = Finding(Step::kFirewall, served ? S::kFail : S::kOk,
                  served ? what
                         : what +
                               " (no enabled Postfix service uses this "
                               "port)");
      x.evidence.push_back(Decided(backend, o));
      if (served) {
        x = WithFix(std::move(x), f, backend, o, port);
        x.runbook = "SMTPPortBlockedByFirewall";
      }
      break;
    }
    case Verdict::kConditional:
      x = Finding(Step::kFirewall, S::kOk,
                  "whether a connection is accepted depends on the client (" +
                      std::string(firewall::ReasonName(o.reason)) + ")");
      x.evidence.push_back(Decided(backend, o));
      x.runbook = "SMTPPortConditional";
      break;
  }
  x.subject = "port " + p;
  for (const auto* m : {&f.ufw, &f.firewalld}) {
    auto mv = m->verdicts.find(port);
    if (!m->evaluated || mv == m->verdicts.end()) continue;
    x.evidence.push_back(
        {std::string(firewall::VerdictName(mv->second.verdict)),
         std::string(m == &f.ufw ? "ufw" : "firewalld") +
             " configuration: " + mv->second.where});
  }
  if (backend != "nftables") x.subject += " (" + backend + ")";
  out->push_back(std::move(x));
}

}  // namespace

void FirewallFindings(const FirewallFacts& f, std::vector<Finding>* out) {
  for (const std::string& e : f.errors) {
    out->push_back(Finding::Unchecked(Step::kFirewall, e));
  }
  const bool kernel = f.nftables.evaluated || f.iptables_legacy.evaluated;
  if (!kernel && f.errors.empty()) {
    out->push_back(Finding(Step::kFirewall, S::kOk,
                           "no firewall ruleset filters incoming "
                           "connections")
                       .With(f.nftables.present ? "no input base chain"
                                                : "nft is not installed",
                             "nftables"));
    return;
  }
  for (int port : f.ports) {
    if (f.nftables.evaluated) Port(f, "nftables", f.nftables, port, out);
    if (f.iptables_legacy.evaluated) {
      Port(f, "iptables_legacy", f.iptables_legacy, port, out);
    }
  }
}

}  // namespace mailflow
