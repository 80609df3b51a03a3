// The fingerprint of the legacy x_tables rulesets, read the way
// iptables-legacy-save reads them (getsockopt), without the process.
#include <netinet/in.h>  // before the kernel headers (libc-compat)
#include <sys/socket.h>
#include <unistd.h>

// clang-format off
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
// clang-format on

#include <cerrno>
#include <cstring>
#include <functional>
#include <sstream>
#include <string_view>
#include <vector>

#include "lib/base/file_util.h"
#include "lib/firewall/ruleset_generation.h"

namespace mailflow::firewall {

namespace {

// The IPv4 and IPv6 flavours of the same ABI.
struct Ipv4 {
  using Info = ipt_getinfo;
  using Entries = ipt_get_entries;
  using Entry = ipt_entry;
  static constexpr int kDomain = AF_INET;
  static constexpr int kLevel = IPPROTO_IP;
  static constexpr int kGetInfo = IPT_SO_GET_INFO;
  static constexpr int kGetEntries = IPT_SO_GET_ENTRIES;
  static constexpr const char* kNames = "/net/ip_tables_names";
};
struct Ipv6 {
  using Info = ip6t_getinfo;
  using Entries = ip6t_get_entries;
  using Entry = ip6t_entry;
  static constexpr int kDomain = AF_INET6;
  static constexpr int kLevel = IPPROTO_IPV6;
  static constexpr int kGetInfo = IP6T_SO_GET_INFO;
  static constexpr int kGetEntries = IP6T_SO_GET_ENTRIES;
  static constexpr const char* kNames = "/net/ip6_tables_names";
};

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

bool Fail(const std::string& what, std::string* err) {
  *err = "iptables-legacy fingerprint: " + what + ": " + std::strerror(errno);
  return false;
}

// Appends table `name`'s header and rules, counters zeroed, to `blob`.
template <typename F>
bool AppendTable(int fd, const std::string& name, std::string* blob,
                 std::string* err) {
  typename F::Info info{};
  if (name.size() >= sizeof(info.name)) {
    errno = ENAMETOOLONG;
    return Fail("table " + name, err);
  }
  // The table may change between the two calls (EAGAIN): ask again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::memcpy(info.name, name.data(), name.size());
    socklen_t len = sizeof(info);
    if (getsockopt(fd, F::kLevel, F::kGetInfo, &info, &len) < 0) {
      return Fail("table " + name + ": get info", err);
    }
    const size_t total = sizeof(typename F::Entries) + info.size;
    std::vector<uint64_t> storage((total + 7) / 8);  // aligned for entries
    auto* entries = reinterpret_cast<typename F::Entries*>(storage.data());
    std::memcpy(entries->name, name.data(), name.size());
    entries->size = info.size;
    len = static_cast<socklen_t>(total);
    if (getsockopt(fd, F::kLevel, F::kGetEntries, entries, &len) < 0) {
      if (errno == EAGAIN) continue;
      return Fail("table " + name + ": get entries", err);
    }
    auto* base = reinterpret_cast<unsigned char*>(entries->entrytable);
    for (size_t off = 0; off + sizeof(typename F::Entry) <= info.size;) {
      auto* e = reinterpret_cast<typename F::Entry*>(base + off);
      e->counters = {};  // traffic, not rules
      e->comefrom = 0;   // the kernel's bookkeeping
      if (e->next_offset < sizeof(typename F::Entry)) break;
      off += e->next_offset;
    }
    blob->append(name).push_back('\0');
    blob->append(reinterpret_cast<const char*>(&info.valid_hooks),
                 sizeof(info) - offsetof(typename F::Info, valid_hooks));
    blob->append(reinterpret_cast<const char*>(base), info.size);
    return true;
  }
  return Fail("table " + name + ": kept changing", err);
}

template <typename F>
bool AppendFamily(const std::string& proc, std::string* blob,
                  std::string* err) {
  std::string names, read_err;
  if (!ReadWholeFile(proc + F::kNames, &names, &read_err) || names.empty()) {
    return true;  // no legacy table in this namespace (or no such module)
  }
  int fd = socket(F::kDomain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(F::kDomain == AF_INET ? "socket" : "socket6", err);
  FdCloser closer{fd};
  std::istringstream in(names);
  std::string name;
  while (in >> name) {
    if (!AppendTable<F>(fd, name, blob, err)) return false;
  }
  return true;
}

}  // namespace

bool ReadXtablesFingerprint(const std::string& proc, uint64_t* fingerprint,
                            std::string* err) {
  std::string blob;
  if (!AppendFamily<Ipv4>(proc, &blob, err)) return false;
  blob.push_back('\n');
  if (!AppendFamily<Ipv6>(proc, &blob, err)) return false;
  *fingerprint = blob.size() == 1 ? 0 : std::hash<std::string_view>()(blob) | 1;
  return true;
}

}  // namespace mailflow::firewall
