// RunProbes and the Batch event loop: slots, deadlines, epoll, and the
// life of each connection (connect, finish, QUIT, expiry).
#include "lib/smtp/smtp_prober.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "lib/smtp/smtp_prober_internal.h"

namespace mailflow {

std::string_view ProbeResultName(ProbeResult r) {
  switch (r) {
    case ProbeResult::kOk:
      return "ok";
    case ProbeResult::kRefused:
      return "refused";
    case ProbeResult::kTimeout:
      return "timeout";
    case ProbeResult::kUnreachable:
      return "unreachable";
    case ProbeResult::kBannerTimeout:
      return "banner_timeout";
    case ProbeResult::kBannerError:
      return "banner_error";
    case ProbeResult::kTlsError:
      return "tls_error";
    case ProbeResult::kProtocolError:
      return "protocol_error";
    case ProbeResult::kError:
      return "error";
  }
  return "error";
}

std::string_view ProbePhaseName(ProbePhase p) {
  switch (p) {
    case ProbePhase::kConnect:
      return "connect";
    case ProbePhase::kBanner:
      return "banner";
    case ProbePhase::kEhlo:
      return "ehlo";
    case ProbePhase::kStartTls:
      return "starttls";
  }
  return "connect";
}

namespace smtp_prober_internal {

namespace {

bool IsUnreachableErrno(int e) {
  return e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN ||
         e == ENETDOWN || e == EACCES || e == EPERM;
}

}  // namespace

std::string Errno(const char* what, int e) {
  return std::string(what) + ": " + std::strerror(e);
}

Batch::~Batch() {
  for (auto& c : conns_) Close(&c);
  if (epfd_ >= 0) close(epfd_);
  if (ctx_) SSL_CTX_free(ctx_);
}

void Batch::Run() {
  out_->assign(specs_.size(), ProbeOutcome());
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    for (auto& o : *out_) o.detail = Errno("epoll_create1", errno);
    return;
  }
  conns_.resize(specs_.size());
  Progress p;
  const size_t limit =
      static_cast<size_t>(std::max(1, options_.max_concurrency));
  std::vector<epoll_event> events(std::min<size_t>(limit, 256));
  while (p.done < specs_.size()) {
    StartConnections(limit, &p);
    if (p.active == 0) continue;
    Clock::time_point earliest = ExpireOverdue(&p);
    if (p.active == 0) continue;
    earliest = std::min(earliest, options_.deadline.at());
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                    earliest - Clock::now())
                    .count() +
                1;
    wait = std::clamp<long>(wait, 0, 100);  // re-check `stop` often
    int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()),
                       static_cast<int>(wait));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      Conn* c = &conns_[events[i].data.u64];
      if (c->state == State::kDone) continue;
      Step(c, events[i].events);
      if (c->state == State::kDone) {
        --p.active;
        ++p.done;
      } else {
        Rearm(c);
      }
    }
  }
}

void Batch::StartConnections(size_t limit, Progress* p) {
  while (p->active < limit && p->next < specs_.size()) {
    Conn* c = &conns_[p->next];
    c->spec = &specs_[p->next];
    c->out = &(*out_)[p->next];
    ++p->next;
    Begin(c);
    if (c->state == State::kDone) {
      ++p->done;
    } else {
      ++p->active;
    }
  }
}

Clock::time_point Batch::ExpireOverdue(Progress* p) {
  const bool stopping =
      options_.stop && options_.stop->load(std::memory_order_relaxed);
  const auto now = Clock::now();
  // Expire overdue connections (also every one, on stop or deadline).
  Clock::time_point earliest = Clock::time_point::max();
  for (size_t i = 0; i < p->next; ++i) {
    Conn* c = &conns_[i];
    if (c->state == State::kDone) continue;
    if (stopping || now >= c->deadline || options_.deadline.Expired()) {
      Expire(c, stopping);
      if (c->state != State::kDone) {
        Step(c, 0);  // writes QUIT
        if (c->state != State::kDone) Rearm(c);
      }
      if (c->state == State::kDone) {
        --p->active;
        ++p->done;
      }
      continue;
    }
    if (c->resume_at != Clock::time_point{}) {
      if (now >= c->resume_at) {
        c->resume_at = Clock::time_point{};
        c->want_read = true;
        Rearm(c);
      } else {
        earliest = std::min(earliest, c->resume_at);
      }
    }
    earliest = std::min(earliest, c->deadline);
  }
  return earliest;
}

