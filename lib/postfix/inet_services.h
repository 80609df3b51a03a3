// What main.cf and master.cf say about inbound SMTP: inet services and the
// addresses they should accept connections on. Pure; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/postfix/postfix_config.h"

namespace mailflow {

/// An inet service of master.cf as the inbound diagnoses see it.
struct InetService {
  std::string service;  // master.cf service field: "smtp", "127.0.0.1:2526"
  std::string host;     // "" = every address of inet_interfaces
  int port = 0;         // 0 when the port name is unknown
  bool enabled = false;
  /// Why disabled: "comment" (commented out) or "master_service_disable".
  std::string disabled_by;
  bool chroot = false;
  bool smtpd = false;   // runs smtpd (or postscreen): accepts SMTP
  std::string command;  // master.cf's command: "smtpd", "postscreen", ...
  /// Configured to accept connections from other hosts (not loopback only).
  bool expect_external = false;
  std::vector<std::pair<std::string, std::string>> overrides;
  int line = 0;      // master.cf line of the entry
  std::string text;  // that line as written (MasterEntry::text)
};

/// Every inet service of master.cf, enabled and disabled, in file order.
std::vector<InetService> InetServices(const PostfixConfig& config);

/// True when an expanded inet_interfaces value names loopback addresses only
/// ("loopback-only", "localhost", 127.0.0.0/8, ::1).
bool IsLoopbackOnly(std::string_view inet_interfaces);

/// True for "localhost", 127.0.0.0/8 and ::1 (bracketed or not).
bool IsLoopbackHost(std::string_view host);

}  // namespace mailflow
