// Probe endpoints: IP literals with ports, Postfix relayhost values, CIDR
// allowlists. Pure: no sockets opened, no name resolution.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow {

/// An IP address and TCP port. Value type.
struct Endpoint {
  /// The address as inet_ntop prints it ("192.0.2.1", "2001:db8::1").
  std::string host;
  uint16_t port = 0;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;

  /// "192.0.2.1:25" or "[2001:db8::1]:25".
  std::string ToString() const;
};

/// Parses an IP literal (no brackets) into `out` with `port`. Returns false
/// for anything that is not an IPv4 or IPv6 address.
bool ParseIpLiteral(std::string_view text, uint16_t port, Endpoint* out);

/// Parses a port number or one of the service names smtp (25),
/// submission (587), submissions/smtps (465). Returns false otherwise.
bool ParsePort(std::string_view text, uint16_t* port);

/// Parses "IP:PORT", "[IP]:PORT", "[IPv6]:PORT"; with `default_port` > 0
/// also "IP", "[IP]" and "[IPv6]". Host names are rejected: this exporter
/// resolves nothing on its own (errors say so).
/// Error texts: `"TEXT": ...` (see the unit tests for the exact forms).
bool ParseHostPort(std::string_view text, int default_port, Endpoint* out,
                   std::string* err);

/// One destination of a Postfix relayhost value.
struct RelayDestination {
  std::string host;        // without brackets
  bool bracketed = false;  // [host]: no MX lookup
  uint16_t port = 25;
};

/// Splits a relayhost value ("[192.0.2.1]:587", "relay.example:2525",
/// "[a], [b]:587" — Postfix 3.5+ lists) into destinations. An empty value
/// gives an empty list. Returns false with `*err` on a malformed item.
bool ParseRelayhost(std::string_view value, std::vector<RelayDestination>* out,
                    std::string* err);

/// An IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32", or a single
/// address, which means /32 or /128).
struct Cidr {
  int family = 0;
  uint8_t bytes[16] = {};
  int prefix = 0;
};

bool ParseCidr(std::string_view text, Cidr* out, std::string* err);
/// True when the endpoint's address lies inside the network. An
/// IPv4-mapped IPv6 address never matches an IPv4 network (targets are
/// compared as written).
bool CidrContains(const Cidr& cidr, const Endpoint& endpoint);

}  // namespace mailflow
