// What the listen collector saw in one collection (the kernel's listening
// sockets on the watched ports, beside main.cf/master.cf), and the findings
// it explains it with: steps "listening" and "config applied". Pure.
#pragma once

#include <string>
#include <vector>

#include "collectors/finding.h"
#include "lib/postfix/main_cf.h"

namespace mailflow {

/// Kept by Collect(), read by Diagnose(). Value type.
struct ListenFacts {
  std::string config_directory;
  std::string sockets_source;  // "/proc/net/tcp{,6}"
  /// Whether main.cf/master.cf could be read (else config_error says why).
  bool have_config = false;
  std::string config_error;
  std::string main_cf, master_cf;
  bool master_running = false;
  postfix::MainCfParam inet_interfaces;

  struct Socket {
    std::string address;  // "127.0.0.1", "::"
    bool ipv6 = false;
    bool external = false;
    int pid = 0;        // 0: owner unknown
    std::string owner;  // process name, "unknown"
  };
  struct Service {
    std::string service;  // master.cf service field
    bool enabled = false;
    bool loopback_host = false;  // "127.0.0.1:10025": loopback on purpose
    int line = 0;
    std::string text;
  };
  struct Port {
    int port = 0;
    bool watched = false;  // in smtp_ports
    std::vector<Socket> sockets;
    std::vector<Service> services;  // master.cf inet services on the port
    /// The collector's mismatch kinds (mailflow_listen_config_mismatch),
    /// judged only while the master runs.
    bool not_listening = false;
    bool not_external = false;
    bool unexpected_external = false;
    bool listening_but_disabled = false;
  };
  std::vector<Port> ports;  // watched and enabled-service ports, ascending
};

/// "LISTEN 127.0.0.1:25 master[1234]" (ss-like; "[::]:25" for IPv6).
std::string SocketLine(const ListenFacts::Socket& s, int port);

/// Findings of steps kListening and kConfigApplied. Port 25 bound to
/// loopback only or not listening is FAIL (PostfixListeningLoopbackOnly);
/// the mismatch kinds follow PostfixConfigNotApplied: not_listening and
/// not_external FAIL, the other two WARN.
void ListenFindings(const ListenFacts& facts, std::vector<Finding>* out);

}  // namespace mailflow
