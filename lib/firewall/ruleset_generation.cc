// The nftables generation id through libmnl and libnftnl.
#include "lib/firewall/ruleset_generation.h"

#include <libmnl/libmnl.h>
#include <libnftnl/gen.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace mailflow::firewall {

namespace {

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
struct GenFree {
  void operator()(nftnl_gen* g) const { nftnl_gen_free(g); }
};

struct Reply {
  bool found = false;
  uint32_t id = 0;
};

int OnGeneration(const nlmsghdr* nlh, void* data) {
  auto* reply = static_cast<Reply*>(data);
  std::unique_ptr<nftnl_gen, GenFree> gen(nftnl_gen_alloc());
  if (!gen || nftnl_gen_nlmsg_parse(nlh, gen.get()) < 0 ||
      !nftnl_gen_is_set(gen.get(), NFTNL_GEN_ID)) {
    return MNL_CB_ERROR;
  }
  reply->id = nftnl_gen_get_u32(gen.get(), NFTNL_GEN_ID);
  reply->found = true;
  return MNL_CB_OK;
}

bool Fail(const char* step, std::string* err) {
  *err =
      std::string("nftables generation: ") + step + ": " + std::strerror(errno);
  return false;
}

}  // namespace

bool ReadNftGeneration(uint32_t* generation, std::string* err) {
  std::unique_ptr<mnl_socket, SocketCloser> nl(
      mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!nl) return Fail("netlink socket", err);
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return Fail("bind", err);
  }
  // The kernel answers at once; the timeout only bounds the unexpected.
  timeval timeout{1, 0};
  setsockopt(mnl_socket_get_fd(nl.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout,
             sizeof(timeout));
  char buf[MNL_SOCKET_BUFFER_SIZE];
  const uint32_t seq = 1;
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, seq);
  if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0) {
    return Fail("send", err);
  }
  const unsigned int portid = mnl_socket_get_portid(nl.get());
  Reply reply;
  // The reply, then the ACK (MNL_CB_STOP); an error is an nlmsgerr (-1).
  for (int round = 0; round < 4; ++round) {
    ssize_t n = mnl_socket_recvfrom(nl.get(), buf, sizeof(buf));
    if (n < 0) return Fail("receive", err);
    int rc = mnl_cb_run(buf, static_cast<size_t>(n), seq, portid, OnGeneration,
                        &reply);
    if (rc < 0) return Fail("NFT_MSG_GETGEN", err);
    if (rc == MNL_CB_STOP) break;
  }
  if (!reply.found) {
    *err = "nftables generation: no NFT_MSG_NEWGEN in the kernel's reply";
    return false;
  }
  *generation = reply.id;
  return true;
}

}  // namespace mailflow::firewall
