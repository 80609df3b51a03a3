#include "collectors/smtp/smtp_prober.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>

#include "collectors/smtp/smtp_reply.h"

namespace mailflow {

std::string_view ProbeResultName(ProbeResult r) {
  switch (r) {
    case ProbeResult::kOk: return "ok";
    case ProbeResult::kRefused: return "refused";
    case ProbeResult::kTimeout: return "timeout";
    case ProbeResult::kUnreachable: return "unreachable";
    case ProbeResult::kBannerTimeout: return "banner_timeout";
    case ProbeResult::kBannerError: return "banner_error";
    case ProbeResult::kTlsError: return "tls_error";
    case ProbeResult::kProtocolError: return "protocol_error";
    case ProbeResult::kError: return "error";
  }
  return "error";
}

std::string_view ProbePhaseName(ProbePhase p) {
  switch (p) {
    case ProbePhase::kConnect: return "connect";
    case ProbePhase::kBanner: return "banner";
    case ProbePhase::kEhlo: return "ehlo";
    case ProbePhase::kStartTls: return "starttls";
  }
  return "connect";
}

namespace {

using Clock = std::chrono::steady_clock;

// Bytes read from one peer before the dialogue is called malformed.
constexpr size_t kMaxInput = 64 * 1024;
// How long QUIT may wait for its 221 (the result is decided by then).
constexpr auto kQuitGrace = std::chrono::milliseconds(1000);

enum class State {
  kConnecting,
  kTlsImplicit,   // handshake before the greeting (port 465)
  kBanner,
  kEhlo,          // EHLO written/being written, reading its reply
  kStartTlsCmd,   // STARTTLS written, reading its 220
  kTlsStartTls,   // handshake after STARTTLS
  kQuit,          // QUIT written, waiting for 221 or close
  kDone,
};

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

bool IsUnreachableErrno(int e) {
  return e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN ||
         e == ENETDOWN || e == EACCES || e == EPERM;
}

std::string Errno(const char* what, int e) {
  return std::string(what) + ": " + std::strerror(e);
}

std::string SslErrorText(const char* what) {
  unsigned long e = ERR_get_error();
  std::string s = what;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    s += ": ";
    s += buf;
  }
  ERR_clear_error();
  return s;
}

bool IsIpLiteral(const std::string& s) {
  Endpoint e;
  return ParseIpLiteral(s, 0, &e);
}

struct Conn {
  const ProbeSpec* spec = nullptr;
  ProbeOutcome* out = nullptr;
  int fd = -1;
  SSL* ssl = nullptr;
  State state = State::kConnecting;
  Clock::time_point start, phase_start, deadline;
  std::string in;
  std::string pending;  // bytes still to write
  bool want_read = false;
  bool want_write = false;
  uint32_t registered = 0;  // epoll events currently registered
};

class Batch {
 public:
  Batch(const std::vector<ProbeSpec>& specs, const ProbeBatchOptions& options,
        std::vector<ProbeOutcome>* out)
      : specs_(specs), options_(options), out_(out) {}

  ~Batch() {
    for (auto& c : conns_) Close(&c);
    if (epfd_ >= 0) close(epfd_);
    if (ctx_) SSL_CTX_free(ctx_);
  }

