// SmtpDialogue: the SMTP state machine of one probe, from connect() to QUIT
// (greeting, EHLO, STARTTLS, handshake, EHLO again), advanced one socket
// event at a time, and the ProbeOutcome it records. Part of the SMTP prober
// (smtp_prober.h); the poller that calls it is ProbeBatch (smtp_batch.h).
#pragma once

#include <chrono>
#include <string>

#include "lib/base/deadline.h"
#include "lib/smtp/smtp_connection.h"
#include "lib/smtp/smtp_prober.h"
#include "lib/smtp/smtp_reply.h"

namespace mailflow::smtp_probe {

/// How long QUIT may wait for its 221 (the result is decided by then).
inline constexpr auto kQuitGrace = std::chrono::milliseconds(1000);

/// Where one probe's dialogue is.
enum class DialogueState {
  kConnecting,
  kTlsImplicit,  // handshake before the greeting (port 465)
  kBanner,
  kEhlo,         // EHLO written/being written, reading its reply
  kStartTlsCmd,  // STARTTLS written, reading its 220
  kTlsStartTls,  // handshake after STARTTLS
  kQuit,         // QUIT written, waiting for 221 or close
  kDone,         // the outcome is final and the connection closed
};

/// One probe. Every transition that decides the result writes it to the
/// outcome at once; a decided dialogue still says QUIT (kQuit) unless the
/// connection is broken or mid-handshake. Not thread-safe; does not own the
/// spec, the outcome or the TLS context; owns its connection.
class SmtpDialogue {
 public:
  SmtpDialogue() = default;
  SmtpDialogue(const SmtpDialogue&) = delete;
  SmtpDialogue& operator=(const SmtpDialogue&) = delete;

  /// Starts the probe: the outcome is reset by the caller, the clock starts
  /// and the connect() is issued (done() when it failed at once or the spec
  /// is connect-only and connected). REQUIRES: called once; `spec`, `out`
  /// and `tls` outlive the dialogue.
  void Begin(const ProbeSpec* spec, ProbeOutcome* out, TlsClientContext* tls);
  /// Advances as far as the socket allows. `writable`: the poller reported
  /// the socket writable, hung up or in error (only read while connecting).
  /// REQUIRES: Begin() was called and !done().
  void Step(bool writable);
  /// The deadline() passed, or the batch is stopping or out of time
  /// (`batch_deadline`): records the timeout class of the current state and
  /// either moves to QUIT (call Step() to write it) or ends.
  void Expire(bool stopping, const Deadline& batch_deadline);

  DialogueState state() const { return state_; }
  bool done() const { return state_ == DialogueState::kDone; }
  /// When the current state times out.
  Clock::time_point deadline() const { return deadline_; }
  const ProbeConnection& connection() const { return conn_; }
  ProbeConnection* mutable_connection() { return &conn_; }

 private:
  // Connected, or the connect failed with errno `e`.
  void Connected();
  void ConnectFailed(int e);
  void SendEhlo();
  // TLS session on the socket, then `next` (a handshake state).
  void StartTls(DialogueState next);
  void TlsDone();

  // The result is final and the connection closed at once.
  void Finish(ProbeResult r, std::string detail);
  // Records the result and drops the connection at once (no QUIT): the
  // dialogue is broken.
  void Abandon(ProbeResult r, std::string detail);
  // Records the result, then says QUIT politely (bounded by kQuitGrace).
  void Conclude(ProbeResult r, std::string detail);
  void EndPhase(ProbePhase p);

  // Exchange() expecting reply `code`. 1: it came; 0: blocked; -1: the
  // probe ended with `failure` and "WHAT: ..." (an I/O error abandons it,
  // another reply code concludes it with QUIT).
  int ExpectReply(int code, ProbeResult failure, const char* what,
                  SmtpReply* reply);

  // Step's parts: each returns whether the dialogue can go on at once
  // (false: it waits for the socket, or it ended).
  bool FinishConnect(bool writable);
  bool StateStep();
  bool TlsStep();
  bool BannerStep();
  bool EhloStep();

  const ProbeSpec* spec_ = nullptr;
  ProbeOutcome* out_ = nullptr;
  TlsClientContext* tls_ = nullptr;
  ProbeConnection conn_;
  DialogueState state_ = DialogueState::kConnecting;
  Clock::time_point start_, phase_start_, deadline_;
};

}  // namespace mailflow::smtp_probe
