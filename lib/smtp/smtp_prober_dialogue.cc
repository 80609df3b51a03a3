// Batch's SMTP dialogue: the state machine from connect to QUIT (greeting,
// EHLO, STARTTLS, handshake, EHLO again), one step per socket event.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <string>

#include "lib/smtp/smtp_prober_internal.h"
#include "lib/smtp/smtp_reply.h"

namespace mailflow::smtp_prober_internal {

void Batch::Connected(Conn* c) {
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

void Batch::SendEhlo(Conn* c) {
  c->state = State::kEhlo;
  c->pending = "EHLO " + c->spec->ehlo_name + "\r\n";
}

int Batch::ExpectReply(Conn* c, int code, ProbeResult failure, const char* what,
                       SmtpReply* reply) {
  std::string err;
  int r = Exchange(c, reply, &err);
  if (r == 0) return 0;
  if (r < 0) {
    Abandon(c, failure, std::string(what) + ": " + err);
    return -1;
  }
  if (reply->code != code) {
    Conclude(c, failure, std::string(what) + ": " + ReplySummary(*reply));
    return -1;
  }
  return 1;
}

bool Batch::FinishConnect(Conn* c, uint32_t events) {
  int e = 0;
  socklen_t len = sizeof(e);
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0) e = errno;
  if (e != 0) {
    ConnectFailed(c, e);
    return false;
  }
  if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    c->want_write = true;
    return false;
  }
  Connected(c);
  return c->state != State::kDone;
}

bool Batch::TlsStep(Conn* c) {
  std::string err;
  int r = Handshake(c, &err);
  if (r == 0) return false;
  if (r < 0) {
    Abandon(c, ProbeResult::kTlsError, err);
    return false;
  }
  TlsDone(c);
  if (c->state == State::kTlsImplicit) {
    c->state = State::kBanner;  // the greeting comes over TLS now
  } else {
    SendEhlo(c);  // RFC 3207: the session starts over; EHLO, then QUIT
  }
  return true;
}

bool Batch::BannerStep(Conn* c) {
  std::string err;
  SmtpReply reply;
  int r = ReadReply(c, &reply, &err);
  if (r == 0) return false;
  if (r < 0) {
    Abandon(c, ProbeResult::kBannerError, "greeting: " + err);
    return false;
  }
  c->out->banner_code = reply.code;
  EndPhase(c, ProbePhase::kBanner);
  if (reply.code != 220) {
    Conclude(c, ProbeResult::kBannerError, "greeting: " + ReplySummary(reply));
    return true;
  }
  SendEhlo(c);
  return true;
}

bool Batch::EhloStep(Conn* c) {
  SmtpReply reply;
  int r = ExpectReply(c, 250, ProbeResult::kProtocolError, "EHLO", &reply);
  if (r == 0) return false;
  if (r < 0) return true;
  if (c->out->phase_seconds[static_cast<int>(ProbePhase::kEhlo)] < 0) {
    EndPhase(c, ProbePhase::kEhlo);
  }
  if (!c->ssl) c->out->starttls_offered = EhloOffers(reply, "STARTTLS");
  if (c->spec->tls == TlsMode::kStartTls && !c->ssl &&
      c->out->starttls_offered) {
    c->state = State::kStartTlsCmd;
    c->pending = "STARTTLS\r\n";
    return true;
  }
  Conclude(c, ProbeResult::kOk, "");
  return true;
}

bool Batch::StateStep(Conn* c) {
  SmtpReply reply;
  switch (c->state) {
    case State::kConnecting:
    case State::kDone:
      return false;
    case State::kTlsImplicit:
    case State::kTlsStartTls:
      return TlsStep(c);
    case State::kBanner:
      return BannerStep(c);
    case State::kEhlo:
      return EhloStep(c);
    case State::kStartTlsCmd: {
      int r = ExpectReply(c, 220, ProbeResult::kTlsError, "STARTTLS", &reply);
      if (r == 0) return false;
      if (r > 0) StartTls(c, State::kTlsStartTls);
      return true;
    }
    case State::kQuit: {
      std::string err;
      if (Exchange(c, &reply, &err) == 0) return false;
      Close(c);
      c->state = State::kDone;
      return false;
    }
  }
  return false;
}

void Batch::Step(Conn* c, uint32_t events) {
  c->want_read = c->want_write = false;
  if (c->state == State::kConnecting && !FinishConnect(c, events)) return;
  // Advance through as many states as the socket allows right now.
  for (int guard = 0; guard < 16; ++guard) {
    if (!StateStep(c) || c->state == State::kDone) return;
  }
  // Not expected (each state blocks or moves on); keep epoll interest.
  c->want_read = true;
}

}  // namespace mailflow::smtp_prober_internal
