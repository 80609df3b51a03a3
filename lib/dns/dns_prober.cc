#include "lib/dns/dns_prober.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace mailflow {

namespace {

using Clock = std::chrono::steady_clock;

void LibraryInit() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

int AresType(DnsType t) {
  switch (t) {
    case DnsType::kA:
      return ns_t_a;
    case DnsType::kAAAA:
      return ns_t_aaaa;
    case DnsType::kMX:
      return ns_t_mx;
    case DnsType::kPTR:
      return ns_t_ptr;
  }
  return ns_t_a;
}

}  // namespace

const char* DnsResultName(DnsResult r) {
  switch (r) {
    case DnsResult::kOk:
      return "ok";
    case DnsResult::kNxdomain:
      return "nxdomain";
    case DnsResult::kNodata:
      return "nodata";
    case DnsResult::kServfail:
      return "servfail";
    case DnsResult::kRefused:
      return "refused";
    case DnsResult::kTimeout:
      return "timeout";
    case DnsResult::kOther:
      return "other";
  }
  return "other";
}

std::vector<std::string> PreferredMxHosts(std::vector<MxRecord> mx, size_t n) {
  std::stable_sort(mx.begin(), mx.end(), [](const auto& x, const auto& y) {
    return x.preference < y.preference;
  });
  std::vector<std::string> hosts;
  for (auto& m : mx) {
    if (hosts.size() >= n) break;
    if (!m.host.empty()) hosts.push_back(std::move(m.host));
  }
  return hosts;
}

const char* DnsTypeName(DnsType t) {
  switch (t) {
    case DnsType::kA:
      return "A";
    case DnsType::kAAAA:
      return "AAAA";
    case DnsType::kMX:
      return "MX";
    case DnsType::kPTR:
      return "PTR";
  }
  return "A";
}

