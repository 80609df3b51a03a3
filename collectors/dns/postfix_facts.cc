#include "collectors/dns/postfix_facts.h"

#include <algorithm>
#include <set>

namespace mailflow {

PostfixDnsFacts ReadPostfixDnsFacts(const PostfixConfig& pc,
                                    size_t rbl_zone_cap) {
  PostfixDnsFacts facts;
  facts.queue_directory = pc.main.Get("queue_directory");
  facts.myhostname = pc.main.Get("myhostname");
  const std::string disable = pc.main.Get("master_service_disable");
  // RBL lookups happen in smtpd and postscreen, with each service's -o
  // overrides; collect the zones of every enabled one (main.cf alone when
  // master.cf has none).
  std::vector<const postfix::MasterEntry*> servers;
  for (const auto& e : pc.master.entries()) {
    if (!e.enabled || postfix::IsServiceDisabled(e, disable)) continue;
    if (e.command == "smtp" && e.type == "unix" && e.chroot) {
      facts.smtp_chrooted = true;
    }
    if ((e.command == "smtpd" || e.command == "postscreen") &&
        (e.type == "inet" || e.type == "pass")) {
      if (e.chroot) facts.smtpd_chrooted = true;
      servers.push_back(&e);
    }
  }
  std::set<std::string> seen;
  size_t dropped = 0;
  auto collect = [&](const postfix::ParamOverrides& overrides) {
    size_t d = 0;
    auto zones = ExtractRblZones(
        [&](const std::string& name) -> std::optional<std::string> {
          std::string v = pc.main.GetWithOverrides(name, overrides);
          if (v.empty()) return std::nullopt;
          return v;
        },
        rbl_zone_cap, &d);
    dropped = std::max(dropped, d);
    for (auto& z : zones) {
      if (!seen.insert(z.zone).second) continue;
      if (facts.rbl_zones.size() >= rbl_zone_cap) {
        ++dropped;
        continue;
      }
      facts.rbl_zones.push_back(std::move(z));
    }
  };
  if (servers.empty()) collect({});
  for (const auto* e : servers) collect(e->overrides);
  facts.rbl_zones_dropped = dropped;
  return facts;
}

}  // namespace mailflow