void Batch::Begin(Conn* c) {
  c->start = c->phase_start = Clock::now();
  auto connect_limit = c->start + c->spec->connect_timeout;
  auto overall = c->start + c->spec->timeout;
  c->deadline = std::min(connect_limit, overall);
  const Endpoint& ep = c->spec->endpoint;
  c->fd =
      socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    Finish(c, ProbeResult::kError, Errno("socket", errno));
    return;
  }
  int rc =
      connect(c->fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.addr_len);
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

void Batch::ConnectFailed(Conn* c, int e) {
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

void Batch::Rearm(Conn* c) {
  if (c->fd < 0) return;
  uint32_t ev = (c->want_read ? uint32_t{EPOLLIN} : 0u) |
                (c->want_write ? uint32_t{EPOLLOUT} : 0u);
  // Always hear about resets, except while resting (EPOLLHUP and EPOLLERR
  // are reported anyway).
  if (ev == 0 && c->resume_at == Clock::time_point{}) ev = EPOLLIN;
  epoll_event e{};
  e.events = ev;
  e.data.u64 = static_cast<uint64_t>(c - conns_.data());
  if (!c->in_epoll) {
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, c->fd, &e) == 0) {
      c->in_epoll = true;
      c->registered = ev;
    }
  } else if (c->registered != ev) {
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &e) == 0) c->registered = ev;
  }
}

void Batch::Close(Conn* c) {
  if (c->ssl) {
    SSL_free(c->ssl);
    c->ssl = nullptr;
  }
  if (c->fd >= 0) {
    close(c->fd);  // also removes it from the epoll set
    c->fd = -1;
  }
}

void Batch::Finish(Conn* c, ProbeResult r, std::string detail) {
  c->out->result = r;
  if (!detail.empty()) c->out->detail = std::move(detail);
  c->out->total_seconds = Seconds(Clock::now() - c->start);
  Close(c);
  c->state = State::kDone;
}

void Batch::Abandon(Conn* c, ProbeResult r, std::string detail) {
  c->out->detail.clear();
  Finish(c, r, std::move(detail));
}

void Batch::Conclude(Conn* c, ProbeResult r, std::string detail) {
  c->out->result = r;
  c->out->detail = std::move(detail);
  c->out->total_seconds = Seconds(Clock::now() - c->start);
  if (c->fd < 0) {
    c->state = State::kDone;
    return;
  }
  c->state = State::kQuit;
  c->in.clear();
  c->parser.Reset();
  c->pending = "QUIT\r\n";
  c->deadline =
      std::min(c->start + c->spec->timeout, Clock::now() + kQuitGrace);
  if (c->deadline <= Clock::now()) {
    c->deadline = Clock::now() + std::chrono::milliseconds(50);
  }
}

void Batch::EndPhase(Conn* c, ProbePhase p) {
  auto now = Clock::now();
  c->out->phase_seconds[static_cast<int>(p)] = Seconds(now - c->phase_start);
  c->phase_start = now;
}

void Batch::Expire(Conn* c, bool stopping) {
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

}  // namespace smtp_prober_internal

using smtp_prober_internal::Batch;

std::vector<ProbeOutcome> RunProbes(const std::vector<ProbeSpec>& specs,
                                    const ProbeBatchOptions& options) {
  std::vector<ProbeOutcome> out;
  Batch batch(specs, options, &out);
  batch.Run();
  return out;
}

}  // namespace mailflow
