#include "lib/firewall/manager_config.h"

#include <cctype>
#include <sstream>

#include "lib/base/ascii_lower.h"
#include "lib/base/parse_int.h"

namespace mailflow::firewall {

namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = text.substr(start, nl - start);
    while (!l.empty() &&
           (l.back() == '\r' || l.back() == ' ' || l.back() == '\t')) {
      l.remove_suffix(1);
    }
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t'))
      l.remove_prefix(1);
    out.push_back(l);
    start = nl + 1;
  }
  return out;
}

// KEY=value or KEY="value" from a shell-style file; "" when absent.
std::string ShellValue(std::string_view text, std::string_view key) {
  std::string found;
  for (auto l : Lines(text)) {
    if (l.size() <= key.size() || l.substr(0, key.size()) != key ||
        l[key.size()] != '=') {
      continue;
    }
    std::string v(l.substr(key.size() + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') &&
        v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    found = v;  // the last assignment wins, as in the shell
  }
  return found;
}

// 1 to 5 decimal digits.
bool ToInt(std::string_view s, int* out) {
  return s.size() <= 5 && IsDigits(s) && ParseInt(s, 0, 99999, out);
}

bool IsAnyAddress(const std::string& a) {
  return a == "0.0.0.0/0" || a == "::/0" || a == "any";
}

Outcome Make(Verdict v, Reason r, std::string where) {
  Outcome o;
  o.verdict = v;
  o.reason = v == Verdict::kConditional ? r : Reason::kNone;
  o.where = std::move(where);
  return o;
}

// ---- a tiny XML tag scanner (firewalld's files are flat and simple) ----
struct Tag {
  std::string name;  // without '/', e.g. "zone", "port"
  bool closing = false;
  bool self_closing = false;
  std::map<std::string, std::string> attrs;
};

std::vector<Tag> ScanTags(std::string_view xml) {
  std::vector<Tag> tags;
  size_t i = 0;
  while ((i = xml.find('<', i)) != std::string_view::npos) {
    if (xml.substr(i, 4) == "<!--") {
      size_t e = xml.find("-->", i);
      if (e == std::string_view::npos) break;
      i = e + 3;
      continue;
    }
    size_t e = xml.find('>', i);
    if (e == std::string_view::npos) break;
    std::string_view body = xml.substr(i + 1, e - i - 1);
    i = e + 1;
    if (body.empty() || body[0] == '?' || body[0] == '!') continue;
    Tag t;
    if (body[0] == '/') {
      t.closing = true;
      body.remove_prefix(1);
    }
    if (!body.empty() && body.back() == '/') {
      t.self_closing = true;
      body.remove_suffix(1);
    }
    size_t k = 0;
    while (k < body.size() &&
           !std::isspace(static_cast<unsigned char>(body[k])))
      ++k;
    t.name = std::string(body.substr(0, k));
    while (k < body.size()) {
      while (k < body.size() &&
             std::isspace(static_cast<unsigned char>(body[k])))
        ++k;
      size_t eq = body.find('=', k);
      if (eq == std::string_view::npos) break;
      std::string key(body.substr(k, eq - k));
      while (!key.empty() &&
             std::isspace(static_cast<unsigned char>(key.back()))) {
        key.pop_back();
      }
      size_t q = eq + 1;
      while (q < body.size() &&
             std::isspace(static_cast<unsigned char>(body[q])))
        ++q;
      if (q >= body.size() || (body[q] != '"' && body[q] != '\'')) break;
      char quote = body[q];
      size_t end = body.find(quote, q + 1);
      if (end == std::string_view::npos) break;
      t.attrs[key] = std::string(body.substr(q + 1, end - q - 1));
      k = end + 1;
    }
    tags.push_back(std::move(t));
  }
  return tags;
}

std::string Attr(const Tag& t, const char* k) {
  auto it = t.attrs.find(k);
  return it == t.attrs.end() ? "" : it->second;
}

bool PortsCover(const std::vector<std::pair<std::string, std::string>>& ports,
                int port) {
  for (const auto& [p, proto] : ports) {
    if (proto == "tcp" && PortSpecCovers(p, port)) return true;
  }
  return false;
}

}  // namespace

bool PortSpecCovers(std::string_view spec, int port) {
  if (spec == "any") return true;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t c = spec.find(',', start);
    if (c == std::string_view::npos) c = spec.size();
    std::string_view item = spec.substr(start, c - start);
    size_t sep = item.find_first_of(":-");
    int lo, hi;
    if (sep == std::string_view::npos) {
      if (ToInt(item, &lo) && lo == port) return true;
    } else if (ToInt(item.substr(0, sep), &lo) &&
               ToInt(item.substr(sep + 1), &hi) && port >= lo && port <= hi) {
      return true;
    }
    start = c + 1;
  }
  return false;
}

