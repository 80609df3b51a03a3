// MasterCf: Postfix master.cf, parsed as postconf -M/-F/-P and master(8)
// of Postfix 3.7 read it, plus services that are commented out.
// Pure: text in, entries and problems out; no I/O, no Prometheus.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/postfix/config_problem.h"

namespace mailflow::postfix {

/// One master.cf service entry.
struct MasterEntry {
  std::string service;  // first field, e.g. "smtp", "127.0.0.1:submission"
  std::string type;     // inet, unix, unix-dgram, fifo, pass
  /// False for a service that is commented out ("#smtp inet n - y - - smtpd").
  /// master_service_disable is not applied here: see IsServiceDisabled().
  bool enabled = true;
  /// Resolved columns ("-" means the default: private y, unpriv y,
  /// chroot n (Postfix >= 3.0)). inet services are never private.
  bool private_ = true;
  bool unpriv = true;
  bool chroot = false;
  std::string wakeup = "-";  // as written: "-", "60", "1000?"
  int maxproc = -1;          // -1 = "-" = $default_process_limit
  std::string command;       // "smtpd", "pipe", ...
  /// Command arguments other than -o settings, braces of `{ a b }` groups
  /// removed (as postconf does). Options end at the first non-option or "--".
  std::vector<std::string> args;
  /// -o name=value, -o { name = value }, -oname=value, in order.
  std::vector<std::pair<std::string, std::string>> overrides;
  int line = 0;  // first line of the entry
  /// That line as written (for a finding's evidence), at most 200 bytes:
  /// "smtp      inet  n       -       y       -       -       smtpd",
  /// "#submission inet n       -       y       -       -       smtpd".
  std::string text;
  // inet only: the service field as [host:]port.
  std::string host;       // "" = every inet_interfaces address; no brackets
  int port = 0;           // 0 when the port name is unknown or invalid
  std::string port_name;  // as written: "smtp", "25", "submission"
};

/// The entries of one master.cf, in file order (commented-out ones too).
///
/// Logical lines as Postfix builds them (logical_lines.h); fields split at
/// blanks with `{ ... }` kept together. A malformed entry (fewer than 8
/// fields, bad type, y/n/- column, wakeup or maxproc) is recorded as a
/// problem and left out; master(8) would refuse to start. Problems that
/// master or the daemon would reject but that leave the entry readable
/// (inet service marked private, bad inet address, bad -o) are recorded and
/// the entry is kept.
///
/// A commented-out service is a comment line whose text parses as a valid
/// entry (strictly: >= 8 fields, valid type, y/n/- columns, wakeup, maxproc);
/// following comment lines "#  -o name=value" / "#  flags=..." continue it,
/// prose comment lines are skipped. It never produces problems.
///
/// Thread-safety: immutable after Parse(); const methods are thread-safe.
class MasterCf {
 public:
  MasterCf() = default;

  /// Parses `text`; `source` (the file path) names the file in messages.
  static MasterCf Parse(std::string_view text, std::string source);

  const std::string& source() const { return source_; }
  const std::vector<MasterEntry>& entries() const { return entries_; }
  const std::vector<ConfigProblem>& problems() const { return problems_; }
  /// "SOURCE:LINE: message".
  std::string FormatProblem(const ConfigProblem& problem) const;

  /// The first enabled entry with this service and type, or nullptr.
  const MasterEntry* Find(std::string_view service,
                          std::string_view type) const;

 private:
  std::string source_;
  std::vector<MasterEntry> entries_;
  std::vector<ConfigProblem> problems_;
};

/// True when main.cf's `master_service_disable` (expanded value) disables
/// `entry`, as master(8)'s match_service: a list of "name/type" or "type"
/// patterns (legacy "name.type" too), case-insensitive, first match wins,
/// "!pattern" negates.
bool IsServiceDisabled(const MasterEntry& entry,
                       std::string_view master_service_disable);

/// Splits an inet service field as master(8)'s host_port(): "[host]:port",
/// "host:port", ":port" or "port" ("[IPv6:addr]" accepted). Returns nullptr
/// and views into `service`, or Postfix's reason ("missing \"]\"",
/// "missing service information", "valid port number required", ...).
/// Host validation is light: hostname characters or an address.
const char* SplitInetAddress(std::string_view service, std::string_view* host,
                             std::string_view* port);

/// Port of an inet service name: numeric 1..65535, or smtp 25, submission
/// 587, smtps/submissions 465, lmtp 24, qmtp 209, qmqp 628; 0 if unknown.
int ResolvePort(std::string_view port_name);

}  // namespace mailflow::postfix
