// Where Postfix sends outbound mail: a relayhost, a content filter, or
// straight to the recipients' MX hosts. Pure.
#pragma once

#include <string>

#include "lib/postfix/main_cf.h"

namespace mailflow::postfix {

struct OutboundRoute {
  std::string relayhost;       // expanded main.cf relayhost, "" = MX hosts
  std::string content_filter;  // expanded main.cf content_filter, "" = none
  /// TCP port outbound mail goes to: the relayhost's (no port: 25), else
  /// smtp_tcp_port (25). 0 when the port name is unknown.
  int port = 25;
};

/// Reads relayhost ("[host]:port", "host:port", "[host]", "host"; the first
/// of a list), content_filter and smtp_tcp_port from main.cf.
OutboundRoute ReadOutboundRoute(const MainCf& main);

}  // namespace mailflow::postfix
