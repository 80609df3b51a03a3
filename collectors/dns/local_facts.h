// LocalFacts: what the files say about the resolvers Postfix uses
// (resolv.conf, the chroot copy, main.cf and master.cf), read at scrape
// time and before each probe round.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "collectors/dns/dns_options.h"
#include "collectors/dns/postfix_facts.h"
#include "lib/dns/resolv_conf.h"
#include "lib/postfix/postfix_snapshot.h"

namespace mailflow::dns_collector {

struct ResolverEntry {
  NameServer ns;
  std::set<std::string> sources;  // resolv_conf, chroot_resolv_conf, config
};

struct LocalFacts {
  std::string host_path;
  bool host_ok = false;
  std::string host_err;
  ResolvConf host;
  bool postfix_ok = false;
  std::string postfix_err;
  PostfixDnsFacts postfix;
  bool smtp_chrooted = false;   // the smtp client runs chrooted
  bool smtpd_chrooted = false;  // smtpd (RBL lookups) runs chrooted
  bool chrooted = false;        // either: the jail's resolv.conf is in use
  std::string jail_path;
  bool jail_ok = false;
  ResolvConf jail;
  bool differs = false;
  std::vector<ResolverEntry> resolvers;  // in probe order
  /// Index into resolvers of the server the smtp client's libc asks first
  /// (-1: none); PTR/FCrDNS lookups go there too.
  int primary = -1;
  /// The same for smtpd, which does the RBL lookups.
  int smtpd_primary = -1;
  std::string myhostname;
};

/// Reads resolv.conf, Postfix's configuration (through `snapshots`, which
/// must not be null) and, when smtp or smtpd runs chrooted, the jail's
/// resolv.conf. Never fails: what cannot be read is marked (host_ok,
/// postfix_ok, jail_ok) and the libc default takes its place.
/// Thread-safe (reads files only).
LocalFacts ReadLocalFacts(const DnsOptions& o, PostfixSnapshotCache* snapshots);

}  // namespace mailflow::dns_collector
