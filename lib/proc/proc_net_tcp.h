// Parser for the kernel's TCP socket tables, /proc/net/tcp and /proc/net/tcp6.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailflow {

/// One socket in state LISTEN.
struct ListeningSocket {
  std::string address;  // "127.0.0.1", "0.0.0.0", "::", "::1", ...
  uint16_t port = 0;
  uint64_t inode = 0;
  bool ipv6 = false;
  bool loopback = false;  // 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104
  bool wildcard = false;  // 0.0.0.0 or ::
  /// Reachable from other hosts: bound to a wildcard or non-loopback address.
  bool external() const { return !loopback; }
};

/// Parses the text of /proc/net/tcp (ipv6 = false) or /proc/net/tcp6 and
/// appends the sockets in LISTEN state to `out`. Malformed lines are skipped
/// and counted in `*bad_lines`; the header line is expected and skipped.
/// Addresses are decoded as the kernel prints them: each 32-bit word in host
/// byte order. Pure function; thread-safe.
void ParseProcNetTcp(std::string_view text, bool ipv6,
                     std::vector<ListeningSocket>* out, int* bad_lines);

}  // namespace mailflow
