// Where Postfix's smtpd services listen for other hosts, as its
// configuration says (not as the kernel shows). Pure.
#pragma once

#include <string>
#include <vector>

#include "lib/base/interfaces.h"
#include "lib/postfix/inet_services.h"
#include "lib/postfix/main_cf.h"

namespace mailflow::postfix {

struct ListenAddress {
  std::string address;  // "192.0.2.5", "2001:db8::5"
  int port = 0;
  std::string service;  // master.cf service field
};

/// The (address, port) pairs on which the enabled smtpd/postscreen inet
/// services of `services` accept connections from other hosts:
/// - a service bound to an address (master.cf "192.0.2.5:smtp") listens on
///   that one when it is not loopback;
/// - otherwise on inet_interfaces: "all" = every address of `interfaces`
///   that is neither loopback nor link-local; listed addresses that exist in
///   `interfaces`; loopback names contribute nothing;
/// - only families inet_protocols enables ("all", "ipv4", "ipv6", a list).
/// Host names (in inet_interfaces or a service field) are not resolved: they
/// are appended to *skipped (if not null). Sorted by address, then port.
std::vector<ListenAddress> ExternalSmtpdAddresses(
    const MainCf& main, const std::vector<InetService>& services,
    const std::vector<InterfaceAddress>& interfaces,
    std::vector<std::string>* skipped);

}  // namespace mailflow::postfix
