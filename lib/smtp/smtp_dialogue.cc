#include "lib/smtp/smtp_dialogue.h"

#include <errno.h>

#include <algorithm>
#include <string>

namespace mailflow::smtp_probe {

namespace {

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

bool IsUnreachableErrno(int e) {
  return e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN ||
         e == ENETDOWN || e == EACCES || e == EPERM;
}

// What a timeout in a state (other than kQuit and kDone) records.
struct TimeoutClass {
  ProbeResult result;
  const char* detail;
};

TimeoutClass TimeoutOf(DialogueState s) {
  switch (s) {
    case DialogueState::kBanner:
      return {ProbeResult::kBannerTimeout, "no greeting before the timeout"};
    case DialogueState::kStartTlsCmd:
      return {ProbeResult::kTlsError, "no STARTTLS reply before the timeout"};
    case DialogueState::kTlsImplicit:
    case DialogueState::kTlsStartTls:
      return {ProbeResult::kTlsError,
              "TLS handshake did not complete before the timeout"};
    case DialogueState::kEhlo:
      return {ProbeResult::kProtocolError, "no EHLO reply before the timeout"};
    case DialogueState::kConnecting:
    case DialogueState::kQuit:
    case DialogueState::kDone:
      break;
  }
  return {ProbeResult::kTimeout,
          "connect: no answer to SYN before the timeout"};
}

}  // namespace

void SmtpDialogue::Begin(const ProbeSpec* spec, ProbeOutcome* out,
                         TlsClientContext* tls) {
  spec_ = spec;
  out_ = out;
  tls_ = tls;
  start_ = phase_start_ = Clock::now();
  auto connect_limit = start_ + spec_->connect_timeout;
  auto overall = start_ + spec_->timeout;
  deadline_ = std::min(connect_limit, overall);
  const Endpoint& ep = spec_->endpoint;
  if (!conn_.Open(ep)) {
    Finish(ProbeResult::kError, Errno("socket", errno));
    return;
  }
  int rc = conn_.Connect(ep);
  if (rc > 0) {
    Connected();
  } else if (rc < 0) {
    ConnectFailed(errno);
  }
}

void SmtpDialogue::Connected() {
  EndPhase(ProbePhase::kConnect);
  out_->connected = true;
  deadline_ = start_ + spec_->timeout;
  conn_.set_want_write(false);
  if (spec_->connect_only) {
    Finish(ProbeResult::kOk, "");
    return;
  }
  conn_.SetNoDelay();
  if (spec_->tls == TlsMode::kImplicit) {
    StartTls(DialogueState::kTlsImplicit);
  } else {
    state_ = DialogueState::kBanner;
    conn_.set_want_read(true);
  }
}

void SmtpDialogue::ConnectFailed(int e) {
  ProbeResult r = ProbeResult::kError;
  if (e == ECONNREFUSED || e == ECONNRESET) {
    r = ProbeResult::kRefused;
  } else if (e == ETIMEDOUT) {
    r = ProbeResult::kTimeout;
  } else if (IsUnreachableErrno(e)) {
    r = ProbeResult::kUnreachable;
  }
  Finish(r, Errno("connect", e));
}

void SmtpDialogue::SendEhlo() {
  state_ = DialogueState::kEhlo;
  conn_.Send("EHLO " + spec_->ehlo_name + "\r\n");
}

void SmtpDialogue::StartTls(DialogueState next) {
  std::string err;
  if (!conn_.StartTls(tls_, spec_->server_name, &err)) {
    Conclude(ProbeResult::kError, std::move(err));
    return;
  }
  state_ = next;
}

void SmtpDialogue::TlsDone() {
  EndPhase(ProbePhase::kStartTls);
  out_->tls_established = true;
  conn_.PeerCertNotAfter(&out_->cert_not_after);
}

void SmtpDialogue::Finish(ProbeResult r, std::string detail) {
  out_->result = r;
  if (!detail.empty()) out_->detail = std::move(detail);
  out_->total_seconds = Seconds(Clock::now() - start_);
  conn_.Close();
  state_ = DialogueState::kDone;
}

void SmtpDialogue::Abandon(ProbeResult r, std::string detail) {
  out_->detail.clear();
  Finish(r, std::move(detail));
}

void SmtpDialogue::Conclude(ProbeResult r, std::string detail) {
  out_->result = r;
  out_->detail = std::move(detail);
  out_->total_seconds = Seconds(Clock::now() - start_);
  if (conn_.fd() < 0) {
    state_ = DialogueState::kDone;
    return;
  }
  state_ = DialogueState::kQuit;
  conn_.DiscardInput();
  conn_.Send("QUIT\r\n");
  deadline_ = std::min(start_ + spec_->timeout, Clock::now() + kQuitGrace);
  if (deadline_ <= Clock::now()) {
    deadline_ = Clock::now() + std::chrono::milliseconds(50);
  }
}

void SmtpDialogue::EndPhase(ProbePhase p) {
  auto now = Clock::now();
  out_->phase_seconds[static_cast<int>(p)] = Seconds(now - phase_start_);
  phase_start_ = now;
}

void SmtpDialogue::Expire(bool stopping, const Deadline& batch_deadline) {
  if (state_ == DialogueState::kQuit || state_ == DialogueState::kDone) {
    conn_.Close();
    state_ = DialogueState::kDone;
    return;
  }
  const TimeoutClass timeout = TimeoutOf(state_);
  const char* why = stopping ? "probe cancelled (shutdown)" : timeout.detail;
  if (state_ == DialogueState::kConnecting ||
      state_ == DialogueState::kTlsImplicit ||
      state_ == DialogueState::kTlsStartTls) {
    // Nothing to say QUIT to yet, or in the middle of a handshake.
    Finish(timeout.result, why);
    return;
  }
  Conclude(timeout.result, why);
  if (stopping || batch_deadline.Expired()) {
    conn_.Close();
    state_ = DialogueState::kDone;
  }
}

int SmtpDialogue::ExpectReply(int code, ProbeResult failure, const char* what,
                              SmtpReply* reply) {
  std::string err;
  int r = conn_.Exchange(reply, &err);
  if (r == 0) return 0;
  if (r < 0) {
    Abandon(failure, std::string(what) + ": " + err);
    return -1;
  }
  if (reply->code != code) {
    Conclude(failure, std::string(what) + ": " + ReplySummary(*reply));
    return -1;
  }
  return 1;
}

bool SmtpDialogue::FinishConnect(bool writable) {
  int e = conn_.ConnectError();
  if (e != 0) {
    ConnectFailed(e);
    return false;
  }
  if (!writable) {
    conn_.set_want_write(true);
    return false;
  }
  Connected();
  return state_ != DialogueState::kDone;
}

bool SmtpDialogue::TlsStep() {
  std::string err;
  int r = conn_.Handshake(&err);
  if (r == 0) return false;
  if (r < 0) {
    Abandon(ProbeResult::kTlsError, err);
    return false;
  }
  TlsDone();
  if (state_ == DialogueState::kTlsImplicit) {
    state_ = DialogueState::kBanner;  // the greeting comes over TLS now
  } else {
    SendEhlo();  // RFC 3207: the session starts over; EHLO, then QUIT
  }
  return true;
}

bool SmtpDialogue::BannerStep() {
  std::string err;
  SmtpReply reply;
  int r = conn_.ReadReply(&reply, &err);
  if (r == 0) return false;
  if (r < 0) {
    Abandon(ProbeResult::kBannerError, "greeting: " + err);
    return false;
  }
  out_->banner_code = reply.code;
  EndPhase(ProbePhase::kBanner);
  if (reply.code != 220) {
    Conclude(ProbeResult::kBannerError, "greeting: " + ReplySummary(reply));
    return true;
  }
  SendEhlo();
  return true;
}

bool SmtpDialogue::EhloStep() {
  SmtpReply reply;
  int r = ExpectReply(250, ProbeResult::kProtocolError, "EHLO", &reply);
  if (r == 0) return false;
  if (r < 0) return true;
  if (out_->phase_seconds[static_cast<int>(ProbePhase::kEhlo)] < 0) {
    EndPhase(ProbePhase::kEhlo);
  }
  if (!conn_.tls()) out_->starttls_offered = EhloOffers(reply, "STARTTLS");
  if (spec_->tls == TlsMode::kStartTls && !conn_.tls() &&
      out_->starttls_offered) {
    state_ = DialogueState::kStartTlsCmd;
    conn_.Send("STARTTLS\r\n");
    return true;
  }
  Conclude(ProbeResult::kOk, "");
  return true;
}

bool SmtpDialogue::StateStep() {
  SmtpReply reply;
  switch (state_) {
    case DialogueState::kConnecting:
    case DialogueState::kDone:
      return false;
    case DialogueState::kTlsImplicit:
    case DialogueState::kTlsStartTls:
      return TlsStep();
    case DialogueState::kBanner:
      return BannerStep();
    case DialogueState::kEhlo:
      return EhloStep();
    case DialogueState::kStartTlsCmd: {
      int r = ExpectReply(220, ProbeResult::kTlsError, "STARTTLS", &reply);
      if (r == 0) return false;
      if (r > 0) StartTls(DialogueState::kTlsStartTls);
      return true;
    }
    case DialogueState::kQuit: {
      std::string err;
      if (conn_.Exchange(&reply, &err) == 0) return false;
      conn_.Close();
      state_ = DialogueState::kDone;
      return false;
    }
  }
  return false;
}

void SmtpDialogue::Step(bool writable) {
  conn_.set_want_read(false);
  conn_.set_want_write(false);
  if (state_ == DialogueState::kConnecting && !FinishConnect(writable)) return;
  // Advance through as many states as the socket allows right now.
  for (int guard = 0; guard < 16; ++guard) {
    if (!StateStep() || state_ == DialogueState::kDone) return;
  }
  // Not expected (each state blocks or moves on); keep poller interest.
  conn_.set_want_read(true);
}

}  // namespace mailflow::smtp_probe
