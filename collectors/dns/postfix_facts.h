// What the dns collector needs from Postfix's configuration.
#pragma once

#include <string>
#include <vector>

#include "collectors/dns/rbl_zones.h"

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

/// Loads DIR/main.cf and DIR/master.cf (LoadPostfixConfig) and extracts the
/// facts. Returns false with `*err` when the files cannot be read.
bool ReadPostfixDnsFacts(const std::string& config_directory,
                         size_t rbl_zone_cap, PostfixDnsFacts* out,
                         std::string* err);

}  // namespace mailflow