void ParseUfwConfig(std::string_view ufw_conf, std::string_view default_ufw,
                    std::string_view user_rules, std::string_view user6_rules,
                    UfwConfig* out) {
  *out = UfwConfig();
  out->enabled = AsciiLower(ShellValue(ufw_conf, "ENABLED")) == "yes";
  std::string pol = ShellValue(default_ufw, "DEFAULT_INPUT_POLICY");
  if (pol == "ACCEPT")
    out->default_input = Verdict::kAccept;
  else if (pol == "REJECT")
    out->default_input = Verdict::kReject;
  else
    out->default_input = Verdict::kDrop;
  for (std::string_view text : {user_rules, user6_rules}) {
    for (auto l : Lines(text)) {
      static constexpr std::string_view kTuple = "### tuple ###";
      if (l.substr(0, kTuple.size()) != kTuple) continue;
      std::istringstream in{std::string(l.substr(kTuple.size()))};
      std::vector<std::string> w;
      for (std::string x; in >> x;) w.push_back(x);
      // action proto dport dst sport src [dapp sapp] direction[_iface]
      if (w.size() < 7) continue;
      UfwConfig::Rule r;
      r.action = w[0];
      size_t us = r.action.find('_');  // allow_log, deny_log-all
      if (us != std::string::npos) r.action = r.action.substr(0, us);
      r.proto = w[1];
      r.dports = w[2];
      r.src = w[5];
      const std::string& dir = w.back();
      if (dir.rfind("in", 0) != 0) continue;  // outbound and routed rules
      if (dir.size() > 3 && dir[2] == '_') r.iface = dir.substr(3);
      out->rules.push_back(std::move(r));
    }
  }
}

Outcome UfwVerdict(const UfwConfig& c, int port) {
  for (const auto& r : c.rules) {
    if (r.proto != "tcp" && r.proto != "any") continue;
    if (!PortSpecCovers(r.dports, port)) continue;
    std::string where = "ufw rule " + r.action + " " + r.proto + " " +
                        r.dports + " from " + r.src;
    if (r.action == "allow" && IsAnyAddress(r.src) && r.iface.empty()) {
      return Make(Verdict::kAccept, Reason::kNone, where);
    }
    if (r.action == "allow") {
      // Other rules may still decide for other sources: conditional.
      return Make(Verdict::kConditional,
                  r.iface.empty() ? Reason::kSourceAddress : Reason::kInterface,
                  where);
    }
    if (r.action == "limit") {
      return Make(Verdict::kConditional, Reason::kRateLimit, where);
    }
    if (!IsAnyAddress(r.src) || !r.iface.empty()) {
      return Make(Verdict::kConditional,
                  r.iface.empty() ? Reason::kSourceAddress : Reason::kInterface,
                  where);
    }
    return Make(r.action == "reject" ? Verdict::kReject : Verdict::kDrop,
                Reason::kNone, where);
  }
  return Make(c.default_input, Reason::kNone, "ufw default incoming policy");
}

