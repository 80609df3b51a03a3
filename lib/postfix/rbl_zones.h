// RBL zones named in Postfix's main.cf, and their standard test entries.
// Pure: parameter values in, zones out.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mailflow {

struct RblZone {
  std::string zone;          // "zen.spamhaus.org" (no "=filter", no "*weight")
  bool domain_list = false;  // RHSBL (reject_rhsbl_*): keyed by domain name
  std::string parameter;     // first main.cf parameter that names it

  /// The RFC 5782 test entry that every list must answer "listed":
  /// "2.0.0.127.ZONE" (IP lists) or "test.ZONE" (domain lists).
  std::string TestName() const;
};

/// Looks up an expanded main.cf parameter; nullopt when unset.
using ParamLookup =
    std::function<std::optional<std::string>(const std::string& name)>;

/// The parameters searched: the smtpd_*_restrictions lists, the restriction
/// classes named in smtpd_restriction_classes, and postscreen_dnsbl_sites.
/// Tokens: reject_rbl_client, reject_rhsbl_{client,sender,helo,recipient,
/// reverse_client}, permit_dnswl_client, permit_rhswl_client (each followed
/// by its zone, possibly `=d.d.d.d` filtered), and postscreen's
/// `zone[=filter][*weight]` entries. Duplicates are folded (first wins).
/// At most `cap` zones are returned; `*dropped` (optional) counts the rest.
std::vector<RblZone> ExtractRblZones(const ParamLookup& get, size_t cap,
                                     size_t* dropped = nullptr);

}  // namespace mailflow