std::string ReverseName(const std::string& address) {
  unsigned char b[16];
  char buf[80];
  if (inet_pton(AF_INET, address.c_str(), b) == 1) {
    snprintf(buf, sizeof buf, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1],
             b[0]);
    return buf;
  }
  if (inet_pton(AF_INET6, address.c_str(), b) == 1) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += hex[b[i] & 0xf];
      out += '.';
      out += hex[b[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return "";
}

struct DnsProber::Channel {
  DnsProber* prober = nullptr;
  ares_channel channel = nullptr;
  NameServer server;
};

struct DnsProber::InFlight {
  DnsProber* prober;
  Pending query;
  Clock::time_point sent;
};

DnsProber::DnsProber(Options options) : options_(options) {}

DnsProber::~DnsProber() {
  cancelling_ = true;
  for (auto& c : channels_) {
    if (c->channel) ares_destroy(c->channel);  // callbacks: ARES_EDESTRUCTION
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

Status DnsProber::Init(const std::vector<NameServer>& resolvers) {
  LibraryInit();
  if (epoll_fd_ < 0) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
      return Status::Error(std::string("epoll_create1: ") + strerror(errno));
    }
  }
  std::string errors;
  for (const NameServer& ns : resolvers) {
    auto ch = std::make_unique<Channel>();
    ch->prober = this;
    ch->server = ns;
    struct ares_options opts;
    memset(&opts, 0, sizeof opts);
    // NOCHECKRESP: SERVFAIL/REFUSED reach the callback as such (by default
    // c-ares 1.18 tries the next server and reports ECONNREFUSED).
    opts.flags =
        ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    opts.timeout = static_cast<int>(options_.query_timeout.count());
    opts.tries = std::max(1, options_.attempts);
    opts.sock_state_cb = &DnsProber::SockStateCb;
    opts.sock_state_cb_data = ch.get();
    // Zero servers from the options: c-ares then reads no server from
    // /etc/resolv.conf; the one server is set below.
    opts.servers = nullptr;
    opts.nservers = 0;
    opts.domains = nullptr;
    opts.ndomains = 0;
    char lookups[] = "b";
    opts.lookups = lookups;
    const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
                     ARES_OPT_SOCK_STATE_CB | ARES_OPT_SERVERS |
                     ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS;
    int rc = ares_init_options(&ch->channel, &opts, mask);
    if (rc != ARES_SUCCESS) {
      ch->channel = nullptr;
      errors += "; c-ares init for " + ns.Label() + ": " + ares_strerror(rc);
    } else if ((rc = ares_set_servers_ports_csv(
                    ch->channel, ns.CsvEntry().c_str())) != ARES_SUCCESS) {
      ares_destroy(ch->channel);
      ch->channel = nullptr;
      errors += "; c-ares server " + ns.Label() + ": " + ares_strerror(rc);
    }
    // A resolver without a channel still takes Submit(); its queries end
    // at once as kOther, the others run.
    channels_.push_back(std::move(ch));
  }
  if (!errors.empty()) return Status::Error(errors.substr(2));
  return Status::OK();
}

void DnsProber::Submit(size_t resolver, DnsType type, const std::string& name,
                       Callback done) {
  if (cancelling_ || resolver >= channels_.size()) return;
  queue_.push_back({resolver, type, name, std::move(done)});
}

void DnsProber::SockStateCb(void* data, ares_socket_t fd, int readable,
                            int writable) {
  auto* ch = static_cast<Channel*>(data);
  DnsProber* p = ch->prober;
  if (!readable && !writable) {
    epoll_ctl(p->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    p->fds_.erase(fd);
    return;
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = (readable ? uint32_t{EPOLLIN} : 0u) |
              (writable ? uint32_t{EPOLLOUT} : 0u);
  ev.data.fd = fd;
  auto [it, inserted] = p->fds_.insert_or_assign(fd, ch);
  (void)it;
  if (inserted) {
    if (epoll_ctl(p->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0 &&
        errno == EEXIST) {
      epoll_ctl(p->epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    }
  } else {
    epoll_ctl(p->epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  }
}

void DnsProber::Launch(Pending p) {
  Channel* ch = channels_[p.resolver].get();
  if (!ch->channel) {
    DnsAnswer a;
    a.result = DnsResult::kOther;
    a.ares_status = "resolver unusable";
    if (p.done) p.done(a);
    return;
  }
  std::string qname = p.name;
  if (p.type == DnsType::kPTR) qname = ReverseName(p.name);
  const int type = AresType(p.type);
  auto* f = new InFlight{this, std::move(p), Clock::now()};
  ++in_flight_;
  ++sent_;
  // May call AresCallback synchronously (e.g. a bad name).
  ares_query(ch->channel, qname.c_str(), ns_c_in, type,
             &DnsProber::AresCallback, f);
}

namespace {

// The numeric addresses of an A or AAAA answer (c-ares's `parse`, at most 64).
template <typename Ttl, typename Parse, typename AddressOf>
int ParseAddresses(Parse parse, const unsigned char* abuf, int alen, int family,
                   AddressOf address_of, std::vector<std::string>* out) {
  Ttl ttls[64];
  int n = 64;
  const int rc = parse(abuf, alen, nullptr, ttls, &n);
  if (rc != ARES_SUCCESS) return rc;
  char buf[INET6_ADDRSTRLEN];
  for (int i = 0; i < n; ++i) {
    inet_ntop(family, address_of(ttls[i]), buf, sizeof buf);
    out->push_back(buf);
  }
  return rc;
}

}  // namespace

void InterpretDnsResponse(DnsType type, const std::string& name,
                          const unsigned char* abuf, int alen, DnsAnswer* out) {
  DnsAnswer& a = *out;
  a.responded = true;
  a.rcode = abuf[3] & 0x0f;
  const int ancount = (abuf[6] << 8) | abuf[7];
  switch (a.rcode) {
    case ns_r_noerror:
      a.result = ancount > 0 ? DnsResult::kOk : DnsResult::kNodata;
      break;
    case ns_r_servfail:
      a.result = DnsResult::kServfail;
      break;
    case ns_r_nxdomain:
      a.result = DnsResult::kNxdomain;
      break;
    case ns_r_refused:
      a.result = DnsResult::kRefused;
      break;
    default:
      a.result = DnsResult::kOther;
      break;
  }
  if (a.result == DnsResult::kOk) {
    int prc = ARES_SUCCESS;
    switch (type) {
      case DnsType::kMX: {
        struct ares_mx_reply* mx = nullptr;
        prc = ares_parse_mx_reply(abuf, alen, &mx);
        if (prc == ARES_SUCCESS) {
          for (auto* m = mx; m; m = m->next) {
            std::string host = m->host ? m->host : "";
            if (host == ".") host.clear();
            a.mx.push_back({m->priority, host});
          }
          ares_free_data(mx);
        }
        break;
      }
      case DnsType::kA:
        prc = ParseAddresses<ares_addrttl>(
            ares_parse_a_reply, abuf, alen, AF_INET,
            [](const ares_addrttl& t) { return &t.ipaddr; }, &a.addresses);
        break;
      case DnsType::kAAAA:
        prc = ParseAddresses<ares_addr6ttl>(
            ares_parse_aaaa_reply, abuf, alen, AF_INET6,
            [](const ares_addr6ttl& t) { return &t.ip6addr; }, &a.addresses);
        break;
      case DnsType::kPTR: {
        unsigned char addr[16];
        int family = AF_INET, len = 4;
        if (inet_pton(AF_INET, name.c_str(), addr) != 1) {
          family = AF_INET6;
          len = 16;
          inet_pton(AF_INET6, name.c_str(), addr);
        }
        struct hostent* he = nullptr;
        prc = ares_parse_ptr_reply(abuf, alen, addr, len, family, &he);
        if (prc == ARES_SUCCESS && he) {
          if (he->h_name) a.names.push_back(he->h_name);
          for (char** al = he->h_aliases; al && *al; ++al) {
            if (std::find(a.names.begin(), a.names.end(), *al) ==
                a.names.end()) {
              a.names.push_back(*al);
            }
          }
          ares_free_hostent(he);
        }
        break;
      }
    }
    // Answers present, but none of the asked type (e.g. only a CNAME).
    if (prc == ARES_ENODATA)
      a.result = DnsResult::kNodata;
    else if (prc != ARES_SUCCESS)
      a.result = DnsResult::kOther;
  }
}

void DnsProber::AresCallback(void* arg, int status, int timeouts,
                             unsigned char* abuf, int alen) {
  (void)timeouts;
  std::unique_ptr<InFlight> f(static_cast<InFlight*>(arg));
  DnsProber* self = f->prober;
  --self->in_flight_;
  if (status == ARES_EDESTRUCTION) return;
  DnsAnswer a;
  a.seconds = std::chrono::duration<double>(Clock::now() - f->sent).count();
  if (status != ARES_SUCCESS) a.ares_status = ares_strerror(status);
  if (abuf && alen >= 12 && status != ARES_ETIMEOUT &&
      status != ARES_ECANCELLED) {
    InterpretDnsResponse(f->query.type, f->query.name, abuf, alen, &a);
  } else {
    switch (status) {
      case ARES_ETIMEOUT:
      case ARES_ECANCELLED:  // cut by the round deadline
        a.result = DnsResult::kTimeout;
        break;
      case ARES_ECONNREFUSED:  // ICMP port unreachable: nothing listens
        a.result = DnsResult::kRefused;
        break;
      default:
        a.result = DnsResult::kOther;
        break;
    }
  }
  if (f->query.done) f->query.done(a);
}

Status DnsProber::Run(Deadline deadline, const std::atomic<bool>* stop,
                      int wake_fd) {
  if (epoll_fd_ < 0) return Status::Error("DnsProber: Init() not called");
  bool wake_registered = false;
  if (wake_fd >= 0) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = wake_fd;
    wake_registered = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd, &ev) == 0;
  }
  cancelling_ = false;
  Status status;
  struct epoll_event events[64];
  while (true) {
    while (in_flight_ < options_.max_in_flight && !queue_.empty()) {
      Pending p = std::move(queue_.front());
      queue_.pop_front();
      Launch(std::move(p));
    }
    if (in_flight_ == 0 && queue_.empty()) break;
    if (deadline.Expired() || (stop && stop->load())) break;
    // Wait until the earliest c-ares timeout, the deadline, or 100 ms.
    auto wait = std::min<Clock::duration>(deadline.Remaining(),
                                          std::chrono::milliseconds(100));
    for (auto& c : channels_) {
      if (!c->channel) continue;
      struct timeval max_tv, tv;
      max_tv.tv_sec = 0;
      max_tv.tv_usec = 100000;
      struct timeval* t = ares_timeout(c->channel, &max_tv, &tv);
      auto d = std::chrono::seconds(t->tv_sec) +
               std::chrono::microseconds(t->tv_usec);
      wait = std::min<Clock::duration>(wait, d);
    }
    const int ms = static_cast<int>(
        std::chrono::ceil<std::chrono::milliseconds>(wait).count());
    const int n = epoll_wait(epoll_fd_, events, 64, ms);
    if (n < 0 && errno != EINTR) {
      status = Status::Error(std::string("epoll_wait: ") + strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd) continue;  // the stop flag is checked above
      auto it = fds_.find(fd);
      if (it == fds_.end()) continue;
      const uint32_t e = events[i].events;
      const bool r = e & (EPOLLIN | EPOLLERR | EPOLLHUP);
      const bool w = e & EPOLLOUT;
      ares_process_fd(it->second->channel, r ? fd : ARES_SOCKET_BAD,
                      w ? fd : ARES_SOCKET_BAD);
    }
    // Timeouts (and retries) of every channel.
    for (auto& c : channels_) {
      if (c->channel) {
        ares_process_fd(c->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      }
    }
  }
  // Deadline or stop: answer what is in flight as timed out, drop the rest.
  skipped_ += queue_.size();
  queue_.clear();
  cancelling_ = true;
  if (in_flight_ > 0) {
    for (auto& c : channels_) {
      if (c->channel) ares_cancel(c->channel);
    }
  }
  skipped_ += queue_.size();
  queue_.clear();
  if (wake_registered) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, wake_fd, nullptr);
  cancelling_ = false;
  return status;
}

}  // namespace mailflow