  void Run() {
    out_->assign(specs_.size(), ProbeOutcome());
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
      for (auto& o : *out_) o.detail = Errno("epoll_create1", errno);
      return;
    }
    conns_.resize(specs_.size());
    size_t next = 0;
    size_t active = 0;
    size_t done = 0;
    const size_t limit =
        static_cast<size_t>(std::max(1, options_.max_concurrency));
    std::vector<epoll_event> events(std::min<size_t>(limit, 256));
    while (done < specs_.size()) {
      // Fill free slots.
      while (active < limit && next < specs_.size()) {
        Conn* c = &conns_[next];
        c->spec = &specs_[next];
        c->out = &(*out_)[next];
        ++next;
        Begin(c);
        if (c->state == State::kDone) {
          ++done;
        } else {
          ++active;
        }
      }
      if (active == 0) continue;
      const bool stopping =
          options_.stop && options_.stop->load(std::memory_order_relaxed);
      const auto now = Clock::now();
      // Expire overdue connections (also every one, on stop or deadline).
      Clock::time_point earliest = Clock::time_point::max();
      for (size_t i = 0; i < next; ++i) {
        Conn* c = &conns_[i];
        if (c->state == State::kDone) continue;
        if (stopping || now >= c->deadline || options_.deadline.Expired()) {
          Expire(c, stopping);
          if (c->state != State::kDone) {
            Step(c, 0);  // writes QUIT
            if (c->state != State::kDone) Rearm(c);
          }
          if (c->state == State::kDone) {
            --active;
            ++done;
          }
          continue;
        }
        earliest = std::min(earliest, c->deadline);
      }
      if (active == 0) continue;
      earliest = std::min(earliest, options_.deadline.at());
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                      earliest - Clock::now())
                      .count() + 1;
      wait = std::clamp<long>(wait, 0, 100);  // re-check `stop` often
      int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()),
                         static_cast<int>(wait));
      if (n < 0 && errno != EINTR) break;
      for (int i = 0; i < n; ++i) {
        Conn* c = &conns_[events[i].data.u64];
        if (c->state == State::kDone) continue;
        Step(c, events[i].events);
        if (c->state == State::kDone) {
          --active;
          ++done;
        } else {
          Rearm(c);
        }
      }
    }
  }

 private:
  SSL_CTX* Context() {
    if (!ctx_) {
      ctx_ = SSL_CTX_new(TLS_client_method());
      if (ctx_) {
        // A probe measures reachability and expiry; it does not judge the
        // chain (Postfix's opportunistic TLS does not either).
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
        SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
      }
    }
    return ctx_;
  }

  void Begin(Conn* c) {
    c->start = c->phase_start = Clock::now();
    auto connect_limit = c->start + c->spec->connect_timeout;
    auto overall = c->start + c->spec->timeout;
    c->deadline = std::min(connect_limit, overall);
    const Endpoint& ep = c->spec->endpoint;
    c->fd = socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0);
    if (c->fd < 0) {
      Finish(c, ProbeResult::kError, Errno("socket", errno));
      return;
    }
    int rc = connect(c->fd, reinterpret_cast<const sockaddr*>(&ep.addr),
                     ep.addr_len);
    if (rc == 0) {
      Connected(c);
    } else if (errno == EINPROGRESS) {
      c->want_write = true;
    } else {
      ConnectFailed(c, errno);
      return;
    }
    if (c->state == State::kDone) return;
    Rearm(c);
  }

  void ConnectFailed(Conn* c, int e) {
    ProbeResult r = ProbeResult::kError;
    if (e == ECONNREFUSED || e == ECONNRESET) {
      r = ProbeResult::kRefused;
    } else if (e == ETIMEDOUT) {
      r = ProbeResult::kTimeout;
    } else if (IsUnreachableErrno(e)) {
      r = ProbeResult::kUnreachable;
    }
    Finish(c, r, Errno("connect", e));
  }

  void Rearm(Conn* c) {
    if (c->fd < 0) return;
    uint32_t ev = (c->want_read ? uint32_t{EPOLLIN} : 0u) |
                  (c->want_write ? uint32_t{EPOLLOUT} : 0u);
    if (ev == 0) ev = EPOLLIN;  // always hear about resets
    epoll_event e{};
    e.events = ev;
    e.data.u64 = static_cast<uint64_t>(c - conns_.data());
    if (c->registered == 0) {
      if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c->fd, &e) == 0) c->registered = ev;
    } else if (c->registered != ev) {
      if (epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &e) == 0) c->registered = ev;
    }
  }

  void Close(Conn* c) {
    if (c->ssl) {
      SSL_free(c->ssl);
      c->ssl = nullptr;
    }
    if (c->fd >= 0) {
      close(c->fd);  // also removes it from the epoll set
      c->fd = -1;
    }
  }

  void Finish(Conn* c, ProbeResult r, std::string detail) {
    c->out->result = r;
    if (!detail.empty()) c->out->detail = std::move(detail);
    c->out->total_seconds = Seconds(Clock::now() - c->start);
    Close(c);
    c->state = State::kDone;
  }

  // Records the result and drops the connection at once (no QUIT): the
  // dialogue is broken.
  void Abandon(Conn* c, ProbeResult r, std::string detail) {
    c->out->detail.clear();
    Finish(c, r, std::move(detail));
  }

  // Records the result, then says QUIT politely (bounded by kQuitGrace).
  void Conclude(Conn* c, ProbeResult r, std::string detail) {
    c->out->result = r;
    c->out->detail = std::move(detail);
    c->out->total_seconds = Seconds(Clock::now() - c->start);
    if (c->fd < 0) {
      c->state = State::kDone;
      return;
    }
    c->state = State::kQuit;
    c->in.clear();
    c->pending = "QUIT\r\n";
    c->deadline = std::min(c->start + c->spec->timeout,
                           Clock::now() + kQuitGrace);
    if (c->deadline <= Clock::now()) {
      c->deadline = Clock::now() + std::chrono::milliseconds(50);
    }
  }

  void EndPhase(Conn* c, ProbePhase p) {
    auto now = Clock::now();
    c->out->phase_seconds[static_cast<int>(p)] = Seconds(now - c->phase_start);
    c->phase_start = now;
  }

  void Connected(Conn* c) {
    EndPhase(c, ProbePhase::kConnect);
    c->out->connected = true;
    c->deadline = c->start + c->spec->timeout;
    c->want_write = false;
    if (c->spec->connect_only) {
      Finish(c, ProbeResult::kOk, "");
      return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (c->spec->tls == TlsMode::kImplicit) {
      StartTls(c, State::kTlsImplicit);
    } else {
      c->state = State::kBanner;
      c->want_read = true;
    }
  }

  void StartTls(Conn* c, State state) {
    SSL_CTX* ctx = Context();
    c->ssl = ctx ? SSL_new(ctx) : nullptr;
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
      Conclude(c, ProbeResult::kError, SslErrorText("TLS setup"));
      return;
    }
    const std::string& sni = c->spec->server_name;
    if (!sni.empty() && !IsIpLiteral(sni)) {
      SSL_set_tlsext_host_name(c->ssl, sni.c_str());
    }
    c->state = state;
  }

  // Timeout (or stop/batch deadline) in the current state.
  void Expire(Conn* c, bool stopping) {
    const char* why = stopping ? "probe cancelled (shutdown)" : nullptr;
    switch (c->state) {
      case State::kConnecting:
        Finish(c, ProbeResult::kTimeout,
               why ? why : "connect: no answer to SYN before the timeout");
        break;
      case State::kBanner:
        Conclude(c, ProbeResult::kBannerTimeout,
                 why ? why : "no greeting before the timeout");
        break;
      case State::kStartTlsCmd:
        Conclude(c, ProbeResult::kTlsError,
                 why ? why : "no STARTTLS reply before the timeout");
        break;
      case State::kTlsImplicit:
      case State::kTlsStartTls:
        // No QUIT in the middle of a handshake.
        Finish(c, ProbeResult::kTlsError,
               why ? why : "TLS handshake did not complete before the timeout");
        return;
      case State::kEhlo:
        Conclude(c, ProbeResult::kProtocolError,
                 why ? why : "no EHLO reply before the timeout");
        break;
      case State::kQuit:
      case State::kDone:
        Close(c);
        c->state = State::kDone;
        return;
    }
    if (stopping || options_.deadline.Expired()) {
      Close(c);
      c->state = State::kDone;
    }
  }

  // --- I/O helpers: return 1 progress/complete, 0 would block, -1 error.

  int Flush(Conn* c, std::string* err) {
    while (!c->pending.empty()) {
      ssize_t n;
      if (c->ssl) {
        ERR_clear_error();
        int r = SSL_write(c->ssl, c->pending.data(),
                          static_cast<int>(c->pending.size()));
        if (r <= 0) {
          int e = SSL_get_error(c->ssl, r);
          if (e == SSL_ERROR_WANT_WRITE) {
            c->want_write = true;
            return 0;
          }
          if (e == SSL_ERROR_WANT_READ) {
            c->want_read = true;
            return 0;
          }
          *err = SslErrorText("TLS write");
          return -1;
        }
        n = r;
      } else {
        n = send(c->fd, c->pending.data(), c->pending.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->want_write = true;
            return 0;
          }
          if (errno == EINTR) continue;
          *err = Errno("write", errno);
          return -1;
        }
      }
      c->pending.erase(0, static_cast<size_t>(n));
    }
    return 1;
  }

  // Reads until a full reply is buffered. 1: `*reply` set; 0: blocked;
  // -1: error/EOF/malformed (`*err`).
  int ReadReply(Conn* c, SmtpReply* reply, std::string* err) {
    while (true) {
      size_t used = 0;
      ReplyStatus st = ParseSmtpReply(c->in, reply, &used);
      if (st == ReplyStatus::kComplete) {
        c->in.erase(0, used);
        return 1;
      }
      if (st == ReplyStatus::kMalformed) {
        *err = "malformed reply";
        return -1;
      }
      if (c->in.size() > kMaxInput) {
        *err = "reply too long";
        return -1;
      }
      char buf[4096];
      ssize_t n;
      if (c->ssl) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, sizeof(buf));
        if (r <= 0) {
          int e = SSL_get_error(c->ssl, r);
          if (e == SSL_ERROR_WANT_READ) {
            c->want_read = true;
            return 0;
          }
          if (e == SSL_ERROR_WANT_WRITE) {
            c->want_write = true;
            return 0;
          }
          if (e == SSL_ERROR_ZERO_RETURN) {
            *err = "connection closed";
            return -1;
          }
          *err = SslErrorText("TLS read");
          return -1;
        }
        n = r;
      } else {
        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->want_read = true;
            return 0;
          }
          if (errno == EINTR) continue;
          *err = Errno("read", errno);
          return -1;
        }
        if (n == 0) {
          *err = "connection closed";
          return -1;
        }
      }
      c->in.append(buf, static_cast<size_t>(n));
    }
  }

  // Writes `c->pending`, then reads one reply.
  int Exchange(Conn* c, SmtpReply* reply, std::string* err) {
    int w = Flush(c, err);
    if (w <= 0) return w;
    return ReadReply(c, reply, err);
  }

  int Handshake(Conn* c, std::string* err) {
    ERR_clear_error();
    int r = SSL_connect(c->ssl);
    if (r == 1) return 1;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
      c->want_read = true;
      return 0;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      c->want_write = true;
      return 0;
    }
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
      *err = "TLS handshake: connection closed";
      ERR_clear_error();
      return -1;
    }
    *err = SslErrorText("TLS handshake");
    return -1;
  }

  void TlsDone(Conn* c) {
    EndPhase(c, ProbePhase::kStartTls);
    c->out->tls_established = true;
    if (X509* cert = SSL_get1_peer_certificate(c->ssl)) {
      struct tm tm {};
      if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
        c->out->cert_not_after = static_cast<double>(timegm(&tm));
      }
      X509_free(cert);
    }
  }

  void SendEhlo(Conn* c) {
    c->state = State::kEhlo;
    c->pending = "EHLO " + c->spec->ehlo_name + "\r\n";
  }

  void Step(Conn* c, uint32_t events) {
    c->want_read = c->want_write = false;
    if (c->state == State::kConnecting) {
      int e = 0;
      socklen_t len = sizeof(e);
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0) e = errno;
      if (e != 0) {
        ConnectFailed(c, e);
        return;
      }
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        c->want_write = true;
        return;
      }
      Connected(c);
      if (c->state == State::kDone) return;
    }
    // Advance through as many states as the socket allows right now.
    for (int guard = 0; guard < 16; ++guard) {
      std::string err;
      SmtpReply reply;
      switch (c->state) {
        case State::kConnecting:
        case State::kDone:
          return;
        case State::kTlsImplicit: {
          int r = Handshake(c, &err);
          if (r == 0) return;
          if (r < 0) {
            Abandon(c, ProbeResult::kTlsError, err);
            return;
          }
          TlsDone(c);
          c->state = State::kBanner;
          break;
        }
        case State::kBanner: {
          int r = ReadReply(c, &reply, &err);
          if (r == 0) return;
          if (r < 0) {
            Abandon(c, ProbeResult::kBannerError, "greeting: " + err);
            return;
          }
          c->out->banner_code = reply.code;
          EndPhase(c, ProbePhase::kBanner);
          if (reply.code != 220) {
            Conclude(c, ProbeResult::kBannerError,
                     "greeting: " + ReplySummary(reply));
            break;
          }
          SendEhlo(c);
          break;
        }
        case State::kEhlo: {
          int r = Exchange(c, &reply, &err);
          if (r == 0) return;
          if (r < 0) {
            Abandon(c, ProbeResult::kProtocolError, "EHLO: " + err);
            return;
          }
          if (reply.code != 250) {
            Conclude(c, ProbeResult::kProtocolError,
                     "EHLO: " + ReplySummary(reply));
            break;
          }
          if (c->out->phase_seconds[static_cast<int>(ProbePhase::kEhlo)] < 0) {
            EndPhase(c, ProbePhase::kEhlo);
          }
          if (!c->ssl) c->out->starttls_offered = EhloOffers(reply, "STARTTLS");
          if (c->spec->tls == TlsMode::kStartTls && !c->ssl &&
              c->out->starttls_offered) {
            c->state = State::kStartTlsCmd;
            c->pending = "STARTTLS\r\n";
            break;
          }
          Conclude(c, ProbeResult::kOk, "");
          break;
        }
        case State::kStartTlsCmd: {
          int r = Exchange(c, &reply, &err);
          if (r == 0) return;
          if (r < 0) {
            Abandon(c, ProbeResult::kTlsError, "STARTTLS: " + err);
            return;
          }
          if (reply.code != 220) {
            Conclude(c, ProbeResult::kTlsError,
                     "STARTTLS: " + ReplySummary(reply));
            break;
          }
          StartTls(c, State::kTlsStartTls);
          break;
        }
        case State::kTlsStartTls: {
          int r = Handshake(c, &err);
          if (r == 0) return;
          if (r < 0) {
            Abandon(c, ProbeResult::kTlsError, err);
            return;
          }
          TlsDone(c);
          // RFC 3207: the session starts over; EHLO again, then QUIT.
          SendEhlo(c);
          break;
        }
        case State::kQuit: {
          int r = Exchange(c, &reply, &err);
          if (r == 0) return;
          Close(c);
          c->state = State::kDone;
          return;
        }
      }
      if (c->state == State::kDone) return;
    }
    // Not expected (each state blocks or moves on); keep epoll interest.
    c->want_read = true;
  }

  const std::vector<ProbeSpec>& specs_;
  const ProbeBatchOptions& options_;
  std::vector<ProbeOutcome>* out_;
  std::vector<Conn> conns_;
  int epfd_ = -1;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace

std::vector<ProbeOutcome> RunProbes(const std::vector<ProbeSpec>& specs,
                                    const ProbeBatchOptions& options) {
  std::vector<ProbeOutcome> out;
  Batch batch(specs, options, &out);
  batch.Run();
  return out;
}

}  // namespace mailflow
