// What the postfix collector saw in one collection, and the findings it
// explains it with (steps: Postfix running, master.cf services, the chroot
// jail, greylisting policy, open relay). Pure: facts in, findings out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collectors/finding.h"
#include "collectors/postfix/chroot_check.h"
#include "collectors/postfix/config_findings.h"
#include "lib/base/ip_network.h"
#include "lib/postfix/main_cf.h"
#include "lib/postfix/master_status.h"
#include "lib/postfix/postfix_snapshot.h"

namespace mailflow {

/// The facts the postfix collector's findings are built from: kept by
/// Collect(), read by Diagnose(). Value type.
struct PostfixFacts {
  std::string config_directory;
  std::string main_cf;    // path
  std::string master_cf;  // path

  bool master_running = false;
  int master_pid = 0;
  std::string master_detail;  // why not running
  std::string pid_file;

  struct Problem {
    std::string where;  // "PATH:LINE"
    std::string message;
  };
  /// Problems Postfix would refuse.
  std::vector<Problem> config_errors;

  struct Service {
    std::string service;  // "smtp", "127.0.0.1:2525"
    int port = 0;
    bool enabled = false;
    std::string disabled_by;  // "comment", "master_service_disable"
    std::string command;      // "smtpd", "postscreen"
    int line = 0;             // master.cf
    std::string text;         // the entry's first line as written
  };
  /// inet services on watched ports, and every enabled smtpd service.
  std::vector<Service> services;
  std::vector<int64_t> watched_ports;
  postfix::MainCfParam master_service_disable;

  /// Enabled services that run chrooted ("smtp/unix"); empty: no jail used.
  std::vector<std::string> chrooted;
  std::string queue_directory;
  std::string host_etc;
  std::vector<ChrootFileState> chroot_files;

  postfix::MainCfParam mynetworks;
  postfix::MainCfParam mynetworks_style;
  /// mynetworks entries outside private space (this host's own addresses
  /// excluded), as the alerts size them: wide (/24, IPv6 /48 or wider) and
  /// the smaller networks and single hosts.
  std::vector<std::string> public_networks;
  std::vector<std::string> public_hosts;
  struct Relay {
    std::string service;
    bool safe = true;
    postfix::MainCfParam relay_restrictions;  // with the service's -o applied
    postfix::MainCfParam
        recipient_restrictions;  // line 0 and value: as effective
  };
  std::vector<Relay> relay;

  PolicyServices policy;
  std::vector<postfix::MainCfParam>
      policy_lists;  // lists naming check_policy_service
};

/// What one Collect() saw besides the configuration itself (kept by the
/// collector; the snapshot is shared, immutable).
struct PostfixObservation {
  std::shared_ptr<const PostfixSnapshot> snapshot;  // null: unreadable
  std::vector<int64_t> watched_ports;
  std::string host_etc;
  std::vector<IpNetwork> interfaces;  // this host's addresses and prefixes
  MasterStatus master;
  std::vector<ChrootFileState> chroot_files;
  std::vector<std::pair<std::string, bool>> relay_safe;  // service, safe
  PolicyServices policy;
  std::vector<std::string> policy_lists;  // main.cf lists naming a policy
};

/// The facts of an observation: evidence texts and lines looked up in the
/// snapshot. REQUIRES: o.snapshot.
PostfixFacts FactsOf(const PostfixObservation& o);

/// The findings of steps kPostfixRunning, kServices, kChroot, kGreylisting
/// (the inbound policy) and kOpenRelay. Severity follows the alerts:
/// PostfixDown, PostfixSMTPServiceDisabled (port 25) and
/// PostfixOpenRelayRisk are FAIL, PostfixChrootFilesMissing is WARN.
void PostfixFindings(const PostfixFacts& facts, std::vector<Finding>* out);

}  // namespace mailflow
