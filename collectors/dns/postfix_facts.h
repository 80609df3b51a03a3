// What the dns collector needs from Postfix's configuration.
#pragma once

#include <string>
#include <vector>

#include "lib/postfix/postfix_config.h"
#include "lib/postfix/rbl_zones.h"

namespace mailflow {

struct PostfixDnsFacts {
  std::string queue_directory;  // expanded; "" when unknown
  std::string myhostname;       // expanded; "" when unknown
  /// The smtp (client) service of master.cf runs chrooted (chroot column
  /// "y", or "-" with the built-in default of the Postfix version).
  bool smtp_chrooted = false;
  /// smtpd (the server, which does the RBL lookups) runs chrooted.
  bool smtpd_chrooted = false;
  std::vector<RblZone> rbl_zones;
  size_t rbl_zones_dropped = 0;
};

/// Extracts the facts from a parsed configuration. Pure.
PostfixDnsFacts ReadPostfixDnsFacts(const PostfixConfig& config,
                                    size_t rbl_zone_cap);

}  // namespace mailflow
