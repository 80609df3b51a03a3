#include "lib/postfix/rbl_zones.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "lib/postfix/main_cf.h"

namespace mailflow {

namespace {

const char* const kRestrictionParams[] = {
    "smtpd_client_restrictions",      "smtpd_helo_restrictions",
    "smtpd_sender_restrictions",      "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",   "smtpd_data_restrictions",
    "smtpd_end_of_data_restrictions", "smtpd_etrn_restrictions",
};

std::string CleanZone(std::string z) {
  // "zone=127.0.0.2", "zone=127.0.0.[2..11]*3", "zone*2"
  auto cut = z.find_first_of("=*");
  if (cut != std::string::npos) z.resize(cut);
  while (!z.empty() && z.back() == '.') z.pop_back();
  for (char& c : z)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return z;
}

bool PlausibleZone(const std::string& z) {
  if (z.empty() || z.size() > 200) return false;
  for (char c : z) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return z.find('.') != std::string::npos;
}

}  // namespace

std::string RblZone::TestName() const {
  return (domain_list ? "test." : "2.0.0.127.") + zone;
}

std::vector<RblZone> ExtractRblZones(const ParamLookup& get, size_t cap,
                                     size_t* dropped) {
  std::vector<RblZone> zones;
  std::set<std::string> seen;
  size_t over = 0;
  auto add = [&](const std::string& raw, bool domain, const std::string& p) {
    std::string z = CleanZone(raw);
    if (!PlausibleZone(z) || !seen.insert(z).second) return;
    if (zones.size() >= cap) {
      ++over;
      return;
    }
    zones.push_back({z, domain, p});
  };
  std::vector<std::string> params(std::begin(kRestrictionParams),
                                  std::end(kRestrictionParams));
  if (auto classes = get("smtpd_restriction_classes")) {
    for (auto& c : postfix::MainCf::SplitList(*classes)) {
      if (std::find(params.begin(), params.end(), c) == params.end()) {
        params.push_back(c);
      }
    }
  }
  for (const std::string& p : params) {
    auto value = get(p);
    if (!value) continue;
    auto tokens = postfix::MainCf::SplitList(*value);
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      if (t == "reject_rbl_client" || t == "permit_dnswl_client") {
        add(tokens[++i], false, p);
      } else if (t.rfind("reject_rhsbl_", 0) == 0 ||
                 t == "permit_rhswl_client") {
        add(tokens[++i], true, p);
      }
    }
  }
  if (auto sites = get("postscreen_dnsbl_sites")) {
    for (auto& s : postfix::MainCf::SplitList(*sites)) {
      add(s, false, "postscreen_dnsbl_sites");
    }
  }
  if (dropped) *dropped = over;
  return zones;
}

}  // namespace mailflow