bool ParseFirewalldZone(std::string_view xml, FirewalldZone* out) {
  *out = FirewalldZone();
  bool saw_zone = false;
  bool in_rule = false;
  FirewalldZone::RichRule rule;
  for (const Tag& t : ScanTags(xml)) {
    if (t.name == "zone" && !t.closing) {
      saw_zone = true;
      out->target = Attr(t, "target");
      if (out->target.empty()) out->target = "default";
      continue;
    }
    if (t.name == "rule") {
      if (t.closing) {
        if (in_rule) out->rules.push_back(rule);
        in_rule = false;
      } else {
        in_rule = !t.self_closing;
        rule = FirewalldZone::RichRule();
      }
      continue;
    }
    if (t.closing) continue;
    if (in_rule) {
      if (t.name == "source") rule.has_source = true;
      if (t.name == "service") rule.services.push_back(Attr(t, "name"));
      if (t.name == "port") {
        rule.ports.push_back({Attr(t, "port"), Attr(t, "protocol")});
      }
      if (t.name == "accept" || t.name == "drop" || t.name == "reject") {
        rule.action = t.name;
      }
      if (t.name == "limit") rule.limited = true;
      continue;
    }
    if (t.name == "service") out->services.push_back(Attr(t, "name"));
    if (t.name == "port") {
      out->ports.push_back({Attr(t, "port"), Attr(t, "protocol")});
    }
    if (t.name == "interface" || t.name == "source") out->has_bindings = true;
  }
  return saw_zone;
}

bool ParseFirewalldService(
    std::string_view xml,
    std::vector<std::pair<std::string, std::string>>* ports) {
  ports->clear();
  bool saw = false;
  for (const Tag& t : ScanTags(xml)) {
    if (t.name == "service" && !t.closing) saw = true;
    if (t.name == "port" && !t.closing) {
      ports->push_back({Attr(t, "port"), Attr(t, "protocol")});
    }
  }
  return saw;
}

std::string FirewalldDefaultZone(std::string_view conf) {
  std::string z = ShellValue(conf, "DefaultZone");
  return z.empty() ? "public" : z;
}

Outcome FirewalldZoneVerdict(
    const FirewalldZone& zone, int port,
    const std::map<std::string,
                   std::vector<std::pair<std::string, std::string>>>&
        service_ports) {
  auto service_covers = [&](const std::string& name) {
    auto it = service_ports.find(name);
    return it != service_ports.end() && PortsCover(it->second, port);
  };
  // Rich rules come first in firewalld's chains (deny before allow within
  // them); a rule limited to sources or rates makes the port conditional.
  for (const auto& r : zone.rules) {
    bool covers = PortsCover(r.ports, port);
    for (const auto& s : r.services) covers = covers || service_covers(s);
    if (!covers || r.action.empty()) continue;
    std::string where = "firewalld rich rule " + r.action;
    if (r.has_source) {
      return Make(Verdict::kConditional, Reason::kSourceAddress, where);
    }
    if (r.limited)
      return Make(Verdict::kConditional, Reason::kRateLimit, where);
    if (r.action == "accept")
      return Make(Verdict::kAccept, Reason::kNone, where);
    return Make(r.action == "drop" ? Verdict::kDrop : Verdict::kReject,
                Reason::kNone, where);
  }
  for (const auto& s : zone.services) {
    if (service_covers(s)) {
      return Make(Verdict::kAccept, Reason::kNone, "firewalld service " + s);
    }
  }
  if (PortsCover(zone.ports, port)) {
    return Make(Verdict::kAccept, Reason::kNone, "firewalld port");
  }
  if (zone.target == "ACCEPT") {
    return Make(Verdict::kAccept, Reason::kNone, "firewalld zone target");
  }
  if (zone.target == "DROP") {
    return Make(Verdict::kDrop, Reason::kNone, "firewalld zone target");
  }
  return Make(Verdict::kReject, Reason::kNone, "firewalld zone target");
}

}  // namespace mailflow::firewall
