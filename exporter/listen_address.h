// Listen addresses and client allowlists, in civetweb's option syntax.
#pragma once

#include <string>
#include <vector>

namespace mailflow {

/// Translates a Prometheus-style listen address to civetweb's
/// "IP:PORT" form. Returns false with `*err` for anything civetweb cannot
/// bind (host names other than localhost, IPv6: Debian's civetweb is built
/// without IPv6).
bool TranslateListenAddress(const std::string& address, std::string* out,
                            std::string* err);

/// Translates --web.allowed-networks values ("10.0.0.0/8", "192.0.2.7")
/// to civetweb's access_control_list ("-0.0.0.0/0,+10.0.0.0/8,..."), which
/// civetweb checks right after accept(): a client outside every network is
/// closed before it takes a worker thread, a TLS handshake or a password
/// check. An empty list gives "" (every client may connect). IPv4 only,
/// like the listening sockets; returns false with `*err` naming the value.
bool AccessControlList(const std::vector<std::string>& networks,
                       std::string* acl, std::string* err);

}  // namespace mailflow
