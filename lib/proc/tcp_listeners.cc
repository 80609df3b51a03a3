#include "lib/proc/tcp_listeners.h"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/magic.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace mailflow {

namespace {

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};

struct Dump {
  int family;
  std::vector<ListeningSocket>* out;
};

int OnSocket(const nlmsghdr* nlh, void* data) {
  auto* dump = static_cast<Dump*>(data);
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(inet_diag_msg)) {
    return MNL_CB_ERROR;
  }
  const auto* m = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(nlh));
  ListeningSocket s;
  const bool ipv6 = dump->family == AF_INET6;
  if (!SetAddress(reinterpret_cast<const unsigned char*>(m->id.idiag_src), ipv6,
                  &s)) {
    return MNL_CB_OK;
  }
  s.port = ntohs(m->id.idiag_sport);
  s.inode = m->idiag_inode;
  dump->out->push_back(std::move(s));
  return MNL_CB_OK;
}

bool Fail(const std::string& step, std::string* err) {
  *err = "socket diagnostics: " + step + ": " + std::strerror(errno);
  return false;
}

// One family's dump; *unsupported when the kernel has no such family.
bool DumpFamily(mnl_socket* nl, int family, uint32_t seq,
                std::vector<ListeningSocket>* out, bool* unsupported,
                std::string* err) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* req = static_cast<inet_diag_req_v2*>(
      mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  req->sdiag_family = static_cast<uint8_t>(family);
  req->sdiag_protocol = IPPROTO_TCP;
  req->idiag_states = 1u << TCP_LISTEN;
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
    return Fail("send", err);
  }
  const unsigned int portid = mnl_socket_get_portid(nl);
  Dump dump{family, out};
  // Bounded: a dump of 100,000 listeners takes far fewer rounds.
  for (int round = 0; round < 100000; ++round) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
    if (n < 0) return Fail("receive", err);
    int rc =
        mnl_cb_run(buf, static_cast<size_t>(n), seq, portid, OnSocket, &dump);
    if (rc == MNL_CB_STOP) return true;
    if (rc < 0) {
      if (family == AF_INET6 && (errno == ENOENT || errno == EAFNOSUPPORT)) {
        *unsupported = true;
        return true;
      }
      return Fail(family == AF_INET ? "IPv4 dump" : "IPv6 dump", err);
    }
  }
  errno = EOVERFLOW;
  return Fail("dump did not end", err);
}

}  // namespace

bool DumpTcpListeners(std::vector<ListeningSocket>* out, std::string* err) {
  std::unique_ptr<mnl_socket, SocketCloser> nl(
      mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC));
  if (!nl) return Fail("netlink socket", err);
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return Fail("bind", err);
  }
  timeval timeout{1, 0};  // the kernel answers at once
  setsockopt(mnl_socket_get_fd(nl.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout,
             sizeof(timeout));
  std::vector<ListeningSocket> found;
  bool unsupported = false;
  if (!DumpFamily(nl.get(), AF_INET, 1, &found, &unsupported, err) ||
      !DumpFamily(nl.get(), AF_INET6, 2, &found, &unsupported, err)) {
    return false;
  }
  for (auto& s : found) out->push_back(std::move(s));
  return true;
}

bool IsProcfs(const std::string& proc_root) {
  struct statfs fs;
  return statfs(proc_root.c_str(), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

}  // namespace mailflow
