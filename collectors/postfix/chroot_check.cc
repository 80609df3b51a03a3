#include "collectors/postfix/chroot_check.h"

#include "lib/base/file_util.h"

namespace mailflow {

const std::vector<std::string>& ChrootJailFiles() {
  static const std::vector<std::string> files = {
      "etc/host.conf",     "etc/hosts",       "etc/localtime",
      "etc/nsswitch.conf", "etc/resolv.conf", "etc/services"};
  return files;
}

std::vector<ChrootFileState> CheckChrootFiles(
    const std::string& queue_directory, const std::string& host_etc) {
  std::vector<ChrootFileState> out;
  for (const std::string& file : ChrootJailFiles()) {
    std::string host, jail, err;
    // "etc/x" -> HOST_ETC/x
    if (!ReadWholeFile(host_etc + file.substr(3), &host, &err, 1 << 20)) {
      continue;  // nothing to copy
    }
    ChrootFileState st;
    st.file = file;
    if (!ReadWholeFile(queue_directory + "/" + file, &jail, &err, 1 << 20)) {
      st.missing = true;
    } else {
      st.stale = jail != host;
    }
    out.push_back(st);
  }
  return out;
}

}  // namespace mailflow
