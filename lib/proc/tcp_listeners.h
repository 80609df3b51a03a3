// TcpListeners: the listening TCP sockets of this network namespace, from
// the kernel's socket diagnostics (what `ss -lt` asks).
#pragma once

#include <string>
#include <vector>

#include "lib/proc/proc_net_tcp.h"

namespace mailflow {

/// Appends every TCP socket in state LISTEN of the calling thread's network
/// namespace, IPv4 and IPv6, to `out`: one NETLINK_SOCK_DIAG dump per family
/// (libmnl) filtered by the kernel to LISTEN, so the cost follows the
/// listening sockets, not the connections. /proc/net/tcp, by contrast, walks
/// the whole connection hash table (about a millisecond on an idle host,
/// more with every established or TIME_WAIT connection). No privilege
/// needed. An address family the kernel does not offer (IPv6 disabled) is
/// skipped. Fails with a message naming the step and errno. Thread-safe.
bool DumpTcpListeners(std::vector<ListeningSocket>* out, std::string* err);

/// Whether `proc_root` is a mounted procfs (statfs), i.e. the real
/// /proc/net/tcp and DumpTcpListeners() describe the same sockets; a fixture
/// tree is not.
bool IsProcfs(const std::string& proc_root);

}  // namespace mailflow
