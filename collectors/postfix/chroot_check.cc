#include "collectors/postfix/chroot_check.h"

namespace mailflow {

const std::vector<std::string>& ChrootJailFiles() {
  static const std::vector<std::string> files = {
      "etc/host.conf",     "etc/hosts",       "etc/localtime",
      "etc/nsswitch.conf", "etc/resolv.conf", "etc/services"};
  return files;
}

bool ChrootCheck::Compare(const std::string& host_path,
                          const std::string& jail_path, ChrootFileState* st) {
  std::string host, jail, err;
  if (!ReadWholeFile(host_path, &host, &err, 1 << 20)) {
    return false;  // nothing to copy
  }
  if (!ReadWholeFile(jail_path, &jail, &err, 1 << 20)) {
    st->missing = true;
  } else {
    st->stale = jail != host;
  }
  return true;
}

std::vector<ChrootFileState> ChrootCheck::Check(
    const std::string& queue_directory, const std::string& host_etc) {
  std::vector<ChrootFileState> out;
  const int64_t now = FileIdentity::NowNs();
  std::map<std::string, Seen> seen;
  for (const std::string& file : ChrootJailFiles()) {
    // "etc/x" -> HOST_ETC/x
    const std::string host_path = host_etc + file.substr(3);
    const std::string jail_path = queue_directory + "/" + file;
    FileIdentity host_id, jail_id;
    host_id.Of(host_path);
    jail_id.Of(jail_path);
    auto it = seen_.find(jail_path);
    Seen s;
    if (it != seen_.end() && it->second.host == host_id &&
        it->second.jail == jail_id && host_id.Settled(now) &&
        jail_id.Settled(now)) {
      s = it->second;
    } else {
      s.host = host_id;
      s.jail = jail_id;
      s.state.file = file;
      s.host_exists = Compare(host_path, jail_path, &s.state);
    }
    if (s.host_exists) out.push_back(s.state);
    seen[jail_path] = std::move(s);
  }
  seen_ = std::move(seen);  // only the files of this queue directory
  return out;
}

}  // namespace mailflow
