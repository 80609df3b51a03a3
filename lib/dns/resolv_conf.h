// ResolvConf: a parser for resolv.conf(5) as the libc stub resolver (and so
// Postfix) reads it. Pure: text in, struct out; no I/O besides ReadResolvConf.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailflow {

/// One DNS server address with its port.
struct NameServer {
  std::string address;  // numeric, canonical (inet_ntop), no brackets
  int port = 53;
  bool ipv6 = false;
  /// The label value: "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353".
  std::string Label() const;
  /// The form ares_set_servers_ports_csv takes: "127.0.0.1:53", "[::1]:53".
  std::string CsvEntry() const;
  /// 127.0.0.0/8 or ::1 (or ::ffff:127.x): a resolver on this host.
  bool IsLoopback() const;
  bool operator==(const NameServer& o) const {
    return address == o.address && port == o.port;
  }
};

/// Parses "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353", "fe80::1%eth0".
/// Returns false (and leaves *out untouched) on anything else.
bool ParseNameServer(std::string_view text, NameServer* out);

struct ResolvConf {
  /// Every valid `nameserver` line, in file order (also beyond the third).
  std::vector<NameServer> nameservers;
  /// The libc resolver uses at most this many (MAXNS); the rest is ignored.
  static constexpr size_t kMaxNameServers = 3;
  /// True when the file named no valid nameserver: libc then queries the
  /// local server (127.0.0.1:53), which `nameservers` then holds.
  bool default_nameserver = false;
  std::vector<std::string> search;  // last `search` or `domain` line wins
  // options (libc defaults)
  int ndots = 1;
  int timeout_seconds = 5;
  int attempts = 2;
  bool rotate = false;
  bool edns0 = false;
  bool use_vc = false;
  /// "LINE: message" for lines libc would ignore or misread.
  std::vector<std::string> problems;

  /// The first kMaxNameServers nameservers: what libc (and Postfix) queries.
  std::vector<NameServer> Effective() const;
};

/// Parses resolv.conf text. Never fails: bad lines land in `problems`.
/// Follows glibc: `#`/`;` start comments (at line start, or after the
/// value), keywords must start the line, `domain` and `search` override each
/// other, numeric options are clamped like glibc does (ndots <= 15,
/// timeout <= 30, attempts <= 5). Extension: a nameserver may carry a port
/// ("127.0.0.1:5353", "[::1]:5353"), which glibc does not read but test and
/// container setups use; the exporter honours it.
ResolvConf ParseResolvConf(std::string_view text);

/// Reads and parses a file. Returns false with "PATH: cannot read: REASON".
bool ReadResolvConf(const std::string& path, ResolvConf* out, std::string* err);

/// True when two files make the libc resolver use different servers (the
/// effective nameserver lists differ in content or order).
bool NameServersDiffer(const ResolvConf& a, const ResolvConf& b);

}  // namespace mailflow
