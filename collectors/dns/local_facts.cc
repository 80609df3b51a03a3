#include "collectors/dns/local_facts.h"

#include <memory>

namespace mailflow::dns_collector {

LocalFacts ReadLocalFacts(const DnsOptions& o,
                          PostfixSnapshotCache* snapshots) {
  LocalFacts f;
  f.host_path = o.resolv_conf;
  f.host_ok = ReadResolvConf(o.resolv_conf, &f.host, &f.host_err);
  if (!f.host_ok) f.host = ParseResolvConf("");  // libc: 127.0.0.1
  std::string err;
  std::shared_ptr<const PostfixSnapshot> snapshot =
      snapshots->Get(o.postfix_config_directory, &err);
  f.postfix_ok = snapshot != nullptr;
  if (snapshot) {
    f.postfix = ReadPostfixDnsFacts(snapshot->config, o.max_rbl_zones);
  } else {
    f.postfix_err = PostfixConfigDependencyError(o.postfix_config_directory);
  }
  if (o.chroot == "yes") {
    f.smtp_chrooted = f.smtpd_chrooted = true;
  } else if (o.chroot == "auto") {
    f.smtp_chrooted = f.postfix_ok && f.postfix.smtp_chrooted;
    f.smtpd_chrooted = f.postfix_ok && f.postfix.smtpd_chrooted;
  }
  f.chrooted = f.smtp_chrooted || f.smtpd_chrooted;
  f.jail_path = o.chroot_resolv_conf;
  if (f.jail_path.empty() && !f.postfix.queue_directory.empty()) {
    f.jail_path = f.postfix.queue_directory + "/etc/resolv.conf";
  }
  if (f.chrooted && !f.jail_path.empty()) {
    std::string err;
    f.jail_ok = ReadResolvConf(f.jail_path, &f.jail, &err);
    if (!f.jail_ok) f.jail = ParseResolvConf("");  // libc default in the jail
    f.differs = NameServersDiffer(f.host, f.jail);
  }
  auto add = [&f](const NameServer& ns, const std::string& source) {
    for (auto& r : f.resolvers) {
      if (r.ns == ns) {
        r.sources.insert(source);
        return static_cast<int>(&r - f.resolvers.data());
      }
    }
    f.resolvers.push_back({ns, {source}});
    return static_cast<int>(f.resolvers.size() - 1);
  };
  int jail_first = -1, host_first = -1, config_first = -1;
  if (o.probe_resolv_conf) {
    if (f.chrooted && !f.jail_path.empty()) {
      for (const auto& ns : f.jail.Effective()) {
        int i = add(ns, "chroot_resolv_conf");
        if (jail_first < 0) jail_first = i;
      }
    }
    for (const auto& ns : f.host.Effective()) {
      int i = add(ns, "resolv_conf");
      if (host_first < 0) host_first = i;
    }
  }
  for (const auto& ns : o.extra_resolvers) {
    int i = add(ns, "config");
    if (config_first < 0) config_first = i;
  }
  // The server each daemon's libc asks first: the jail's copy when it runs
  // chrooted, else /etc/resolv.conf's; the config's resolvers when
  // resolv.conf is not probed.
  auto first_of = [&](bool in_jail) {
    int i = in_jail && jail_first >= 0 ? jail_first : host_first;
    return i >= 0 ? i : config_first;
  };
  f.primary = first_of(f.smtp_chrooted);
  f.smtpd_primary = first_of(f.smtpd_chrooted);
  f.myhostname =
      HostKey(!o.myhostname.empty() ? o.myhostname : f.postfix.myhostname);
  return f;
}

}  // namespace mailflow::dns_collector
